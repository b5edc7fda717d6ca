"""Secrets never reach the screen or an export: headers, query tokens, URL credentials, JWTs."""

from __future__ import annotations

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


def test_log_record_redaction_masks_line_and_secret_fields() -> None:
    from darc_tui.model import LogRecord
    from darc_tui.redact import redact_record

    rec = LogRecord("access", "GET /?access_token=zzz999", 0.0, {"cookie": "sid=1", "status": 200})
    out = redact_record(rec)
    assert "zzz999" not in out.line and out.fields == {"cookie": MASK, "status": 200}
