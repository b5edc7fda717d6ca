"""The batch path of following a busy log gives byte for byte what the per-line path gives: the
records, the redacted records, the `--json` and text output, the resume position and the window
counts — on the recorded Envoy logs and on hostile lines (escapes, C1, bidi, invalid UTF-8, CR,
tabs, secrets, huge lines)."""

from __future__ import annotations

import dataclasses
import io
import json
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from darc_tui.logs.batch import batch_records
from darc_tui.logs.command import PrintSink, json_lines, record_json
from darc_tui.logs.common import (
    DISPLAY_LIMIT,
    KEEP_LIMIT,
    Line,
    LineBatch,
    LineSplitter,
    make_record,
)
from darc_tui.logs.formats import access_fields, envoy_log_fields
from darc_tui.logs.window import AccessWindow
from darc_tui.model import LogRecord
from darc_tui.parse.access_log import (
    DEFAULT,
    ResponseFlag,
    compile_format,
    compile_json_format,
)
from darc_tui.redact import _TRIGGERS, LOWERS_TO_ASCII, MASK, redact_record, redact_records
from darc_tui.sinks import RecordBatch
from tests.hostile import EVERYTHING, HOSTILE, unsafe_in

DATA = Path(__file__).resolve().parent.parent / "data" / "logs"
RECORDED = [
    line
    for name in ("envoy-1.40-default.log", "envoy-1.40-probe-traffic.log")
    for line in (DATA / name).read_bytes().split(b"\n")
    if line
]
CUSTOM = compile_format((DATA / "envoy-1.40-custom.format").read_text())
CUSTOM_LINES = [line for line in (DATA / "envoy-1.40-custom.log").read_bytes().split(b"\n") if line]
OK = RECORDED[0]
JSON_FORMAT = compile_json_format({"ua": "%REQ(USER-AGENT)%", "code": "%RESPONSE_CODE%"})
JSON_LINES = [
    b'{"ua": "\\u001b]52;c;aGk=\\u0007", "code": 200}',  # printable ASCII, escapes inside
    b'{"ua": "\\u202eevil\\u009b2J", "code": 503}',
    b'{"ua": "curl/8", "code": 200}',
    '{"ua": "caf\u00e9 \u2028", "code": 200}'.encode(),
]
SECRET_LINES = [
    OK.replace(b"curl/7.88.1", b"authorization: Bearer abc.def-123"),
    OK.replace(b"GET /ok", b'GET /api/token=a"b'),
    OK.replace(b"curl/7.88.1", b"Cookie: session=s3cr3t; theme=dark"),
    OK.replace(b"/ok", b"/login?password=hunter2&next=/"),
    OK.replace(b"curl/7.88.1", b"\xe2\x84\xaaey=v4lue"),  # KELVIN SIGN lowers to "k"
    OK.replace(b"curl/7.88.1", "authorİzation: Bearer abc.def-123".encode()),  # İ lowers to i̇
    OK.replace(b"example.test", b"user:pw@example.test"),
    OK.replace(b"req-1", b"eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl"),
]
HOSTILE_LINES = [OK.replace(b"curl/7.88.1", text.encode()) for text in (*HOSTILE, EVERYTHING)] + [
    OK + b"\r",
    OK.replace(b" ", b"\t", 1),
    OK.replace(b"curl", b"cu\xffrl\xe2\x82"),  # invalid UTF-8, a cut sequence
    b"\xc2\x9b2J" + OK,  # C1 CSI, encoded
    b"",
    b"plain text that is no access log",
    OK.replace(b"/ok", b"/" + b"x" * (DISPLAY_LIMIT + 10)),  # longer than the display limit
]
NON_ASCII_LINES = [  # clean text that is not ASCII: é, U+FFFD of invalid UTF-8, a CJK agent
    OK.replace(b"curl/7.88.1", "café/1.0 ☕ 代理".encode()),
    OK.replace(b"/ok", b"/\xff\xfe"),
    OK.replace(b"example.test", "xn--bcher-kva.test/bücher".encode()),
]
ALL_LINES = RECORDED + CUSTOM_LINES + SECRET_LINES + HOSTILE_LINES + NON_ASCII_LINES + JSON_LINES


def per_line(lines: list[bytes], parse: object, now: float = 7.0) -> list[LogRecord]:
    return [make_record("access", Line(d, len(d) + 1), parse, now) for d in lines]  # type: ignore[arg-type]


def batched(lines: list[bytes], parse: object, now: float = 7.0) -> RecordBatch:
    return batch_records("access", LineBatch(b"\n".join(lines), lines), parse, now)  # type: ignore[arg-type]


