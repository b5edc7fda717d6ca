"""Read a recording back as a sequence of Snapshots, tolerating a cut (a killed writer).

The gzip stream is decompressed chunk by chunk: everything up to the last complete line before a
cut or a corrupt block is returned, the rest is reported as `truncated`, never raised.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from darc_tui.diagnosis import verdict as verdict_of
from darc_tui.model import DeployMarker, Evidence, Finding, HostState, Snapshot, TimelineEvent
from darc_tui.recording.codec import (
    FORMAT,
    event_from_json,
    evidence_from_json,
    finding_from_json,
    host_from_json,
    marker_from_json,
)

T = TypeVar("T")
CHUNK = 64 * 1024
MAX_LINE = 16 * 1024 * 1024  # a longer "line" is not a recording


class RecordingError(Exception):
    """Not a darc-tui recording (one line for the user: file and what is wrong)."""


@dataclass(frozen=True, slots=True)
class Frame:
    t: float  # seconds from the start of the recording
    snapshot: Snapshot


@dataclass(slots=True)
class Recording:
    path: Path
    header: dict[str, Any] = field(default_factory=dict)
    truncated: bool = False  # the file ends mid-stream (the writer was killed) or is corrupt

    @property
    def site(self) -> str:
        return str(self.header.get("site", ""))


def read_lines(path: Path, recording: Recording) -> Iterator[bytes]:
    """Complete lines of a gzip file; a cut or a corrupt block ends the iteration."""
    inflate = zlib.decompressobj(wbits=31)
    pending = b""
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            try:
                data = inflate.decompress(chunk) if chunk else inflate.flush()
            except zlib.error:
                recording.truncated = True
                return
            pending += data
            *lines, pending = pending.split(b"\n")
            yield from lines
            if len(pending) > MAX_LINE:
                raise RecordingError(f"{path}: not a darc-tui recording (no line breaks)")
            if not chunk:
                recording.truncated = bool(pending) or not inflate.eof
                return
            if inflate.eof:  # a second gzip member would follow; a recording has one
                recording.truncated = bool(inflate.unused_data)
                return


class _Builder:
    """Applies frames (key frame, then changes) to rebuild whole snapshots."""

    def __init__(self) -> None:
        self.evidence: dict[tuple[str, str], Evidence] = {}
        self.findings: tuple[Finding, ...] = ()
        self.hosts: tuple[HostState, ...] = ()
        self.deploys: list[DeployMarker] = []
        self.timeline: list[TimelineEvent] = []

    def apply(self, frame: dict[str, Any]) -> Snapshot:
        for raw in frame.get("evidence", ()):
            ev = _decoded(evidence_from_json, raw)  # a probe this version does not know: skipped
            if ev is not None:
                self.evidence[ev.key] = ev
        if "findings" in frame:
            found = (_decoded(finding_from_json, f) for f in frame["findings"])
            self.findings = tuple(f for f in found if f is not None)
        if "hosts" in frame:
            self.hosts = tuple(host_from_json(h) for h in frame["hosts"])
        self.deploys.extend(marker_from_json(m) for m in frame.get("deploys", ()))
        self.deploys.sort(key=lambda m: m.at)
        self.timeline.extend(event_from_json(e) for e in frame.get("timeline", ()))
        return Snapshot(
            taken_at=float(frame["t"]),
            evidence=tuple(self.evidence.values()),
            findings=self.findings,
            hosts=self.hosts,
            verdict=verdict_of(self.findings),
            timeline=tuple(self.timeline[-1000:]),
            rounds=int(frame.get("rounds", 0)),
            deploys=tuple(self.deploys),
        )


def open_recording(path: str | os.PathLike[str]) -> tuple[Recording, Iterator[Frame]]:
    """The recording's header and an iterator over its frames; RecordingError when it is not one
    (or cannot be read)."""
    recording = Recording(Path(path))
    try:
        lines = read_lines(recording.path, recording)
        first = next(lines, None)
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read: {exc.strerror or exc}") from None
    header = _json(first) if first is not None else None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise RecordingError(f"{path}: not a darc-tui recording")
    recording.header = header
    return recording, _frames(recording, lines)


def _frames(recording: Recording, lines: Iterator[bytes]) -> Iterator[Frame]:
    builder = _Builder()
    start: float | None = None
    try:
        for line in lines:
            doc = _json(line)
            if not isinstance(doc, dict) or "t" not in doc:
                recording.truncated = True  # a damaged line: stop where the good part ends
                return
            try:
                snap = builder.apply(doc)
            except (KeyError, TypeError, ValueError):
                recording.truncated = True
                return
            start = snap.taken_at if start is None else start
            yield Frame(snap.taken_at - start, snap)
    except OSError:
        recording.truncated = True


def read_frames(path: str | os.PathLike[str]) -> list[Frame]:
    """Every readable frame of a recording (RecordingError when it is not one)."""
    _, frames = open_recording(path)
    return list(frames)


def _decoded(decode: Callable[[dict[str, Any]], T], raw: Any) -> T | None:
    try:
        return decode(raw)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _json(line: bytes | None) -> Any:
    if line is None:
        return None
    try:
        return json.loads(line)
    except ValueError:
        return None
