"""A chunk of a busy log → records in bulk, equal one for one to `make_record` of each line.

What the general path decides per line is decided here with one scan of the chunk (≈ 64 KiB),
and only the lines the scan points at take the general path:
- a line of printable ASCII (no control byte, no CR, nothing above 0x7E) needs no sanitising:
  it is built without LogRecord's cleaning walk, from one decode of the whole chunk;
- such a line without any trigger word of darc_tui.redact, parsed by a parser whose strings are
  slices of the line (`from_line`), holds nothing to redact: the batch leaves it out of
  `suspects`, and redact_records passes it as it is.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import Any

from darc_tui.logs.common import (
    DISPLAY_LIMIT,
    FieldParser,
    Line,
    LineBatch,
    clean_records,
    make_record,
    slices,
)
from darc_tui.model import LogRecord
from darc_tui.redact import TRIGGER_BYTES
from darc_tui.sinks import RecordBatch

# every byte but printable ASCII and the newline separator → 1, the rest → 0 (CR counts: the
# general path strips a trailing one; so does tab: `str.isprintable` refuses it)
_NOT_PRINTABLE = bytes(0 if byte == 0x0A or 0x20 <= byte <= 0x7E else 1 for byte in range(256))


def batch_records(
    source: str, batch: LineBatch, parse: FieldParser | None, now: float
) -> RecordBatch:
    """The records of `batch`, equal one for one to `make_record` of each line."""
    body, lines = batch.body, batch.lines
    ends: list[int] = []  # where each line ends (its newline + 1), computed once if needed
    if not slices(parse):  # its fields may need sanitising whatever the line: the general path
        general = set(range(len(lines)))
    else:
        general = _lines_with(body.translate(_NOT_PRINTABLE), (b"\x01",), lines, ends)
    if len(general) == len(lines):
        records = [make_record(source, Line(data, len(data) + 1), parse, now) for data in lines]
    else:
        # one decode for the chunk; a printable-ASCII line decodes to the same text on its own
        texts = body.decode("utf-8", "replace").split("\n")
        if general:
            clean = iter(_clean_all(source, [t for i, t in enumerate(texts) if i not in general],
                                    parse, now))  # fmt: skip
            records = [
                make_record(source, Line(lines[i], len(lines[i]) + 1), parse, now)
                if i in general
                else next(clean)
                for i in range(len(texts))
            ]
        else:
            records = _clean_all(source, texts, parse, now)
    suspects: frozenset[int] | None = None
    if parse is None or getattr(parse, "from_line", False):
        triggers = _lines_with(body.lower(), TRIGGER_BYTES, lines, ends)
        suspects = frozenset(general | triggers)
    return RecordBatch(records, suspects=suspects)


def _clean_all(
    source: str, texts: list[str], parse: FieldParser | None, now: float
) -> list[LogRecord]:
    """The records of lines of printable ASCII (each text its line, decoded)."""
    if parse is None:
        fields: list[dict[str, Any]] = [{} for _ in texts]
    else:
        many = getattr(parse, "many", None)
        fields = many(texts) if many is not None else [parse(text) for text in texts]
    sizes = [n + 1 for n in map(len, texts)]
    shown = texts
    if texts and max(map(len, texts)) > DISPLAY_LIMIT:
        shown = [_shorten(text) for text in texts]
    return clean_records(source, shown, now, fields, sizes)


def _shorten(text: str) -> str:
    return text if len(text) <= DISPLAY_LIMIT else text[: DISPLAY_LIMIT - 1] + "…"


def _lines_with(
    data: bytes, words: tuple[bytes, ...], lines: Sequence[bytes], ends: list[int]
) -> set[int]:
    """The indexes of the lines of `data` (the lines joined) in which any of `words` occurs:
    one C-level find per word and per line found, none per line that has none."""
    found: set[int] = set()
    for word in words:
        at = data.find(word)
        while at >= 0:
            if not ends:
                ends.extend(accumulate(len(line) + 1 for line in lines))
            i = bisect_right(ends, at)
            found.add(i)
            at = data.find(word, ends[i]) if i < len(ends) else -1
    return found
