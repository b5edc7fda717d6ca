"""Resumable log streams: files by (inode, offset), the journal by cursor; access-log windows."""

from __future__ import annotations

from darc_tui.logs.file_follower import FileFollower
from darc_tui.logs.journal_follower import JournalFollower
from darc_tui.logs.positions import FilePosition, Positions, default_positions_path
from darc_tui.logs.sources import AccessLogSource, build_source, build_sources
from darc_tui.logs.window import AccessWindow, WindowCounts, window_evidence

__all__ = [
    "AccessLogSource",
    "AccessWindow",
    "FileFollower",
    "FilePosition",
    "JournalFollower",
    "Positions",
    "WindowCounts",
    "build_source",
    "build_sources",
    "default_positions_path",
    "window_evidence",
]
