"""Write a recording: one gzip'd JSON line per published snapshot, redacted, bounded in size.

Layout: a header line, a key frame (every piece of latest evidence, findings, hosts, deploys,
timeline), then one line per snapshot with only what changed. The gzip stream is sync-flushed at
least every FLUSH_EVERY seconds, so a writer killed mid-run leaves a file whose prefix reads back
(the reader stops at the cut).

Rotation rule: when FILE reaches `max_bytes` (compressed), it becomes FILE.1 (replacing an older
FILE.1) and a new FILE starts with its own header and key frame. A recording therefore never takes
more than about twice `max_bytes`, and FILE alone always replays on its own.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from darc_tui.config import Config
from darc_tui.model import DeployMarker, Evidence, Snapshot, TimelineEvent
from darc_tui.recording.codec import (
    FORMAT,
    VERSION,
    event_to_json,
    evidence_to_json,
    host_to_json,
)
from darc_tui.recording.payloads import payload_to_json
from darc_tui.redact import redact_evidence, redact_finding, redact_json

FLUSH_EVERY = 1.0  # seconds: what a killed writer can lose at most
MAX_BYTES = 64 * 1024 * 1024


class Recorder:
    """Subscribe `recorder.snapshot` to an engine (or call it); `close()` at the end."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        site: str = "",
        where: dict[str, str] | None = None,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self.site = site
        self.where = dict(where or {})  # envoy host, cluster, backend: the console's header
        self.max_bytes = max_bytes
        self.clock = clock
        self.part = 0
        self._raw: IO[bytes] | None = None
        self._gz: gzip.GzipFile | None = None
        self._written: dict[tuple[str, str], float] = {}
        self._findings: tuple[object, ...] | None = None
        self._hosts: tuple[object, ...] | None = None
        self._deploys: set[DeployMarker] = set()
        self._timeline: set[TimelineEvent] = set()
        self._last_flush = 0.0
        self._open()

    # -- files ---------------------------------------------------------------------------------
    def _open(self) -> None:
        self._raw = open(self.path, "wb")  # noqa: SIM115 - closed in close()/_rotate()
        self._gz = gzip.GzipFile(fileobj=self._raw, mode="wb", mtime=0)
        self._written.clear()
        self._findings = self._hosts = None
        self._deploys.clear()
        self._timeline.clear()
        header: dict[str, Any] = {"format": FORMAT, "version": VERSION, "site": self.site}
        header.update(part=self.part, started_at=time.time(), where=self.where)
        self._line(header)
        self._flush()

    def _rotate(self) -> None:
        self._close_files()
        os.replace(self.path, self.path.with_name(self.path.name + ".1"))
        self.part += 1
        self._open()

    def _close_files(self) -> None:
        if self._gz is not None:
            self._gz.close()
        if self._raw is not None:
            self._raw.close()
        self._gz = self._raw = None

    def close(self) -> None:
        self._close_files()

    # -- frames --------------------------------------------------------------------------------
    def snapshot(self, snap: Snapshot) -> None:
        """Record what changed since the previous snapshot (everything, first in a file)."""
        if self._gz is None:
            return
        self._line(self._frame(snap))
        now = self.clock()
        if now - self._last_flush >= FLUSH_EVERY:
            self._flush()
        if self._raw is not None and self._raw.tell() >= self.max_bytes:
            self._rotate()
            self._line(self._frame(snap))
            self._flush()

    def _frame(self, snap: Snapshot) -> dict[str, Any]:
        key = not self._written
        frame: dict[str, Any] = {
            "t": snap.taken_at,
            "verdict": snap.verdict.value,
            "rounds": snap.rounds,
        }
        if key:
            frame["key"] = True
        changed = [ev for ev in snap.evidence if self._written.get(ev.key) != ev.observed_at]
        for ev in changed:
            self._written[ev.key] = ev.observed_at
        if changed:
            frame["evidence"] = [self._evidence(ev) for ev in changed]
        if snap.findings != self._findings:
            self._findings = snap.findings
            frame["findings"] = [redact_finding(f).to_json() for f in snap.findings]
        if snap.hosts != self._hosts:
            self._hosts = snap.hosts
            frame["hosts"] = [host_to_json(h) for h in snap.hosts]
        deploys = [m for m in snap.deploys if m not in self._deploys]
        if deploys:
            self._deploys.update(deploys)
            frame["deploys"] = [m.to_json() for m in deploys]
        events = [e for e in snap.timeline if e not in self._timeline]
        self._timeline = set(snap.timeline)
        if events:
            frame["timeline"] = [event_to_json(e) for e in events]
        return frame

    def _evidence(self, ev: Evidence) -> dict[str, Any]:
        doc = evidence_to_json(redact_evidence(ev))
        payload = payload_to_json(ev, self.where.get("cluster", ""))
        if payload is not None:
            doc["data"] = payload
        return doc

    def _line(self, doc: dict[str, Any]) -> None:
        assert self._gz is not None
        # values masked before serialisation: masking JSON text can break the line
        text = json.dumps(redact_json(doc), ensure_ascii=False, separators=(",", ":"))
        self._gz.write(text.encode("utf-8") + b"\n")

    def _flush(self) -> None:
        if self._gz is not None and self._raw is not None:
            self._gz.flush(zlib.Z_SYNC_FLUSH)
            self._raw.flush()
        self._last_flush = self.clock()


def open_recorder(path: str, config: Config, command: str) -> Recorder | None:
    """A Recorder on `path`, or None after one line on stderr saying why not (exit 2 follows)."""
    backend = config.backend.url.split("://", 1)[-1].rpartition("@")[2]  # no user:password
    where = {"envoy_host": config.envoy.host, "cluster": config.envoy.cluster, "backend": backend}
    try:
        return Recorder(path, site=config.site.name, where=where)
    except OSError as exc:
        print(
            f"darc-tui {command}: cannot record to {path}: {exc.strerror or exc}", file=sys.stderr
        )
        return None


__all__ = ["FLUSH_EVERY", "MAX_BYTES", "Recorder", "open_recorder"]
