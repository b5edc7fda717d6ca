"""A chunk of a busy log → records in bulk, equal one for one to `make_record` of each line.

What the general path decides per line is decided here with a few C-level scans of the chunk,
and only the lines a scan points at take a slower path, for a parser whose strings are slices of
the line (`slices`; any other parser's fields may need sanitising whatever the line):
- a line of printable ASCII needs no sanitising: it is built without LogRecord's cleaning walk,
  from one decode of the whole chunk, its fields from one generated loop over the chunk's lines;
- so is any other line whose text holds no control character, C1 or bidi code point (é, CJK,
  U+FFFD of invalid UTF-8), decoded on its own; the rest take `make_record`;
- a line in which no trigger word of darc_tui.redact occurs (bytes, any case), and no character
  that lowers to ASCII, parsed by a parser whose strings are slices of the line and whose keys
  name no secret (`from_line`), holds nothing to redact: the batch leaves it out of `suspects`,
  and redact_records passes it as it is.
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
from darc_tui.redact import SUSPECT_BYTES
from darc_tui.sanitize import is_clean
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
    if slices(parse):
        records = _records(source, batch, parse, now, ends)
    else:  # its fields may need sanitising whatever the line: the general path for each
        records = [make_record(source, Line(data, len(data) + 1), parse, now) for data in lines]
    suspects: frozenset[int] | None = None
    if parse is None or getattr(parse, "from_line", False):
        suspects = frozenset(_lines_with(body.lower(), SUSPECT_BYTES, lines, ends))
    return RecordBatch(records, suspects=suspects)


def _records(
    source: str, batch: LineBatch, parse: FieldParser | None, now: float, ends: list[int]
) -> list[LogRecord]:
    """`batch_records` for a parser that slices: clean lines in one loop, the rest one by one."""
    body, lines = batch.body, batch.lines
    # one decode for the chunk; a printable-ASCII line decodes to the same text on its own
    texts = body.decode("utf-8", "replace").split("\n")
    sizes = [n + 1 for n in map(len, texts)]
    unclean: set[int] = set()
    for i in _lines_with(body.translate(_NOT_PRINTABLE), (b"\x01",), lines, ends):
        text = lines[i].decode("utf-8", "replace")
        if is_clean(text):  # no control character (no CR to strip), no bidi: clean as it is
            texts[i], sizes[i] = text, len(lines[i]) + 1
        else:
            unclean.add(i)
    if not unclean:
        return _clean_all(source, texts, parse, now, sizes)
    keep = [i for i in range(len(texts)) if i not in unclean]
    clean = iter(_clean_all(source, [texts[i] for i in keep], parse, now, [sizes[i] for i in keep]))
    return [
        make_record(source, Line(lines[i], len(lines[i]) + 1), parse, now)
        if i in unclean
        else next(clean)
        for i in range(len(texts))
    ]


def _clean_all(
    source: str, texts: list[str], parse: FieldParser | None, now: float, sizes: list[int]
) -> list[LogRecord]:
    """The records of lines whose text needs no sanitising (each text its line, decoded)."""
    if parse is None:
        fields: list[dict[str, Any]] = [{} for _ in texts]
    else:
        many = getattr(parse, "many", None)
        fields = many(texts) if many is not None else [parse(text) for text in texts]
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
