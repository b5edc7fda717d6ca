"""Secrets never reach the screen or an export: headers, query tokens, URL credentials, JWTs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from darc_tui.redact import MASK, redact_text


def test_authorization_header_value_is_masked_whole() -> None:
    assert redact_text("Authorization: Bearer abcdefghijklmnop") == f"Authorization: {MASK}"


def test_cookie_header_is_masked_to_end_of_line() -> None:
    out = redact_text("Cookie: sid=1234567; theme=dark\nnext line")
    assert "1234567" not in out and "dark" not in out and out.endswith("next line")


def test_query_token_and_url_credentials() -> None:
    assert redact_text("GET /x?token=abc123&y=1") == f"GET /x?token={MASK}&y=1"
    assert redact_text("https://ops:hunter2@host/") == f"https://ops:{MASK}@host/"


def test_jwt_anywhere() -> None:
    jwt = "eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4"
    assert jwt not in redact_text(f'"{jwt}"')


def test_ordinary_log_line_is_untouched() -> None:
    line = '[2026-11-25T10:00:00.000Z] "GET /api/health HTTP/1.1" 503 UF 0 91 1 - "-" "curl/8" "id" "h" "-"'
    assert redact_text(line) == line


@given(st.text(), st.sampled_from(["Authorization: ", "token=", "password: ", "Cookie: "]))
def test_secret_value_never_survives(prefix: str, key: str) -> None:
    secret = "S3cr3tValue9876"
    assert secret not in redact_text(f"{prefix} {key}{secret}")


def test_snapshot_redaction_masks_details_commands_facts_and_findings() -> None:
    from darc_tui.model import Evidence, EvidenceRef, Finding, Snapshot, Status, Vantage, Verdict
    from darc_tui.redact import redact_snapshot

    ev = Evidence("backend.health", "b", Vantage.JUMP, Status.FAIL, "401 with token=abc123",
                  command="curl -H 'Authorization: Bearer abcdefghijklmnop' http://b/",
                  facts={"password": "hunter2", "status": 401})  # fmt: skip
    finding = Finding("x", "X", 0.5, "seen token=abc123", (EvidenceRef.of(ev),),
                      next_steps=("curl https://ops:hunter2@b/",))  # fmt: skip
    out = redact_snapshot(Snapshot(0.0, (ev,), (finding,), (), Verdict.DOWN))
    text = repr(out)
    assert "abc123" not in text and "abcdefghijklmnop" not in text and "hunter2" not in text
    assert out.evidence[0].facts["status"] == 401 and out.evidence[0].facts["password"] == MASK


def test_a_snapshot_redacted_again_reuses_the_copies_and_still_masks_everything() -> None:
    """The console redacts a snapshot a second; most of it is the same objects as the last one."""
    from darc_tui.model import (
        Evidence,
        HostState,
        Snapshot,
        Status,
        TimelineEvent,
        Vantage,
        Verdict,
    )
    from darc_tui.redact import redact_snapshot

    secret = Evidence("envoy.stats", "a", Vantage.ENVOY_HOST, Status.OK, "token=abc123")
    plain = Evidence("envoy.ready", "b", Vantage.ENVOY_HOST, Status.OK, "LIVE")
    host = HostState("edge", "ssh", False, "password=hunter2 refused")
    event = TimelineEvent(1.0, "probe", "plain words")

    def snap(*evidence: Evidence) -> Snapshot:
        return Snapshot(0.0, evidence, (), (host,), Verdict.OK, timeline=(event,))

    first = redact_snapshot(snap(secret, plain))
    assert first.evidence[1] is plain and first.timeline[0] is event  # nothing to hide: no copy
    assert "abc123" not in first.evidence[0].detail and "hunter2" not in first.hosts[0].detail
    newer = Evidence("envoy.stats", "a", Vantage.ENVOY_HOST, Status.OK, "token=zzz999")
    second = redact_snapshot(snap(newer, plain))
    assert second.hosts[0] is first.hosts[0]  # the same original: its copy is reused
    assert "zzz999" not in second.evidence[0].detail and MASK in second.evidence[0].detail
    assert "abc123" not in repr(second) and "hunter2" not in repr(second)


def test_log_record_redaction_masks_line_and_secret_fields() -> None:
    from darc_tui.model import LogRecord
    from darc_tui.redact import redact_record

    rec = LogRecord("access", "GET /?access_token=zzz999", 0.0, {"cookie": "sid=1", "status": 200})
    out = redact_record(rec)
    assert "zzz999" not in out.line and out.fields == {"cookie": MASK, "status": 200}


# -- the wider pattern set (issue 12), and what must NOT be masked ---------------------------

WIDER = [
    ("client_secret=Zq9xK2", "Zq9xK2"),
    ("db_password=hunter22", "hunter22"),
    ("DB_PASSWORD: hunter23", "hunter23"),
    ("aws_secret_access_key=wJalrXUtnFEMI", "wJalrXUtnFEMI"),
    ("secret_key=abc987", "abc987"),
    ("Cookie: JSESSIONID=ABCDEF012345", "ABCDEF012345"),
    ("GET /x;JSESSIONID=ABCDEF012346 HTTP/1.1", "ABCDEF012346"),
    ("GET /?PHPSESSID=p0o9i8u7 HTTP/1.1", "p0o9i8u7"),
    ("login?user=bob&pwd=s3cr3t1", "s3cr3t1"),
    ("login?user=bob&pass=s3cr3t2", "s3cr3t2"),
    ('{"authToken": "tok-42x"}', "tok-42x"),
    ("x-auth-token: deadbeef77", "deadbeef77"),
    ("redis://:r3dispw@127.0.0.1:6379/0", "r3dispw"),
    ("Authorization: Bearer short1", "short1"),
    ("proxy-authorization: Basic dXNlcjpw", "dXNlcjpw"),
    ("curl -H 'Bearer s1' http://b/", "s1"),
    ("GET /app?session=a1b2c3d4 HTTP/1.1", "a1b2c3d4"),
]


@pytest.mark.parametrize(("text", "secret"), WIDER)
def test_wider_secret_patterns_are_masked(text: str, secret: str) -> None:
    out = redact_text(text)
    assert secret not in out and MASK in out


NEAR_MISSES = [
    "bypass=1&compass=north&passenger=3",
    "tokens_used=5 max_tokens=9",
    "secret_santa=bob",
    "keyboard=us monkey=1",
    "basic auth failed for user bob",
    "bearer token expired",
    "the session ended after 10s",
    "cannot open an SSH session: open failed",  # asyncssh's reason, not a session id
    "ssh://git@github.com/owner/repo",
    "GET /password-reset HTTP/1.1 200",
]


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_are_not_masked(text: str) -> None:
    assert redact_text(text) == text


def test_a_field_named_session_is_still_masked() -> None:
    from darc_tui.model import LogRecord
    from darc_tui.redact import redact_record

    rec = LogRecord("access", "GET /", 0.0, {"session": "s-77", "user_session": "s-78"})
    assert redact_record(rec).fields == {"session": MASK, "user_session": MASK}


def test_quotes_next_to_a_secret_keep_check_json_valid() -> None:
    import json

    from darc_tui.check import to_json
    from darc_tui.model import Evidence, Snapshot, Status, Vantage, Verdict

    ev = Evidence("envoy.access_log", "a", Vantage.ENVOY_HOST, Status.FAIL,
                  'GET /token=a"b 503', facts={"path": '/token=a"b', "q": 'password="x\\"y"'})  # fmt: skip
    doc = to_json(Snapshot(0.0, (ev,), (), (), Verdict.DOWN))
    text = json.dumps(doc, ensure_ascii=False)
    assert json.loads(text)["probes"][0]["facts"]["path"] == f'/token={MASK}"b'
    assert 'a"b' not in doc["probes"][0]["detail"]  # type: ignore[index]


def test_a_site_named_secret_keeps_its_verdict_line() -> None:
    from darc_tui.check import format_text
    from darc_tui.config import Config, SiteConfig
    from darc_tui.model import Snapshot, Verdict

    config = Config(site=SiteConfig(name="secret"))
    text = format_text(Snapshot(0.0, (), (), (), Verdict.OK), config)
    assert text.startswith("darc-tui check — secret: OK"), text


def test_nested_fact_values_are_masked_before_serialisation() -> None:
    from darc_tui.redact import redact_value

    value = {"headers": {"authorization": "Bearer x1", "accept": "*/*"}, "urls": ["http://u:p@h/"]}
    assert redact_value("request", value) == {
        "headers": {"authorization": MASK, "accept": "*/*"},
        "urls": [f"http://u:{MASK}@h/"],
    }


def test_redact_json_masks_values_and_the_document_still_parses() -> None:
    import json

    from darc_tui.redact import redact_json

    doc = {"causes": [{"summary": 'GET /token=a"b', "facts": {"password": 'x"y', "n": 1}}],
           "url": "http://u:p@h/", "site": "secret"}  # fmt: skip
    out = json.loads(json.dumps(redact_json(doc), ensure_ascii=False))
    assert out["causes"][0]["facts"] == {"password": MASK, "n": 1}
    assert out["causes"][0]["summary"] == f'GET /token={MASK}"b'
    assert out["url"] == f"http://u:{MASK}@h/" and out["site"] == "secret"
