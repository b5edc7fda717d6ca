"""Follow the journal (`journalctl -u UNIT -o json -f`) on any Host, resumable by cursor.

Resume uses the inclusive `--cursor=C -n all` and drops the first entry when it is C: on systemd
< 255 `--after-cursor` with a filter skips the first matching entry (systemd #30288), and `-f`
alone implies `-n 10`, which loses everything but the last ten pending entries (systemd #4739).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence

from darc_tui.hosts.base import Host, shell_join
from darc_tui.ids import ProbeId
from darc_tui.logs.common import (
    FOLLOWER_BACKOFF,
    ChunkPump,
    Line,
    LineSplitter,
    StatusReporter,
    display_text,
    gap_record,
)
from darc_tui.logs.positions import Positions
from darc_tui.model import LogRecord, Status
from darc_tui.parse.journal import JournalNotice, journal_notices, parse_journal_line
from darc_tui.retry import Backoff
from darc_tui.sinks import LogSink

SETTLE = 1.0  # seconds without an error after start before the source is reported as following


class JournalFollower:
    """A LogSource for one journal selection (default `-u UNIT`). Runs until cancelled."""

    def __init__(
        self,
        host: Host,
        unit: str = "envoy",
        *,
        match: Sequence[str] | None = None,
        positions: Positions | None = None,
        initial_lines: int = 200,
        since: str = "",
        backoff: Backoff = FOLLOWER_BACKOFF,
        source: str = "journal",
        probe: ProbeId = ProbeId.LOGS_JOURNAL,
        sudo: bool = False,
    ) -> None:
        self.name = source
        self.host = host
        self.match = tuple(match) if match is not None else ("-u", unit)
        self.positions = positions or Positions()
        self.key = f"journal:{host.name}:{' '.join(self.match)}"
        saved = self.positions.get(self.key)
        self.cursor: str | None = saved if isinstance(saved, str) else None
        self.initial_lines, self.since, self.backoff = initial_lines, since, backoff
        # a unit's journal needs root (or the systemd-journal group) for a non-root login
        self.prefix: tuple[str, ...] = ("sudo", "-n") if sudo else ()
        human = shell_join(["journalctl", *self.match, "-f"])
        shown = human if host.kind == "local" else f"ssh {host.name} {shell_join([human])}"
        self.status = StatusReporter(
            probe, f"{host.name}:{' '.join(self.match)}", shown, "journalctl"
        )
        self._notices: frozenset[JournalNotice] = frozenset()

    def argv(self) -> tuple[str, ...]:
        """The follow command for where we are: after our cursor, or since a time."""
        start = (f"--cursor={self.cursor}",) if self.cursor else (f"--since={self.since}",)
        return (*self.prefix, "env", "LC_ALL=C", "journalctl", *self.match, "-o", "json",
                "--no-pager", "-f", "-n", "all", *start)  # fmt: skip

    async def _context(self, sink: LogSink) -> str:
        """First start: the last entries with a plain (non-follow) query; "" or why it failed.

        `-n N -f` with a match that has no entries yet drops the first entry that arrives
        (seen on systemd 252), so following always starts from a cursor or a time instead.
        """
        argv = (*self.prefix, "sh", "-c", 'date +%s; exec env LC_ALL=C journalctl "$@"', "darc-journal",
                *self.match, "-o", "json", "--no-pager", "-n", str(self.initial_lines))  # fmt: skip
        result = await self.host.run(argv, timeout=30.0)
        self._notices |= journal_notices(result.err_text())
        clock, _, body = result.stdout.partition(b"\n")
        if not result.ran or not clock.strip().isdigit():
            return result.why()
        records, _ = self._records(LineSplitter().feed(body), None)
        if records:
            sink.records(records)
        if not self.cursor:
            self.since = f"@{int(clock) - 1}"  # nothing yet: take everything from now on
        return ""

    async def follow(self, sink: LogSink) -> None:
        failures = 0
        try:
            while True:
                problem, progressed = await self._guarded_session(sink)
                failures = 0 if progressed else failures + 1
                self.status.report(sink, Status.ERROR, problem)
                await asyncio.sleep(self.backoff.delay(failures))
        finally:
            with contextlib.suppress(Exception):
                await self.positions.flush()

    async def _guarded_session(self, sink: LogSink) -> tuple[str, bool]:
        try:
            return await self._session(sink)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a follower reports, it never dies
            return f"follower failed: {type(exc).__name__}: {exc}", False

    async def _session(self, sink: LogSink) -> tuple[str, bool]:
        """Follow until the stream ends; (why it ended, whether any entry arrived)."""
        if not self.cursor and not self.since:
            problem = await self._context(sink)
            if problem:
                return f"journal on {self.host.name}: {problem}", False
        resume = self.cursor
        splitter = LineSplitter()
        progressed = False
        started = time.monotonic()
        async with self.host.stream(self.argv()) as stream:
            pump = ChunkPump(stream)
            try:
                while True:
                    chunk = await pump.get(SETTLE)
                    if chunk is None:
                        break
                    records, resume = self._records(splitter.feed(chunk), resume)
                    if records:
                        progressed = True
                        sink.records(records)
                        await self.positions.maybe_flush()
                    self._report(sink, stream.stderr_text, time.monotonic() - started)
            finally:
                await pump.stop()
            self._report(sink, stream.stderr_text, 0.0)
            if "Failed to seek to cursor" in stream.stderr_text and self.cursor:
                # a cursor this journal cannot place (another machine, a rebuilt journal)
                self.cursor = None
                self.positions.set(self.key, None)
                sink.records([gap_record(self.name, "saved journal cursor no longer valid")])
            err = stream.stderr_text.strip().splitlines()
            why = stream.error or (err[-1] if err else f"journalctl exited {stream.exit_status}")
        return f"journal on {self.host.name}: {why}", progressed

    def _records(self, lines: list[Line], resume: str | None) -> tuple[list[LogRecord], str | None]:
        """Lines → records; the first entry of a resumed session is checked against the cursor."""
        out: list[LogRecord] = []
        for line in lines:
            rec = parse_journal_line(line.data)
            if rec is None:
                self._notices |= journal_notices(line.data.decode("utf-8", "replace"))
                continue
            if resume is not None:
                already_had, resume = rec.cursor == resume, None
                if already_had:
                    continue  # --cursor is inclusive: this is the last entry we delivered
                # the saved entry is gone (vacuumed, or another journal): entries may be missing
                out.append(gap_record(self.name, "the journal moved on without our last entry"))
            text = display_text(rec.message.encode("utf-8", "replace"))
            out.append(
                LogRecord(self.name, text, time.time(), fields=rec.to_json(), size=line.size)
            )
            self.cursor = rec.cursor
        if out and self.cursor:
            self.positions.set(self.key, self.cursor)
        return out, resume

    def _report(self, sink: LogSink, stderr: str, running_for: float) -> None:
        notices = self._notices | journal_notices(stderr)
        user = self.host.name
        if JournalNotice.NO_PERMISSION in notices:
            self.status.report(
                sink, Status.ERROR, f"journalctl on {user}: no permission to read the journal"
            )
        elif JournalNotice.NOT_ALL_USERS in notices:
            self.status.report(
                sink,
                Status.WARN,
                f"journalctl on {user} sees only the login user's messages: add the user to "
                "the systemd-journal (or adm) group",
            )
        elif JournalNotice.NO_FILES in notices:
            self.status.report(sink, Status.WARN, f"journalctl on {user}: no journal files")
        elif running_for >= SETTLE:
            self.status.report(sink, Status.OK, f"following journalctl {' '.join(self.match)}")
