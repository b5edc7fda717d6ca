"""`darc-tui logs` prints hostile log lines safely: secrets masked before printing or JSON encoding,
no control code point reaches the terminal, every --json line parses."""

from __future__ import annotations

import io
import json

from darc_tui.logs.command import PrintSink
from darc_tui.model import LogRecord
from darc_tui.redact import MASK
from tests.hostile import EVERYTHING, unsafe_in

SECRETS = ("hunter2", "abc123tok", "short1", "p0o9i8u7")
LINE = (
    f'127.0.0.1 "GET /login?password=hunter2&next={EVERYTHING}&token=abc123tok HTTP/1.1" 503 UF '
    '"Authorization: Bearer short1" "PHPSESSID=p0o9i8u7" "/token=a"b"'
)


def printed(as_json: bool, redact: bool = True) -> str:
    out, err = io.StringIO(), io.StringIO()
    sink = PrintSink("access", as_json=as_json, out=out, err=err, redact=redact)
    fields = {"path": f"/login?password=hunter2&x={EVERYTHING}", "authorization": "Bearer short1"}
    sink.records([LogRecord("access", LINE, 0.0, fields=fields)])
    return out.getvalue()


def test_text_output_is_masked_and_safe() -> None:
    text = printed(as_json=False)
    assert unsafe_in(text) == [] and MASK in text
    assert not [s for s in SECRETS if s in text]


def test_json_output_parses_is_masked_and_safe() -> None:
    text = printed(as_json=True)
    assert unsafe_in(text) == []
    obj = json.loads(text)
    assert obj["authorization"] == MASK
    assert not [s for s in SECRETS if s in text]


def test_redact_false_still_keeps_the_terminal_safe() -> None:
    assert unsafe_in(printed(as_json=False, redact=False)) == []
