"""One followed log source's lines for the Logs pane: the newest records, their display lines, where
the reader is (picked line, lines not seen yet). Plain data: the view draws whichever feed it shows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from rich.cells import cell_len

from darc_tui.model import LogRecord
from darc_tui.sanitize import clean

GAP, BAD, ODD, PLAIN = "≈", "✗", "▲", " "
_WARN_LEVELS = {"warn", "warning"}


def marker(rec: LogRecord) -> str:
    """✗ for 5xx and error-level lines, ▲ for 4xx, response flags and warnings, ≈ for a gap.

    Decided from the fields the engine parsed; the UI reads no log syntax itself.
    """
    if rec.gap:
        return GAP
    if rec.broken:
        return BAD
    fields = rec.fields
    status = fields.get("status")
    level = str(fields.get("level", "")).lower()
    priority = fields.get("priority")
    flags = fields.get("flags")
    has_flags = bool(flags) and flags not in ("-", ("-",))
    if (isinstance(status, int) and status >= 400) or has_flags:
        return ODD
    if level in _WARN_LEVELS or priority == 4:
        return ODD
    return PLAIN


def display_line(rec: LogRecord, mark: str | None = None) -> str:
    """Exactly one non-empty display line per record."""
    text = " ⏎ ".join(rec.line.splitlines())
    if rec.gap and "not_shown" not in rec.fields:  # a flood's marker says what it is itself
        text = f"── lines were lost here ── {text}".rstrip()
    return f"{marker(rec) if mark is None else mark} {text}"


def drawable(line: str) -> str:
    """`line` as it is drawn: records are sanitised when they are made, and a line that is still
    not printable (a record built some other way) is sanitised again rather than trusted."""
    return line if line.isprintable() else clean(line)


_ONE_CELL = frozenset((GAP, BAD, ODD, PLAIN))  # each glyph takes one cell (rich agrees)


def cells(line: str) -> int:
    """Terminal cells `line` takes: its length when it is printable ASCII after its marker glyph
    (one cell each), else rich's count (wide CJK, emoji, combining marks)."""
    if line[:1] in _ONE_CELL and line[1:].isascii():
        return len(line)
    return cell_len(line)


def _draw_lines(records: Sequence[LogRecord], marks: Sequence[str]) -> tuple[list[str], int]:
    """`drawable(display_line(rec, mark))` for each record, and the cells of the widest.

    The usual record (a printable line, so no line break, after a one-cell glyph) is just
    `mark + " " + line`, one cell per character when it is ASCII; any other goes the long way.
    """
    lines: list[str] = []
    width = 0
    for rec, mark in zip(records, marks, strict=True):
        text = rec.line
        if mark in _ONE_CELL and not rec.gap and text.isprintable():
            line = f"{mark} {text}"
            size = len(line) if text.isascii() else cell_len(line)
        else:
            line = drawable(display_line(rec, mark))
            size = cells(line)
        lines.append(line)
        if size > width:
            width = size
    return lines, width


class LogFeed:
    """The newest `size` records of one source and the line each is drawn as (1:1).

    `first_id` numbers the lines: line i of `lines` has id `first_id + i`, so a drawn line can be
    cached by id while older lines fall out of the front.
    """

    def __init__(self, source: str, size: int) -> None:
        self.source = source
        self.shown: deque[LogRecord] = deque(maxlen=size)
        self.lines: deque[str] = deque(maxlen=size)
        self.width = 0  # cells of the widest line kept since the last clear
        self.first_id = 0
        self.unseen = 0  # lines that arrived while the reader was not at the end
        self.selected: int | None = None  # index into `shown`; None = no line picked
        self.scroll_y = 0.0  # where the view stood when it last showed another feed
        self.at_end = True  # whether it stood at the end then (a feed not shown follows on)

    @property
    def size(self) -> int:
        return self.shown.maxlen or 0

    def add(
        self,
        records: Sequence[LogRecord],
        marks: Sequence[str] | None = None,
        *,
        arrived: int | None = None,
        following: bool = True,
    ) -> None:
        """Keep `records` below the others. `arrived`: how many came when only the newest (the
        feed's size) are passed in; `following`: whether the reader is at the end (else the
        arrivals count as unseen)."""
        if not records:
            return
        arrived = len(records) if arrived is None else arrived
        if marks is None:
            marks = [marker(r) for r in records]
        dropped = max(0, len(self.shown) + arrived - self.size)
        lines, width = _draw_lines(records, marks)
        self.first_id += max(0, len(self.lines) + len(lines) - self.size)
        self.width = max(self.width, width)
        self.lines.extend(lines)
        self.shown.extend(records)
        if self.selected is not None:
            # the oldest lines fall out: the selection moves with its record
            self.selected = max(0, self.selected - dropped)
        if not following:
            self.unseen += arrived

    def clear(self) -> None:
        self.first_id += len(self.lines)  # ids are never reused: a cached drawing never lies
        self.shown.clear()
        self.lines.clear()
        self.width = 0
        self.unseen = 0
        self.selected = None
