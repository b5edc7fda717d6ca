"""Mask secrets (Authorization, cookies, tokens, passwords) in text shown on screen or exported."""

from __future__ import annotations

import re

MASK = "‹redacted›"

# header-like "Name: value" or "name=value" pairs whose value is a secret
_PAIR = re.compile(
    r"(?i)\b(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api[_-]?key|"
    r"access[_-]?token|refresh[_-]?token|id[_-]?token|token|secret|password|passwd|session(?:id)?)"
    r"(\"?\s*[:=]\s*\"?)([^\s\"&;,]+(?:[ ][A-Za-z0-9._~+/=-]{8,})?)"
)
_COOKIE = re.compile(r"(?im)\b((?:set-)?cookie\s*:\s*)([^\n\"]+)")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b")
_URL_CRED = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s:@]+):([^/\s@]+)@")


def redact_text(text: str) -> str:
    """The text with every secret-looking value replaced by a mask; everything else unchanged."""
    text = _URL_CRED.sub(lambda m: f"{m.group(1)}{m.group(2)}:{MASK}@", text)
    text = _COOKIE.sub(lambda m: f"{m.group(1)}{MASK}", text)
    text = _PAIR.sub(
        lambda m: m.group(0) if MASK in m.group(3) else f"{m.group(1)}{m.group(2)}{MASK}", text
    )
    text = _JWT.sub(MASK, text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
