"""The flow of `darc-tui logs` (parser: darc_tui.commands.logs): follow one log source headless."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TextIO

import orjson

from darc_tui.collector import quiet_collector
from darc_tui.config import Config
from darc_tui.hosts.base import Host
from darc_tui.logs.file_follower import FileFollower
from darc_tui.logs.positions import FilePosition, Positions
from darc_tui.logs.sources import AccessLogSource, build_source
from darc_tui.model import Evidence, LogRecord
from darc_tui.redact import redact_records, redact_text

EXIT_USAGE = 2
_RELATIVE = re.compile(r"^-(\d+)\s*(s|sec|m|min|h|hour|d|day)s?$")
_UNIT_S = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


async def follow_command(
    args: argparse.Namespace, config: Config, hosts: Mapping[str, Host]
) -> int:
    """Follow until cancelled; the caller owns (and closes) `hosts`."""
    since_epoch = parse_since(args.since) if args.since else None
    if args.since and since_epoch is None:
        print(f"darc-tui: logs: cannot read --since {args.since!r}", file=sys.stderr)
        return EXIT_USAGE
    positions = Positions()
    source = build_source(config, hosts, args.source, positions=positions, since=args.since)
    if source is None:
        print(f"darc-tui: logs: no {args.source} log configured in [envoy]", file=sys.stderr)
        return EXIT_USAGE
    follower = source.follower if isinstance(source, AccessLogSource) else source
    if since_epoch is not None and isinstance(follower, FileFollower):
        positions.set_file(follower.key, FilePosition(-1, 0))
        follower.position = FilePosition(-1, 0)  # from the first byte
    sink = PrintSink(args.source, as_json=args.json, since=since_epoch, redact=config.ui.redact)
    quiet_collector()
    if isinstance(source, AccessLogSource):
        await source.follow_records(sink)  # PrintSink prints no window evidence
    else:
        await source.follow(sink)
    return 0


class PrintSink:
    """Prints records to stdout (text or JSON lines) and follower state changes to stderr."""

    def __init__(
        self,
        source: str,
        *,
        as_json: bool,
        since: float | None = None,
        out: TextIO | None = None,
        err: TextIO | None = None,
        redact: bool = True,
    ) -> None:
        self.source, self.as_json, self.since = source, as_json, since
        self.redact = redact
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    def records(self, records: Sequence[LogRecord]) -> None:
        wanted = redact_records(records) if self.redact else records  # before any output
        if self.since is not None:
            wanted = [rec for rec in wanted if self._wanted(rec)]
        if not wanted:
            return
        if self.as_json:
            self._write(json_lines(wanted))
        else:
            self.out.write("".join([f"{rec.line}\n" for rec in wanted]))
            self.out.flush()

    def _write(self, data: bytes) -> None:
        """Encoded lines straight to the byte stream under stdout (no str round trip)."""
        buffer = getattr(self.out, "buffer", None)
        if buffer is None:
            self.out.write(data.decode("utf-8"))
            self.out.flush()
            return
        self.out.flush()
        buffer.write(data)
        buffer.flush()

    def evidence(self, ev: Evidence) -> None:
        if ev.probe.startswith("logs."):
            detail = redact_text(ev.detail) if self.redact else ev.detail
            print(f"darc-tui: {ev.probe}: {ev.status.value}: {detail}", file=self.err)

    def _wanted(self, rec: LogRecord) -> bool:
        when = rec.fields.get("timestamp")
        return (
            self.since is None or rec.gap or not isinstance(when, int | float) or when >= self.since
        )


def json_lines(records: Sequence[LogRecord]) -> bytes:
    """One JSON object per record, each followed by a newline, encoded in one go when it can."""
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    heads: dict[str, bytes] = {}
    out: list[bytes] = []
    add = out.append
    try:
        for rec in records:
            fields = rec.fields
            # a record that is no gap and whose line has as many characters as its size in bytes
            # (less the newline) was not cut: its object is the source, the line and the fields
            if rec.gap or rec.size != len(rec.line) + 1:
                add(record_json(rec) + b"\n")
            elif not fields or "source" in fields or "line" in fields:
                add(dumps({"source": rec.source, "line": rec.line, **fields}, str, newline))
            else:
                # that object's text without building it (a merged dict cost more than its
                # encoding): the fields' object, opened by the source and the line instead of
                # `{` (orjson writes no spaces, and no key of the fields clashes with theirs)
                head = heads.get(rec.source)
                if head is None:
                    head = heads[rec.source] = b'{"source":' + dumps(rec.source) + b',"line":'
                add(head + dumps(rec.line) + b"," + dumps(fields, str, newline)[1:])
        return b"".join(out)
    except orjson.JSONEncodeError:  # one of them needs record_json's fallback
        return b"".join([record_json(rec) + b"\n" for rec in records])


def record_json(rec: LogRecord) -> bytes:
    """`{"source", "line", …fields}` of one record (+ "gap", and "size" when the line was cut)."""
    obj: dict[str, Any] = {"source": rec.source, "line": rec.line}
    obj.update(rec.fields)
    if rec.gap:
        obj["gap"] = True
    if rec.size and rec.size - 1 > len(rec.line.encode("utf-8", "replace")):
        obj["size"] = rec.size
    try:
        return orjson.dumps(obj, default=str)
    except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits from a hostile line
        return json.dumps(obj, ensure_ascii=False, default=str).encode("utf-8")


def parse_since(text: str, now: float | None = None) -> float | None:
    """`-10min`, `-2h`, `-30s`, or an ISO date/time (local time) → epoch seconds."""
    text = text.strip()
    m = _RELATIVE.match(text)
    if m:
        return (time.time() if now is None else now) - int(m.group(1)) * _UNIT_S[m.group(2)]
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None
