"""darc_tui.sanitize: every control code point becomes a visible glyph, one for one; clean text is
returned as the very same object."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from darc_tui.hosts.http import HttpResult
from darc_tui.model import Evidence, EvidenceRef, Finding, HostState, LogRecord, Status, Vantage
from darc_tui.parse import as_text, load_json
from darc_tui.sanitize import clean, clean_block, clean_mapping, clean_value, decode, is_clean
from tests.hostile import EVERYTHING, OSC0, OSC52, unsafe_in


def test_escapes_become_visible_glyphs_one_for_one() -> None:
    out = clean(OSC52 + OSC0 + "\x1b[2J\x9b")
    assert "␛]52;c;" in out and "␇" in out and "␛[2J" in out
    assert len(out) == len(OSC52 + OSC0 + "\x1b[2J\x9b")
    assert unsafe_in(out, multiline=False) == []


def test_one_line_context_shows_newline_tab_and_carriage_return() -> None:
    assert clean("a\nb\tc\rd") == "a␊b␉c␍d"


def test_block_context_keeps_newline_and_tab_but_not_carriage_return() -> None:
    assert clean_block("a\nb\tc\rd\x1b") == "a\nb\tc␍d␛"


def test_bidi_overrides_and_c1_controls_are_replaced() -> None:
    assert clean("ls \u202e; rm\u2066 \x85") == "ls \ufffd; rm\ufffd \ufffd"


def test_clean_text_is_returned_unchanged_as_the_same_object() -> None:
    for text in ("GET /api/health 200 UF", "caf\u00e9 – ✓ 日本", "", "[/] [@click=app.quit]"):
        assert clean(text) is text
    block = "line one\n\tline two"
    assert clean_block(block) is block


def test_invalid_utf8_is_replaced_and_controls_made_visible() -> None:
    assert decode(b"ok \xff\xfe \x1b[31mred\n") == "ok \ufffd\ufffd ␛[31mred\n"
    assert decode(b"a\nb", multiline=False) == "a␊b"


def test_mappings_are_copied_only_when_something_changes() -> None:
    facts = {"status": 503, "path": "/api", "list": ["a", "b"]}
    assert clean_mapping(facts) is facts
    dirty = {"path": "/a\x1b[2J", "nested": {"k\x07": ("x", "y\x9b")}, "n": 1}
    assert clean_value(dirty) == {"path": "/a␛[2J", "nested": {"k␇": ("x", "y\ufffd")}, "n": 1}


@given(st.text())
def test_any_text_comes_out_safe_and_the_same_length(text: str) -> None:
    assert unsafe_in(clean(text), multiline=False) == []
    assert unsafe_in(clean_block(text), multiline=True) == []
    assert len(clean(text)) == len(text) == len(clean_block(text))
    assert is_clean(clean(text))


def test_every_model_object_cleans_outside_text_at_construction() -> None:
    ev = Evidence(
        "backend.http",
        "10.0.0.1:80" + OSC0,
        Vantage.JUMP,
        Status.FAIL,
        "GET /x answered " + OSC52,
        command="curl " + EVERYTHING,
        facts={"location": "/login?next=" + OSC52, "n": 3},
    )
    ref = EvidenceRef.of(ev)
    finding = Finding("backend.down", "t\x1b", 0.9, "s" + OSC0, (ref,), ("r\x07",), ("n\x9b",))
    host = HostState("edge", "ssh", False, detail="banner " + OSC52)
    rec = LogRecord("access", "GET /" + OSC52, 0.0, fields={"path": "/" + OSC0})
    texts = [ev.target, ev.detail, ev.command, json.dumps(ev.facts, ensure_ascii=False)]
    texts += [ref.fact, finding.title, finding.summary, *finding.ruled_out, *finding.next_steps]
    texts += [host.detail, rec.line, json.dumps(rec.fields, ensure_ascii=False)]
    for text in texts:
        assert unsafe_in(text, multiline=False) == [], text


def test_http_headers_and_bodies_are_cleaned() -> None:
    result = HttpResult(
        "http://127.0.0.1/",
        "GET",
        200,
        headers=(("access-control-allow-origin", "https://a" + OSC52),),
        body=b"<h1>\x1b]0;t\x07</h1>\n",
    )
    assert unsafe_in(result.header("access-control-allow-origin") or "") == []
    assert result.text() == "<h1>␛]0;t␇</h1>\n"


def test_admin_json_names_decoded_from_escapes_are_cleaned() -> None:
    body = json.dumps({"cluster_statuses": [{"name": "svc" + OSC52, "hosts": ["a\u202eb"]}]})
    doc, error = load_json(body.encode())
    assert error == ""
    assert unsafe_in(json.dumps(doc, ensure_ascii=False)) == []
    assert doc["cluster_statuses"][0]["name"].startswith("svc␛]52;c;")


def test_admin_text_bodies_are_cleaned_and_crlf_normalised() -> None:
    assert as_text(b"cluster::a\x1b]0;t\x07::x\r\nnext\n") == "cluster::a␛]0;t␇::x\nnext\n"
