"""`journalctl -o json` parsing against output recorded from systemd 252's journald."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from darc_tui.parse.journal import (
    JournalNotice,
    cursor_seqnum,
    field_text,
    journal_notices,
    parse_entry,
    parse_journal_line,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "logs"


def recorded() -> list[bytes]:
    return (DATA / "journal-252.jsonl").read_bytes().splitlines()


def test_every_recorded_entry_parses_with_cursor_time_priority_and_pid() -> None:
    records = [parse_journal_line(line) for line in recorded()]
    assert all(r is not None for r in records)
    for r in records:
        assert r is not None
        assert r.cursor.startswith("s=")
        assert r.realtime_us is not None and r.realtime_us > 1_700_000_000_000_000
        assert r.pid is not None and r.identifier == "envoy"
    first = records[0]
    assert first is not None
    assert (first.message, first.priority) == ("hello from envoy", 4)


def test_byte_array_message_is_decoded_and_ansi_stripped() -> None:
    rec = parse_journal_line(recorded()[1])
    assert rec is not None and rec.message == "bin\x01red"


def test_multi_value_field_keeps_every_value() -> None:
    rec = parse_journal_line(recorded()[2])
    assert rec is not None and rec.message == "first line\ndup" and rec.priority == 3


def test_null_message_over_4096_bytes_is_marked_truncated() -> None:
    rec = parse_journal_line(recorded()[3])
    assert rec is not None and rec.message == "" and rec.message_truncated


def test_unit_comes_from_the_trusted_field() -> None:
    rec = parse_entry({"__CURSOR": "c", "_SYSTEMD_UNIT": "envoy.service", "MESSAGE": "m"})
    assert rec is not None and rec.unit == "envoy.service"


def test_permission_notices_are_detected() -> None:
    hint = (DATA / "journal-252-hint.stderr").read_text()
    assert journal_notices(hint) == {JournalNotice.NOT_ALL_USERS}
    denied = (DATA / "journal-252-no-permission.stderr").read_text()
    assert journal_notices(denied) == {JournalNotice.NO_PERMISSION}
    assert journal_notices("No journal files were found.\n") == {JournalNotice.NO_FILES}
    assert journal_notices("") == frozenset()


def test_non_json_lines_are_not_records() -> None:
    hint_line = (DATA / "journal-252-hint.stderr").read_bytes().splitlines()[0]
    for line in (hint_line, b"-- No entries --", b"{broken", b"[1,2]", b'{"MESSAGE": "no cursor"}'):
        assert parse_journal_line(line) is None


def test_cursor_seqnum() -> None:
    assert cursor_seqnum("s=ab12;i=15b;b=x;m=1;t=2;x=3") == ("ab12", 0x15B)
    assert cursor_seqnum("garbage") is None


def test_field_text_shapes() -> None:
    assert field_text(None) is None
    assert field_text([104, 105]) == "hi"
    assert field_text(["a", [104, 105]]) == "a\nhi"
    assert field_text(7) == "7"


_values = st.recursive(
    st.none() | st.text() | st.integers() | st.booleans(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(st.dictionaries(st.sampled_from(["__CURSOR", "MESSAGE", "PRIORITY", "_PID", "x"]), _values))
def test_any_json_object_never_raises(obj: dict[str, object]) -> None:
    parse_journal_line(json.dumps(obj))


@given(st.binary(max_size=200))
def test_any_bytes_never_raise(data: bytes) -> None:
    parse_journal_line(data)
