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
