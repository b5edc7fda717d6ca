"""LogFeed's fast drawing of a batch equals the plain path (display_line, then the sanitiser's
guard, then rich's cell count) on any record, hostile ones included."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from darc_tui.model import LogRecord
from darc_tui.ui.panes.log_feed import (
    BAD,
    GAP,
    ODD,
    PLAIN,
    LogFeed,
    _draw_lines,
    cells,
    display_line,
    drawable,
    marker,
)
from darc_tui.ui.panes.logs import _by_source

HOSTILE = st.sampled_from(
    ["\x1b]52;c;aGk=\x07", "\u202e", "\r\n", "\t", "\x00", "\x85", "\u2028", "漢字", "🚀", "e\u0301",
     "\udcff", "\x7f", "\x9b31m", " ", "", "x" * 300]
)  # fmt: skip
TEXT = st.lists(st.one_of(st.text(max_size=20), HOSTILE), max_size=6).map("".join)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "status": st.one_of(st.integers(100, 599), st.just("503"), st.just(503.0)),
        "flags": st.sampled_from(["-", "UF", ("-",), ("UF", "URX"), ""]),
        "level": st.sampled_from(["info", "warning", "error", "CRITICAL"]),
        "priority": st.integers(0, 7),
    },
)


@st.composite
def records(draw: st.DrawFn) -> LogRecord:
    rec = LogRecord(draw(st.sampled_from(["access", "error"])), draw(TEXT), 1.0,
                    draw(FIELDS), gap=draw(st.booleans()))  # fmt: skip
    if draw(st.booleans()):  # a record made around LogRecord's cleaning
        object.__setattr__(rec, "line", draw(TEXT))
    return rec


@settings(max_examples=300, deadline=None)
@given(st.lists(records(), min_size=1, max_size=8), st.data())
def test_a_batch_is_drawn_as_display_line_then_the_guard_says(
    recs: list[LogRecord], data: st.DataObject
) -> None:
    own = st.sampled_from([BAD, ODD, GAP, PLAIN, "x", "漢", "\x1b"])
    marks = [data.draw(st.one_of(st.just(marker(r)), own)) for r in recs]
    lines, width = _draw_lines(recs, marks)
    expected = [drawable(display_line(r, m)) for r, m in zip(recs, marks, strict=True)]
    assert lines == expected
    assert width == max(cell_len(line) for line in expected)
    assert all(line.isprintable() or drawable(line) == line for line in lines)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_cells_is_rich_cell_len(text: str) -> None:
    for mark in (BAD, ODD, GAP, PLAIN, "x", "漢"):
        line = drawable(f"{mark}{text}")
        assert cells(line) == cell_len(line)


@settings(max_examples=100, deadline=None)
@given(st.lists(records(), max_size=12))
def test_records_split_by_source_in_order(recs: list[LogRecord]) -> None:
    split = _by_source(recs)
    assert sorted(split) == sorted({r.source for r in recs})
    for source, mine in split.items():
        assert mine == [r for r in recs if r.source == source]


def test_a_feed_counts_unseen_only_when_its_reader_is_away() -> None:
    feed = LogFeed("error", 3)
    feed.add([LogRecord("error", f"e{i}", 1.0) for i in range(2)])
    assert feed.unseen == 0 and list(feed.lines) == ["  e0", "  e1"]
    feed.selected = 1
    feed.add([LogRecord("error", f"e{i}", 1.0) for i in range(2, 6)], following=False)
    assert feed.unseen == 4 and feed.selected == 0 and list(feed.lines) == ["  e3", "  e4", "  e5"]
