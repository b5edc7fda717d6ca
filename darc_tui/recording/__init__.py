"""Recordings: the evidence and finding stream as gzip'd JSON lines, and reading them back."""

from darc_tui.recording.reader import Frame, RecordingError, read_frames
from darc_tui.recording.writer import Recorder

__all__ = ["Frame", "Recorder", "RecordingError", "read_frames"]
