"""The one-regex lead match and the generated field builder give exactly what the slot-by-slot
match and `_fields` give, on recorded lines, mangled lines and formats with repeated fields."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from darc_tui.parse._access_fast import _committed, _fenced
from darc_tui.parse.access_log import DEFAULT, AccessLogFormat, _fields, compile_format

DATA = Path(__file__).resolve().parent.parent / "data" / "logs"
RECORDED = [
    line
    for name in ("envoy-1.40-default.log", "envoy-1.40-probe-traffic.log", "envoy-1.40-custom.log")
    for line in (DATA / name).read_bytes().decode("utf-8", "replace").splitlines()
]
FORMATS = {
    "default": DEFAULT,
    "custom": compile_format((DATA / "envoy-1.40-custom.format").read_text()),
    "no_free_text": compile_format("%RESPONSE_CODE% %RESPONSE_FLAGS% %DURATION%\n"),
    "repeated": compile_format('%RESPONSE_CODE% %RESPONSE_CODE% "%REQ(USER-AGENT)%" %PROTOCOL%'),
    "labels": compile_format('[%START_TIME%] %CONNECTION_ID% "%REQ(X-A)%" x=%REQ(X-B)% %FOO%'),
    "time_format": compile_format("%START_TIME(%s)% %RESPONSE_CODE% %UPSTREAM_HOST%"),
}


def reference(fmt: AccessLogFormat, line: str) -> dict[str, object] | None:
    """The slot-by-slot match and `_fields`, as before the fast path."""
    slow = dataclasses.replace(fmt, lead=None, whole=None, plan=None)
    line = line.rstrip("\r\n")
    values = slow._match(line)
    return None if values is None else _fields(slow.slots, values)


def check(fmt: AccessLogFormat, line: str) -> None:
    fast, slow = fmt.fields(line), reference(fmt, line)
    assert fast == slow and list(fast or ()) == list(slow or ())
    many = fmt.fields_many()
    if many is not None:  # the generated loop over many lines: the same dicts, keys in order
        got = many([line, line])
        assert got == [slow or {}] * 2 and [list(d) for d in got] == [list(slow or {})] * 2


def test_the_fast_path_is_on_for_the_default_format() -> None:
    assert DEFAULT.lead is not None and DEFAULT.whole is not None and DEFAULT.plan is not None
    assert DEFAULT.fields_many() is not None
    assert r"[^\]\"]*+" in DEFAULT.lead.pattern  # START_TIME, committed (see below)
    assert FORMATS["repeated"].plan is None  # a repeated typed field: the general builder


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("line", RECORDED)
def test_recorded_lines_match_like_the_slot_loop(name: str, line: str) -> None:
    check(FORMATS[name], line)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(FORMATS)),
    st.sampled_from(RECORDED),
    st.integers(0, 300),
    st.text(
        alphabet=st.sampled_from(list(' "-[]:,=0123456789AUFx\x1b\u202e\ufffd\\')), max_size=12
    ),
)
def test_mangled_lines_match_like_the_slot_loop(name: str, line: str, at: int, insert: str) -> None:
    check(FORMATS[name], line[:at] + insert + line[at:])


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(FORMATS)), st.text(max_size=80))
def test_any_text_matches_like_the_slot_loop(name: str, line: str) -> None:
    check(FORMATS[name], line)


@pytest.mark.parametrize("times", [1, 3, 300, 20_000])  # the one-regex match, then the loop
@pytest.mark.parametrize("unit", ['" "', '"', " ", 'a" "', '" "a', '"x" "y'])
@pytest.mark.parametrize("where", ["curl/7.88.1", "example.test", "127.0.0.1:56011"])
def test_quote_heavy_values_split_the_same(times: int, unit: str, where: str) -> None:
    line = RECORDED[0].replace(where, unit * times)
    check(DEFAULT, line)
    check(DEFAULT, line[:-1])  # and when the line does not parse


@pytest.mark.parametrize(
    ("literal", "char_class", "fenced"),
    [
        ('" "', r"\S", True),  # the space is outside \S, in B and in the tail " a border leaves
        ('" "', r"[^\"\s]", True),
        ('"', r"\S", False),  # a value of \S may hold the literal: no last-occurrence proof
        ("aXa", r"[^X]", True),  # a second "aXa" two further pushes "Xa" into the value
        ("aa", r"[^b]", False),
    ],
)
def test_a_literal_must_fence_its_value(literal: str, char_class: str, fenced: bool) -> None:
    assert _fenced(literal, char_class) is fenced


@pytest.mark.parametrize(
    ("pattern", "after", "committed"),
    [
        (r"[^\]\"]*?", '] "', r"[^\]\"]*+"),  # the default START_TIME: `]` ends its run
        (r"\S*?", " ", r"\S*+"),
        (r"\S*?", "x", r"\S*?"),  # the literal could start inside the run: stays lazy
        (r"[^\]\"]*?", "", r"[^\]\"]*?"),  # nothing after it
        (r".*?", " ", r".*?"),  # not a character class
        (r"\d{2}", " ", r"\d{2}"),
    ],
)
def test_a_lazy_run_is_committed_only_before_a_literal_it_cannot_start(
    pattern: str, after: str, committed: str
) -> None:
    assert _committed(pattern, after) == committed


@pytest.mark.parametrize("name", FORMATS)
def test_many_lines_at_once_equal_each_line(name: str) -> None:
    fmt = FORMATS[name]
    lines = [*RECORDED, "", "x", RECORDED[0] + "\r\n", RECORDED[0].replace("200", "x" * 3000)]
    many = fmt.fields_many()
    if many is None:  # no plan, or no whole-line regex: TextFormatFields loops over `fields`
        assert fmt.plan is None or fmt.whole is None
        return
    assert many(lines) == [fmt.fields(line) or {} for line in lines]
