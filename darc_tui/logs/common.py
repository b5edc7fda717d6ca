"""Pieces every follower shares: bytes → complete lines, reconnect backoff, status evidence."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from darc_tui.hosts.base import LineStream
from darc_tui.ids import ProbeId
from darc_tui.model import Evidence, LogRecord, Status, Vantage
from darc_tui.retry import Backoff
from darc_tui.sanitize import is_clean
from darc_tui.sinks import LogSink

DISPLAY_LIMIT = 2000  # characters of a line kept for display
KEEP_LIMIT = 64 * 1024  # bytes of a line kept for parsing; the rest is only counted
# bytes of queued chunks a follower takes in one piece: big enough that a batch's fixed costs
# vanish (≈ 900 lines), small enough that one batch holds the event loop ≈ 20 ms, not 200
JOIN_LIMIT = 128 * 1024

FieldParser = Callable[[str], dict[str, Any]]


FOLLOWER_BACKOFF = Backoff(base=0.5)  # a follower's retry is cheap: start faster than a host


@dataclass(frozen=True, slots=True)
class Line:
    """One complete line: its kept bytes (≤ KEEP_LIMIT, without the newline) and its real size."""

    data: bytes
    size: int  # bytes including the newline, even when `data` was cut


@dataclass(frozen=True, slots=True)
class LineBatch:
    """Complete lines, none of them cut: `body` is the lines joined by newlines."""

    body: bytes
    lines: list[bytes]

    @property
    def size(self) -> int:
        """Bytes the lines took in the file, newlines included."""
        return len(self.body) + 1

    def pieces(self, most: int) -> list[LineBatch]:
        """The batch cut into batches of at most `most` lines, in order."""
        lines = self.lines
        if len(lines) <= most:
            return [self]
        groups = [lines[i : i + most] for i in range(0, len(lines), most)]
        return [LineBatch(b"\n".join(group), group) for group in groups]

    def split(self) -> list[Line]:
        """The lines one by one, for the general path."""
        return [Line(data, len(data) + 1) for data in self.lines]


class LineSplitter:
    """Raw chunks → complete lines. A trailing partial line waits for its newline.

    A line longer than KEEP_LIMIT is kept only up to the limit (memory stays bounded for a 1 GiB
    line) but its full size is counted, so byte offsets stay exact.
    """

    def __init__(self, keep: int = KEEP_LIMIT) -> None:
        self.keep = keep
        self._head = bytearray()
        self._size = 0  # bytes of the pending partial line seen so far

    @property
    def pending(self) -> int:
        return self._size

    def feed(self, chunk: bytes) -> list[Line]:
        lines: list[Line] = []
        start = 0
        while True:
            nl = chunk.find(b"\n", start)
            if nl < 0:
                self._add(chunk[start:])
                return lines
            self._add(chunk[start:nl])
            lines.append(Line(bytes(self._head), self._size + 1))
            self._head.clear()
            self._size = 0
            start = nl + 1

    def feed_whole(self, chunk: bytes) -> LineBatch | None:
        """The complete lines of `chunk` in bulk when none of them is cut; None, with nothing
        consumed, when `feed` must take the chunk."""
        nl = chunk.rfind(b"\n")
        if nl < 0 or self._size > len(self._head):
            return None
        body = bytes(self._head) + chunk[:nl] if self._head else chunk[:nl]
        lines = body.split(b"\n")
        if max(map(len, lines)) > self.keep:
            return None
        self.reset()
        self._add(chunk[nl + 1 :])
        return LineBatch(body, lines)

    def _add(self, piece: bytes) -> None:
        room = self.keep - len(self._head)
        if room > 0:
            self._head += piece[:room]
        self._size += len(piece)

    def take_partial(self) -> Line | None:
        """The pending partial line (for a file that is finished), and forget it."""
        if not self._size:
            return None
        line = Line(bytes(self._head), self._size)
        self.reset()
        return line

    def reset(self) -> None:
        self._head.clear()
        self._size = 0


def display_text(data: bytes, limit: int = DISPLAY_LIMIT) -> str:
    text = data.decode("utf-8", "replace").rstrip("\r")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def make_record(
    source: str, line: Line, parse: FieldParser | None, now: float | None = None
) -> LogRecord:
    text = data_text = line.data.decode("utf-8", "replace").rstrip("\r")
    fields: dict[str, Any] = {}
    if parse is not None and line.size - 1 <= KEEP_LIMIT:
        fields = parse(data_text)
    if len(text) > DISPLAY_LIMIT:
        text = text[: DISPLAY_LIMIT - 1] + "…"
    at = time.time() if now is None else now
    if fields_are_clean(parse, data_text):
        return clean_record(source, text, at, fields, line.size)
    return LogRecord(source, text, at, fields=fields, size=line.size)


def fields_are_clean(parse: FieldParser | None, text: str) -> bool:
    """True when the fields `parse` gives the line `text` need no sanitising: the parser slices
    its lines and the text is clean (else LogRecord cleans them when it is made)."""
    return slices(parse) and ((text.isascii() and text.isprintable()) or is_clean(text))


def slices(parse: FieldParser | None) -> bool:
    """True when every string `parse` returns is a slice of its line (or a constant) and every
    key is clean: then a line that needs no sanitising gives fields that need none either. Not
    so for a JSON format, whose `\\u001b` escapes decode to ESC in a line of printable ASCII."""
    return parse is None or getattr(parse, "slices", False) is True


_new = object.__new__
# a frozen dataclass's own slot descriptors: one C call per field, no frozen __setattr__ detour
_SLOT: dict[str, Any] = dict(vars(LogRecord))
_SET_SOURCE, _SET_LINE, _SET_AT, _SET_FIELDS, _SET_SIZE, _SET_GAP = (
    _SLOT[name].__set__ for name in ("source", "line", "observed_at", "fields", "size", "gap")
)


def clean_record(source: str, text: str, at: float, fields: dict[str, Any], size: int) -> LogRecord:
    """A LogRecord without LogRecord.__post_init__'s sanitising walk over every field: only for
    a line whose text needs no sanitising, parsed by a parser that `slices` (its fields are then
    clean already; the walk was a sixth of the CPU of following a busy access log)."""
    record = _new(LogRecord)
    _SET_SOURCE(record, source)
    _SET_LINE(record, text)
    _SET_AT(record, at)
    _SET_FIELDS(record, fields)
    _SET_SIZE(record, size)
    _SET_GAP(record, False)
    return record


def clean_records(
    source: str, texts: list[str], at: float, fields: list[dict[str, Any]], sizes: list[int]
) -> list[LogRecord]:
    """`clean_record` of each (text, fields, size), in one loop."""
    new, records = _new, list[LogRecord]()
    add = records.append
    for text, found, size in zip(texts, fields, sizes, strict=True):
        record = new(LogRecord)
        _SET_SOURCE(record, source)
        _SET_LINE(record, text)
        _SET_AT(record, at)
        _SET_FIELDS(record, found)
        _SET_SIZE(record, size)
        _SET_GAP(record, False)
        add(record)
    return records


def gap_record(source: str, why: str, at: float | None = None, **facts: Any) -> LogRecord:
    """A marker line, no line of the log: `why` in its text and its `gap` field, `facts` beside."""
    at = time.time() if at is None else at
    return LogRecord(source, f"-- {why} --", at, fields={"gap": why, **facts}, gap=True)


class StatusReporter:
    """Emits a follower's state as Evidence, only when it changes."""

    def __init__(self, probe: ProbeId, target: str, command: str, via: str) -> None:
        self.probe, self.target, self.command, self.via = probe, target, command, via
        self._last: tuple[Status, str] | None = None

    def report(
        self, sink: LogSink, status: Status, detail: str, facts: dict[str, Any] | None = None
    ) -> None:
        if self._last == (status, detail):
            return
        self._last = (status, detail)
        sink.evidence(
            Evidence(
                self.probe,
                self.target,
                Vantage.ENVOY_HOST,
                status,
                detail,
                command=self.command,
                via=self.via,
                facts=facts or {},
            )
        )


