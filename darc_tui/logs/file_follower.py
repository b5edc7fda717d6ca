"""Follow a log file on any Host, resumable by (inode, byte offset), through rotation and truncation.

One session = one remote `sh` that opens the file once on fd 3, prints a header with the fd's
inode and size and its own pid, then `exec`s `tail -c +N -f /dev/fd/3`. Reading through the fd we
stat'ed means the header always describes the bytes that follow (no race with a rotation between
a `stat` and `tail` opening the name). tail's stderr is folded into stdout so its "file
truncated" notice arrives in order with the data. A `stat` poll of the path and of
/proc/PID/fd/3 tells when the name points to a new file and when the old one is drained.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from darc_tui.hosts.base import Host, LineStream, shell_join
from darc_tui.ids import ProbeId, log_probe
from darc_tui.logs.batch import batch_records
from darc_tui.logs.common import (
    FOLLOWER_BACKOFF,
    ChunkPump,
    FieldParser,
    Line,
    LineBatch,
    LineSplitter,
    StatusReporter,
    gap_record,
    make_record,
)
from darc_tui.logs.flood import FloodGate, Held, batch_fields, skipped_record
from darc_tui.logs.positions import TAIL_BYTES, FilePosition, Positions
from darc_tui.model import LogRecord, Status, says_broken
from darc_tui.retry import Backoff
from darc_tui.sinks import LogSink

_FOLLOW = r"""
command exec 3<"$1" || exit 66
set -- "$1" "$2" "$3" "$4" $(stat -L -c '%i %s' /dev/fd/3)
[ -n "$6" ] || exit 67
start=0
if [ "$5" = "$2" ] && [ "$6" -ge "$3" ]; then start=$3
elif [ "$2" = 0 ] && [ "$4" -ge 0 ] && [ "$6" -gt "$4" ]; then start=$(($6 - $4))
fi
echo "darc-follow $$ $5 $6 $start"
exec tail -c +$((start + 1)) -s 0.25 -f /dev/fd/3 2>&1
"""
_POLL = r"""
stat -L -c 'path %i %s' -- "$1" 2>/dev/null
stat -L -c 'fd %i %s' -- "/proc/$2/fd/3" 2>/dev/null
exit 0
"""
_RECOVER = r"""
command exec 3<"$1" || exit 66
stat -L -c '%i %s' /dev/fd/3 || exit 67
tail -c +"$2" /dev/fd/3 | head -c "$3"
"""
# GNU tail's notice for the fd above (LC_ALL=C); its name is fixed, so the text is too
_TRUNCATED = b"tail: /dev/fd/3: file truncated"
RECOVER_LIMIT = 16 * 1024 * 1024  # bytes read back from a rotated file in one go
ROTATE_GRACE = 30.0  # seconds we keep draining the old file while the new one already has data
OPEN_FAILED = 66
# lines handed over at once from a chunk of a flood: ≈ 5 ms of work between two turns of the
# event loop, so a key pressed in the console waits that long, not a chunk's 30 ms (or more)
SLICE_LINES = 200


@dataclass(frozen=True, slots=True)
class _Header:
    pid: int
    inode: int
    size: int
    start: int


@dataclass(frozen=True, slots=True)
class _Outcome:
    problem: str = ""  # "" = the session ended on purpose (rotation switch)
    status: Status = Status.ERROR
    progressed: bool = False
    missing: bool = False


class FileFollower:
    """A LogSource for one file on one host. Runs until cancelled; never raises."""

    def __init__(
        self,
        host: Host,
        path: str,
        *,
        source: str = "access",
        parse: FieldParser | None = None,
        positions: Positions | None = None,
        initial_bytes: int = 64 * 1024,
        poll_interval: float = 2.0,
        backoff: Backoff = FOLLOWER_BACKOFF,
        probe: ProbeId | None = None,
        gate: FloodGate | None = None,
    ) -> None:
        self.name = source
        # the console's: a flood shows its newest lines (darc_tui.logs.flood); None = every line
        self.gate = gate
        # counts lines no record is made of (the access log's window): (fields, observed_at)
        self.count: Callable[[list[tuple[dict[str, Any], float]]], None] | None = None
        self.count_parse: FieldParser | None = None  # the fields `count` reads; None = parse
        self._broken_not_shown = 0  # of the lines a flood did not show (LogRecord.broken)
        self.host, self.path, self.parse = host, path, parse
        self.positions = positions or Positions()
        self.key = f"file:{host.name}:{path}"
        self.position: FilePosition | None = self.positions.file(self.key)
        self.initial_bytes = initial_bytes
        self.poll_interval, self.backoff = poll_interval, backoff
        human = shell_join(["tail", "-F", "--", path])
        shown = human if host.kind == "local" else f"ssh {host.name} {shell_join([human])}"
        self.status = StatusReporter(
            probe or log_probe(source), f"{host.name}:{path}", shown, "tail -f by inode + offset"
        )
        self._tail = b""  # last TAIL_BYTES bytes before the offset (mirrors position.tail)

    async def follow(self, sink: LogSink) -> None:
        failures = 0
        try:
            while True:
                outcome = await self._guarded_session(sink)
                if not outcome.problem:
                    failures = 0
                    continue
                failures = 0 if outcome.progressed else failures + 1
                self.status.report(sink, outcome.status, outcome.problem)
                wait = self.poll_interval if outcome.missing else self.backoff.delay(failures)
                await asyncio.sleep(wait)
        finally:
            with contextlib.suppress(Exception):
                await self.positions.flush()

    async def _guarded_session(self, sink: LogSink) -> _Outcome:
        try:
            return await self._session(sink)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a follower reports, it never dies
            return _Outcome(f"follower failed: {type(exc).__name__}: {exc}")

    # -- one session ----------------------------------------------------------------------
    async def _session(self, sink: LogSink) -> _Outcome:
        pos = self.position
        initial = -1 if pos is not None and pos.inode < 0 else self.initial_bytes
        argv = (
            "env", "LC_ALL=C", "sh", "-c", _FOLLOW, "darc-follow", self.path,
            str(pos.inode if pos and pos.inode > 0 else 0),
            str(pos.offset if pos else 0),
            str(initial),
        )  # fmt: skip
        async with self.host.stream(argv) as stream:
            pump = ChunkPump(stream)
            try:
                header, rest = await _read_header(pump)
                if header is None:
                    return self._start_failed(stream)
                return await self._run(sink, pump, header, rest)
            finally:
                await pump.stop()

    def _start_failed(self, stream: LineStream) -> _Outcome:
        err = stream.stderr_text.strip().splitlines()
        why = err[-1] if err else (stream.error or f"exit {stream.exit_status}")
        if stream.exit_status == OPEN_FAILED and "No such file" in why:
            if self.position is None:
                self.position = FilePosition(-1, 0)  # read it from its first byte once it exists
            return _Outcome(
                f"waiting for {self.path} to appear on {self.host.name}",
                Status.WARN,
                missing=True,
            )
        if stream.exit_status == OPEN_FAILED and "ermission denied" in why:
            return _Outcome(f"cannot read {self.path} on {self.host.name}: permission denied")
        return _Outcome(f"cannot follow {self.path} on {self.host.name}: {why}")

    async def _run(self, sink: LogSink, pump: ChunkPump, header: _Header, rest: bytes) -> _Outcome:
        skip_partial = self.position is None and header.start > 0  # a first start mid-line
        await self._begin(sink, header)
        self.status.report(
            sink,
            Status.OK,
            f"following {self.path} on {self.host.name}",
            {"inode": header.inode, "offset": header.start},
        )
        splitter = LineSplitter()
        progressed = False
        rotated_at: float | None = None
        next_poll = time.monotonic() + self.poll_interval
        chunk: bytes | None = rest
        while True:
            if chunk:
                whole = None if skip_partial else splitter.feed_whole(chunk)
                if whole is not None and _TRUNCATED not in whole.body:
                    await self._take(sink, whole)
                else:
                    await self._release(sink)  # held lines go first: the order stays
                    lines = splitter.feed(chunk) if whole is None else whole.split()
                    if skip_partial and lines:
                        self._advance(lines[0])
                        lines, skip_partial = lines[1:], False
                    await self._deliver(sink, lines)
                    await asyncio.sleep(0)
                progressed = True
            if self.gate is not None and self.gate.due():
                await self._release(sink)
            if time.monotonic() >= next_poll:
                next_poll = time.monotonic() + self.poll_interval
                switch, rotated_at = await self._poll(header.pid, splitter.pending, rotated_at)
                if switch:
                    await self._release(sink)
                    return _Outcome()  # the name points to a new file and the old one is done
                await self.positions.maybe_flush()
            wait = next_poll - time.monotonic()
            held = None if self.gate is None else self.gate.wait()
            chunk = await pump.get(max(0.0, wait if held is None else min(wait, held)))
            if chunk is None:
                await self._release(sink)
                why = pump.stream.error or "the follower stopped"
                return _Outcome(f"{why} ({self.path} on {self.host.name})", progressed=progressed)

    async def _begin(self, sink: LogSink, header: _Header) -> None:
        """Place the position at the session's start, reading back what a rotation left behind."""
        old = self.position
        changed = old is not None and (header.inode != old.inode or header.start != old.offset)
        if old is not None and old.inode > 0 and changed:
            # rotated or truncated while we were not following: finish the old file first
            await self._finish_old(sink, old, "rotation")
        self._tail = b""
        self._set(FilePosition(header.inode, header.start, b"", header.size))

    async def _deliver(self, sink: LogSink, lines: list[Line]) -> None:
        start = 0
        for i, line in enumerate(lines):
            if line.data.endswith(_TRUNCATED):
                self._hand_over(sink, lines[start:i])
                start = i + 1
                await self._truncated(sink)
        self._hand_over(sink, lines[start:] if start else lines)

    def _hand_over(self, sink: LogSink, lines: list[Line]) -> None:
        """Records of `lines` to the sink in one batch, the position moved past them once."""
        if not lines:
            return
        now, name, parse = time.time(), self.name, self.parse
        records = [make_record(name, line, parse, now) for line in lines]
        self._advance_all(lines)
        sink.records(records)

    async def _take(self, sink: LogSink, batch: LineBatch) -> None:
        """Whole lines read: records now, or (a flood, through the gate) held for later."""
        at = time.time()
        self._advance_batch(batch)
        if self.gate is None:
            await self._hand_over_held(sink, [Held(batch, at)])
            return
        show, pushed_out = self.gate.admit(batch, at)
        await self._count_only(pushed_out)
        if show:
            await self._hand_over_held(sink, [Held(batch, at)])

    async def _release(self, sink: LogSink) -> None:
        """A flood's held lines, after a marker saying how many were not shown."""
        if self.gate is None or not self.gate.flooding:
            return
        out = self.gate.release()
        if out.skipped:
            at = out.held[0].at if out.held else time.time()
            broken, self._broken_not_shown = self._broken_not_shown, 0
            sink.records([skipped_record(self.name, out.skipped, broken, self.gate.rate, at)])
        await self._hand_over_held(sink, out.held)

    async def _hand_over_held(self, sink: LogSink, held: list[Held]) -> None:
        for one in held:
            for piece in one.batch.pieces(SLICE_LINES):
                sink.records(batch_records(self.name, piece, self.parse, one.at))
                # a queue that is never empty never suspends `pump.get`: let keys and
                # drawing (the console shares this loop) run between two slices
                await asyncio.sleep(0)

    async def _count_only(self, held: list[Held]) -> None:
        """Lines a flood pushed out before they were shown: counted all the same (in the
        access window, and in the marker's number of broken lines)."""
        parse = self.count_parse or self.parse
        if parse is None:
            return
        for one in held:
            for piece in one.batch.pieces(SLICE_LINES):
                found = batch_fields(piece, parse)
                self._broken_not_shown += sum(map(says_broken, found))
                if self.count is not None:
                    self.count([(fields, one.at) for fields in found])
                await asyncio.sleep(0)

    def _advance_batch(self, batch: LineBatch) -> None:
        """Move the position past a batch of whole lines."""
        pos = self.position
        assert pos is not None
        # every line is complete: the tail is the last TAIL_BYTES of what was read
        self._tail = (self._tail + batch.body[-TAIL_BYTES:] + b"\n")[-TAIL_BYTES:]
        offset = pos.offset + batch.size
        self._set(
            replace(pos, offset=offset, tail=self._tail, seen_size=max(pos.seen_size, offset))
        )

    def _advance(self, line: Line) -> None:
        self._advance_all([line])

    def _advance_all(self, lines: list[Line]) -> None:
        """Move the position past `lines`; the tail keeps the last TAIL_BYTES of complete lines
        (a cut line empties it: its bytes were not all seen)."""
        pos = self.position
        assert pos is not None
        tail, first = self._tail, 0
        for i in range(len(lines) - 1, -1, -1):
            if lines[i].size != len(lines[i].data) + 1:
                tail, first = b"", i + 1
                break
        pieces: list[bytes] = []
        room = TAIL_BYTES
        for line in reversed(lines[first:]):
            pieces.append(line.data + b"\n")
            room -= len(line.data) + 1
            if room <= 0:
                break
        self._tail = (tail + b"".join(reversed(pieces)))[-TAIL_BYTES:]
        offset = pos.offset + sum(line.size for line in lines)
        self._set(
            replace(pos, offset=offset, tail=self._tail, seen_size=max(pos.seen_size, offset))
        )

    async def _truncated(self, sink: LogSink) -> None:
        """tail saw the file shrink (copytruncate): take the rest from the copy, restart at 0."""
        old = self.position
        assert old is not None
        await self._finish_old(sink, old, "truncation")
        self._tail = b""
        self._set(FilePosition(old.inode, 0, b"", 0))

    async def _finish_old(self, sink: LogSink, old: FilePosition, what: str) -> None:
        """Deliver what followed `old` in PATH.1; a gap marker when unread bytes are gone."""
        records, complete = await self._recover(old)
        if not complete and old.seen_size > old.offset:
            records.insert(0, gap_record(self.name, f"{self.path}: lines lost in a {what}"))
        if records:
            sink.records(records)

    def _set(self, pos: FilePosition) -> None:
        self.position = pos
        self.positions.set_file(self.key, pos)

    # -- rotation -------------------------------------------------------------------------
    async def _poll(
        self, pid: int, pending: int, rotated_at: float | None
    ) -> tuple[bool, float | None]:
        """Stat the path and our fd: (switch to the new file now?, when the rotation was seen)."""
        stats = await self._stats(pid)
        pos = self.position
        assert pos is not None
        if "fd" in stats and stats["fd"][0] == pos.inode and stats["fd"][1] > pos.seen_size:
            self._set(replace(pos, seen_size=stats["fd"][1]))
        path = stats.get("path")
        if path is None or path[0] == pos.inode:
            return False, None  # same file, or the name is gone: keep reading what we have open
        now = time.monotonic()
        rotated_at = now if rotated_at is None else rotated_at
        received = pos.offset + pending
        drained = "fd" in stats and received >= stats["fd"][1]
        return path[1] > 0 and (drained or now - rotated_at > ROTATE_GRACE), rotated_at

    async def _stats(self, pid: int) -> dict[str, tuple[int, int]]:
        """{"path": (inode, size), "fd": (inode, size)}, each when it could be stat'ed. Locally
        with os.stat in a thread: a `sh` and two `stat` processes every poll cost more CPU than
        the rest of an idle follower."""
        if self.host.kind == "local":
            return await asyncio.to_thread(_stat_local, self.path, pid)
        result = await self.host.run(
            ("sh", "-c", _POLL, "darc-poll", self.path, str(pid)), timeout=10.0
        )
        return _stat_lines(result.text()) if result.ran else {}

    async def _recover(self, old: FilePosition) -> tuple[list[LogRecord], bool]:
        """Read what followed `old` from PATH.1 (renamed, or copied by copytruncate)."""
        k = len(old.tail)
        argv = (
            "env", "LC_ALL=C", "sh", "-c", _RECOVER, "darc-recover", self.path + ".1",
            str(old.offset - k + 1), str(RECOVER_LIMIT + k),
        )  # fmt: skip
        result = await self.host.run(argv, timeout=60.0)
        head, _, body = result.stdout.partition(b"\n")
        fields = head.split()
        if not result.ok or len(fields) != 2 or not fields[0].isdigit():
            return [], False
        same_file = int(fields[0]) == old.inode
        if not body.startswith(old.tail) or not (same_file or k > 0):
            return [], False  # PATH.1 does not continue what we read
        body = body[k:]
        splitter = LineSplitter()
        lines = splitter.feed(body)
        last = splitter.take_partial()  # the old file is finished: its last line is complete
        records = [make_record(self.name, line, self.parse) for line in lines]
        if last is not None:
            records.append(make_record(self.name, Line(last.data, last.size + 1), self.parse))
        if len(body) >= RECOVER_LIMIT:
            records.append(gap_record(self.name, f"{self.path}.1: skipped after 16 MiB"))
        return records, True


def _stat_local(path: str, pid: int) -> dict[str, tuple[int, int]]:
    """What _POLL prints, read in-process: `stat -L` of the path and of /proc/PID/fd/3."""
    out: dict[str, tuple[int, int]] = {}
    for name, where in (("path", path), ("fd", f"/proc/{pid}/fd/3")):
        try:
            st = os.stat(where)
        except (OSError, ValueError):  # gone, no permission, a NUL in the name
            continue
        out[name] = (st.st_ino, st.st_size)
    return out


def _stat_lines(text: str) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            out[parts[0]] = (int(parts[1]), int(parts[2]))
    return out


async def _read_header(pump: ChunkPump) -> tuple[_Header | None, bytes]:
    """The script's first line; None when the stream ended (or said something else) first."""
    data = b""
    while b"\n" not in data:
        chunk = await pump.next()
        if chunk is None or len(data) > 4096:
            return None, b""
        data += chunk
    line, _, rest = data.partition(b"\n")
    parts = line.split()
    if len(parts) != 5 or parts[0] != b"darc-follow" or not all(p.isdigit() for p in parts[1:]):
        return None, b""
    pid, inode, size, start = (int(p) for p in parts[1:])
    return _Header(pid, inode, size, start), rest
