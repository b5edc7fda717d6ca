"""The fast path of following a busy log gives exactly what the general path gives: parsed fields,
clean records, masked secrets, and the resume position."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from darc_tui.hosts.local import LocalHost
from darc_tui.logs.common import Line, make_record
from darc_tui.logs.file_follower import FileFollower
from darc_tui.logs.formats import access_fields
from darc_tui.logs.positions import TAIL_BYTES, FilePosition
from darc_tui.model import LogRecord
from darc_tui.parse.access_log import DEFAULT, compile_format
from darc_tui.redact import MASK, redact_record

DATA = Path(__file__).resolve().parent.parent / "data" / "logs"
RECORDED = [
    line
    for name in ("envoy-1.40-default.log", "envoy-1.40-probe-traffic.log")
    for line in (DATA / name).read_bytes().decode("utf-8", "replace").splitlines()
]
CUSTOM = compile_format((DATA / "envoy-1.40-custom.format").read_text())
CUSTOM_LINES = (DATA / "envoy-1.40-custom.log").read_bytes().decode("utf-8", "replace").splitlines()


def general(fmt: object, line: str) -> dict[str, object] | None:
    rec = fmt.parse(line)  # type: ignore[attr-defined]
    return None if rec is None else rec.to_json()


@pytest.mark.parametrize("line", [*RECORDED, "", "garbage", RECORDED[0][:40]])
def test_fields_equal_the_records_json_key_for_key_in_order(line: str) -> None:
    fast, slow = DEFAULT.fields(line), general(DEFAULT, line)
    assert fast == slow and list(fast or ()) == list(slow or ())


@pytest.mark.parametrize("line", CUSTOM_LINES)
def test_a_custom_format_gives_the_same_fields_too(line: str) -> None:
    fast, slow = CUSTOM.fields(line), general(CUSTOM, line)
    assert fast == slow and list(fast or ()) == list(slow or ())


@given(st.sampled_from(RECORDED), st.integers(0, 300), st.text(max_size=20))
def test_mangled_lines_give_the_same_fields(line: str, at: int, insert: str) -> None:
    mangled = line[:at] + insert + line[at:]
    assert DEFAULT.fields(mangled) == general(DEFAULT, mangled)


@pytest.mark.parametrize("line", [*RECORDED[:20], "caf\u00e9 \x1b]52;c;x\x07 200", "plain text"])
def test_a_fast_built_record_equals_a_constructed_one(line: str) -> None:
    data = line.encode()
    parse = access_fields(DEFAULT)
    made = make_record("access", Line(data, len(data) + 1), parse, now=5.0)
    text = data.decode()
    built = LogRecord("access", text, 5.0, fields=parse(text), size=len(data) + 1)
    assert dataclasses.astuple(made) == dataclasses.astuple(built)
    assert "\x1b" not in made.line  # the sanitiser still runs on anything not printable ASCII


def test_redaction_fast_path_keeps_clean_records_and_still_masks_fields() -> None:
    clean = make_record("access", Line(b"GET /ok 200", 12), access_fields(DEFAULT), now=1.0)
    assert redact_record(clean) is clean
    hidden = LogRecord("access", "GET /x 200", 1.0, fields={"extra": {"REQ(X)": "token=abc123"}})
    assert redact_record(hidden).fields["extra"]["REQ(X)"] == f"token={MASK}"
    named = LogRecord("access", "GET /x 200", 1.0, fields={"authorization": "xyz"})
    assert redact_record(named).fields["authorization"] == MASK


def reference_advance(tail: bytes, lines: list[Line]) -> bytes:
    """The position tail as the follower kept it line by line before batching."""
    for line in lines:
        complete = line.size == len(line.data) + 1
        tail = (tail + line.data + b"\n")[-TAIL_BYTES:] if complete else b""
    return tail


@given(
    st.binary(max_size=TAIL_BYTES),
    st.lists(st.tuples(st.binary(max_size=300), st.booleans()), max_size=12),
)
def test_batched_position_equals_line_by_line(tail: bytes, spec: list[tuple[bytes, bool]]) -> None:
    lines = [Line(data, len(data) + (1 if whole else 50)) for data, whole in spec]
    follower = FileFollower(LocalHost(), "/nonexistent/access.log")
    follower.position = FilePosition(7, 1000, tail, 1000)
    follower._tail = tail
    follower._advance_all(lines)
    assert follower._tail == reference_advance(tail, lines)
    assert follower.position.offset == 1000 + sum(line.size for line in lines)
    assert follower.position.tail == follower._tail