class ChunkPump:
    """Reads a stream in a task into a bounded queue, so a follower can do other work (stat
    polls, status reports) between chunks without cancelling the stream's iterator."""

    def __init__(self, stream: LineStream) -> None:
        self.stream = stream
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=64)
        self._ended = False  # the end marker was taken out of the queue already
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for chunk in self.stream:
                await self._queue.put(chunk)
        except asyncio.CancelledError:
            raise
        except Exception:  # a broken stream ends like a closed one; its `error` says why
            pass
        await self._queue.put(None)

    async def next(self) -> bytes | None:
        """The next chunk; None at the end of the stream."""
        if self._ended:
            return None
        return await self._queue.get()

    async def get(self, timeout: float) -> bytes | None:
        """What arrived since the last call, in one piece of up to JOIN_LIMIT bytes when the
        reader is behind (bigger batches cost less per line); b"" when nothing came within
        `timeout`, None at the end of the stream."""
        if self._ended:
            return None
        try:
            async with asyncio.timeout(timeout):
                first = await self._queue.get()
        except TimeoutError:
            return b""
        return self._join(first) if first and not self._queue.empty() else first

    def _join(self, first: bytes) -> bytes:
        parts, size = [first], len(first)
        while size < JOIN_LIMIT and not self._queue.empty():
            chunk = self._queue.get_nowait()
            if chunk is None:
                self._ended = True
                break
            parts.append(chunk)
            size += len(chunk)
        return b"".join(parts)

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
