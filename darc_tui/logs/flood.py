"""A flood of log lines: every line counted, a readable share of them shown.

At 50 000 lines a second nobody reads lines; they read counts, and the newest lines when they
pause. Turning every line into a record (sanitised, redacted, drawn) costs more than a core, so
the console would fall behind the log and stop answering keys. The console's followers go
through a FloodGate: below `rate` lines a second every line becomes a record at once, as
before. Above it the gate holds the lines that came and, every `period` seconds, lets the
newest `keep` of them through, after one marker record that says how many were not shown. The
lines pushed out of the held set are handed back so the caller counts them (the access log's
window still sees every line: the evidence does not change, only what is drawn).

`darc-tui logs` has no gate: it prints every line.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from darc_tui.logs.common import FieldParser, LineBatch, fields_are_clean, gap_record, slices
from darc_tui.model import LogRecord
from darc_tui.sanitize import clean_mapping

SHOW_RATE = 4000.0  # lines a second per source shown as they come; above it, the newest
SHOW_PERIOD = 0.5  # seconds between two lets-through of a flood
# seconds of SHOW_RATE saved up: Envoy writes its access log in bursts (every 10 s by default,
# --file-flush-interval-msec), so a site at 400 requests/s hands over 4 000 lines at once
SHOW_BURST = 10.0


@dataclass(slots=True)
class Held:
    """Lines read at `at` (wall clock: the records' observed_at) and not yet shown."""

    batch: LineBatch
    at: float


@dataclass(slots=True)
class Release:
    """What a gate lets through at the end of a period: how many lines were not shown, and
    the newest lines, in order."""

    skipped: int
    held: list[Held] = field(default_factory=list)


class FloodGate:
    """A token bucket of `rate` lines a second (at most `rate * burst` saved up)."""

    def __init__(
        self,
        rate: float = SHOW_RATE,
        period: float = SHOW_PERIOD,
        clock: Callable[[], float] = time.monotonic,
        burst: float = SHOW_BURST,
    ) -> None:
        self.rate, self.period, self.clock = rate, period, clock
        self.keep = max(1, int(rate * period))  # lines shown per period of a flood
        self.most = max(float(self.keep), rate * burst)  # lines saved up at most
        self.tokens = self.most
        self._filled_at = clock()
        self.held: deque[Held] = deque()
        self.held_lines = 0
        self.skipped = 0  # lines pushed out of `held` since the last release
        self.deadline: float | None = None  # when the held lines go out; None = no flood

    @property
    def flooding(self) -> bool:
        return self.deadline is not None

    def admit(self, batch: LineBatch, at: float) -> tuple[bool, list[Held]]:
        """(show `batch` now?, the held lines pushed out by it: count them, do not show them)."""
        now = self.clock()
        self.tokens = min(self.most, self.tokens + (now - self._filled_at) * self.rate)
        self._filled_at = now
        n = len(batch.lines)
        if self.deadline is None and n <= self.tokens:
            self.tokens -= n
            return True, []
        if self.deadline is None:
            self.deadline = now + self.period
        self.held.append(Held(batch, at))
        self.held_lines += n
        return False, self._push_out()

    def _push_out(self) -> list[Held]:
        out: list[Held] = []
        excess = self.held_lines - self.keep
        while excess > 0:
            first = self.held[0]
            lines = first.batch.lines
            if len(lines) <= excess:
                self.held.popleft()
                out.append(first)
                gone = len(lines)
            else:  # the oldest lines of the batch go, its newest stay held
                out.append(Held(_batch(lines[:excess]), first.at))
                first.batch = _batch(lines[excess:])
                gone = excess
            self.held_lines -= gone
            self.skipped += gone
            excess -= gone
        return out

    def wait(self) -> float | None:
        """Seconds until the held lines are due; None when nothing is held."""
        return None if self.deadline is None else max(0.0, self.deadline - self.clock())

    def due(self) -> bool:
        return self.deadline is not None and self.clock() >= self.deadline

    def release(self) -> Release:
        """The period is over: the held lines, and how many were pushed out before them. The
        period's budget went to them: the next lines wait for the bucket to fill again."""
        out = Release(self.skipped, list(self.held))
        self.held.clear()
        self.held_lines = self.skipped = 0
        self.deadline = None
        self.tokens = 0.0
        self._filled_at = self.clock()
        return out


def skipped_record(source: str, skipped: int, broken: int, rate: float, at: float) -> LogRecord:
    """The marker before the lines a flood let through; it counts as no line (a gap). Its
    fields say how many lines it stands for and how many of them said something broke."""
    why = (
        f"{skipped} lines not shown ({broken} of them broken): more than {rate:g} lines/s "
        "arrive, each of them is counted"
    )
    return gap_record(source, why, at, not_shown=skipped, not_shown_broken=broken)


def batch_fields(batch: LineBatch, parse: FieldParser | None) -> list[dict[str, Any]]:
    """The fields of each line of `batch`, equal to the `fields` of the records
    darc_tui.logs.batch.batch_records makes of it (for counting lines no record is made of)."""
    if parse is None:
        return [{} for _ in batch.lines]
    if slices(parse) and not batch.body.translate(None, _PRINTABLE):  # printable ASCII: text = line
        texts = batch.body.decode("ascii").split("\n")
        many = getattr(parse, "many", None)
        return many(texts) if many is not None else [parse(text) for text in texts]
    return [_fields(data, parse) for data in batch.lines]


def _fields(data: bytes, parse: FieldParser) -> dict[str, Any]:
    """make_record's fields of one line, without the record (LogRecord cleans them when the
    line's text needed cleaning or the parser does not promise slices of the line)."""
    text = data.decode("utf-8", "replace").rstrip("\r")
    fields = parse(text)
    if fields_are_clean(parse, text):
        return fields
    cleaned: dict[str, Any] = clean_mapping(fields)
    return cleaned


# printable ASCII and the newline: what batch_records builds without LogRecord's cleaning
_PRINTABLE = bytes([0x0A, *range(0x20, 0x7F)])


def _batch(lines: list[bytes]) -> LineBatch:
    return LineBatch(b"\n".join(lines), lines)