def as_tuples(records: list[LogRecord]) -> list[tuple[object, ...]]:
    return [dataclasses.astuple(r) for r in records]


PARSERS = {
    "default": access_fields(DEFAULT),
    "custom": access_fields(CUSTOM),
    "error": envoy_log_fields,
    "json": access_fields(JSON_FORMAT),
    "none": None,
}


def sanitised(lines: list[bytes], parse: object, now: float = 7.0) -> list[LogRecord]:
    """The reference: every record through LogRecord's own sanitising constructor."""
    out = []
    for data in lines:
        text = data.decode("utf-8", "replace").rstrip("\r")
        fields = parse(text) if parse is not None else {}  # type: ignore[operator]
        shown = text if len(text) <= DISPLAY_LIMIT else text[: DISPLAY_LIMIT - 1] + "…"
        out.append(LogRecord("access", shown, now, fields=fields, size=len(data) + 1))
    return out


@pytest.mark.parametrize("parser", PARSERS)
def test_records_equal_the_sanitising_constructor(parser: str) -> None:
    """The clean paths (printable ASCII, clean non-ASCII text) skip the walk only when it would
    change nothing: the same records as LogRecord(...), batched and line by line."""
    parse = PARSERS[parser]
    want = as_tuples(sanitised(ALL_LINES, parse))
    assert as_tuples(per_line(ALL_LINES, parse)) == want
    assert as_tuples(batched(ALL_LINES, parse)) == want


def test_json_format_fields_are_sanitised_even_on_a_printable_ascii_line() -> None:
    """`\\u001b` in a JSON log decodes to ESC: its line is clean, its fields are not."""
    parse = PARSERS["json"]
    for records in (per_line(JSON_LINES, parse), batched(JSON_LINES, parse)):
        assert records[0].fields["user_agent"] == "␛]52;c;aGk=␇"
        assert unsafe_in(json.dumps([r.fields for r in records], ensure_ascii=False)) == []


@pytest.mark.parametrize("parser", PARSERS)
def test_batch_records_equal_per_line_records_on_recorded_and_hostile_lines(parser: str) -> None:
    parse = PARSERS[parser]
    assert as_tuples(batched(ALL_LINES, parse)) == as_tuples(per_line(ALL_LINES, parse))


@pytest.mark.parametrize("parser", PARSERS)
def test_batch_redaction_equals_redacting_every_record(parser: str) -> None:
    parse = PARSERS[parser]
    fast = redact_records(batched(ALL_LINES, parse))
    slow = [redact_record(r) for r in per_line(ALL_LINES, parse)]
    assert as_tuples(fast) == as_tuples(slow)
    shown = "".join(r.line for r in fast)
    assert MASK in shown and "hunter2" not in shown and "s3cr3t" not in shown


def test_only_lines_with_a_trigger_or_a_character_lowering_to_ascii_are_suspects() -> None:
    kelvin, dotted = SECRET_LINES[4], OK.replace(b"/ok", "/authorİzation".encode())
    lines = [OK, SECRET_LINES[0], OK, HOSTILE_LINES[0], NON_ASCII_LINES[0], kelvin, dotted]
    assert batched(lines, PARSERS["default"]).suspects == {1, 5, 6}
    assert batched(lines, lambda text: {}).suspects is None  # a parser not known to slice


def test_only_two_characters_lower_to_ascii() -> None:
    """What leaves a non-ASCII line out of `suspects` (darc_tui.redact.LOWERS_TO_ASCII)."""
    found = [
        char
        for char in map(chr, range(0x80, sys.maxunicode + 1))
        if any(ord(c) < 0x80 for c in char.lower())
    ]
    assert tuple(found) == LOWERS_TO_ASCII


def test_no_response_flag_code_holds_a_trigger_word() -> None:
    """Flags are the one string of an access record that is not a slice of its line."""
    assert not [f for f in ResponseFlag for word in _TRIGGERS if word in f.value.lower()]


@pytest.mark.parametrize("as_json", [True, False])
def test_print_sink_output_is_byte_identical(as_json: bool) -> None:
    def printed(records: list[LogRecord]) -> str:
        out = io.StringIO()
        PrintSink("access", as_json=as_json, out=out, err=io.StringIO()).records(records)
        return out.getvalue()

    parse = PARSERS["default"]
    fast, slow = printed(batched(ALL_LINES, parse)), printed(per_line(ALL_LINES, parse))
    assert fast == slow and unsafe_in(fast) == []
    if as_json:
        assert json.loads(fast.splitlines()[0])["line"] == OK.decode()


def test_json_lines_equal_record_json_including_gaps_cut_lines_and_huge_ints() -> None:
    records = [
        *per_line(ALL_LINES, PARSERS["default"]),
        LogRecord("access", "-- gap --", 1.0, fields={"gap": "x"}, gap=True),
        LogRecord("access", "cut…", 1.0, size=10_000),
        LogRecord("access", "big", 1.0, fields={"n": 2**70}, size=4),
    ]
    assert json_lines(records) == b"".join(record_json(r) + b"\n" for r in records)


lines_st = st.lists(
    st.one_of(
        st.sampled_from(ALL_LINES),
        st.binary(max_size=60),
        st.builds(
            lambda a, b, c: a[:c] + b + a[c:],
            st.sampled_from(RECORDED),
            st.binary(max_size=8),
            st.integers(0, 200),
        ),
    ).map(lambda b: b.replace(b"\n", b" ")),
    min_size=1,
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(lines_st)
def test_any_lines_batch_like_per_line(lines: list[bytes]) -> None:
    parse = PARSERS["default"]
    fast, slow = batched(lines, parse), per_line(lines, parse)
    assert as_tuples(fast) == as_tuples(slow)
    assert as_tuples(redact_records(fast)) == as_tuples([redact_record(r) for r in slow])
    assert json_lines(redact_records(fast)) == b"".join(
        record_json(redact_record(r)) + b"\n" for r in slow
    )


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.lists(st.integers(1, 120), max_size=20), st.integers(8, 64))
def test_feed_whole_then_feed_splits_like_feed(data: bytes, cuts: list[int], keep: int) -> None:
    """Any chunking: whole-line batches plus the general split give the lines `feed` gives."""
    chunks, at = [], 0
    for n in cuts:
        chunks.append(data[at : at + n])
        at += n
    chunks.append(data[at:])
    reference, mixed = LineSplitter(keep), LineSplitter(keep)
    want: list[Line] = []
    got: list[Line] = []
    for chunk in chunks:
        want += reference.feed(chunk)
        whole = mixed.feed_whole(chunk)
        got += mixed.feed(chunk) if whole is None else whole.split()
    assert got == want
    assert (mixed.pending, mixed.take_partial()) == (reference.pending, reference.take_partial())


def test_a_line_over_the_keep_limit_takes_the_general_split() -> None:
    splitter = LineSplitter()
    assert splitter.feed_whole(b"x" * (KEEP_LIMIT + 1) + b"\nok\n") is None
    assert [line.size for line in splitter.feed(b"x" * (KEEP_LIMIT + 1) + b"\nok\n")] == [
        KEEP_LIMIT + 2,
        3,
    ]


entries_st = st.lists(
    st.tuples(
        st.fixed_dictionaries(
            {},
            optional={
                "timestamp": st.floats(0, 200),
                "status": st.sampled_from([200, 404, 500, 503, 504]),
                "flags": st.lists(
                    st.sampled_from(["UF", "URX", "UH", "UO"]), max_size=2, unique=True
                ),
                "upstream_host": st.sampled_from(["a:1", "b:2", "-"]),
                "details": st.sampled_from(["via_upstream", "", "upstream_reset"]),
                "upstream_service_time_ms": st.integers(0, 9),
                "path": st.sampled_from(["/a?x=1", "/b", ""]),
                "user_agent": st.sampled_from(["curl/8", "darc-tui/1.0"]),
            },
        ),
        st.floats(0, 200),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(entries_st, st.lists(st.integers(1, 10), max_size=8), st.floats(0, 300), st.integers(3, 50))
def test_window_add_many_counts_like_add(
    records: list[tuple[dict[str, object], float]], sizes: list[int], now: float, max_kept: int
) -> None:
    one, many = AccessWindow(60, clock=lambda: 100.0), AccessWindow(60, clock=lambda: 100.0)
    one.max_kept = many.max_kept = max_kept
    for fields, at in records:
        one.add(fields, at)
    at = 0
    for n in [*sizes, len(records)]:
        many.add_many(records[at : at + n])
        at += n
    assert one.counts(now) == many.counts(now)
    assert one.counts(now + 30) == many.counts(now + 30)


@given(lines_st, st.integers(1, 7))
def test_slices_of_a_batch_hold_its_lines_in_order(lines: list[bytes], most: int) -> None:
    batch = LineBatch(b"\n".join(lines), lines)
    pieces = batch.pieces(most)
    assert [line for piece in pieces for line in piece.lines] == lines
    assert all(p.body == b"\n".join(p.lines) and len(p.lines) <= most for p in pieces)
    assert sum(p.size for p in pieces) == batch.size  # the position moves by the same bytes
