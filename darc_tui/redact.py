"""Mask secrets (Authorization, cookies, tokens, passwords) in text shown on screen or exported."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from darc_tui.model import Evidence, Finding, LogRecord, Snapshot

MASK = "‹redacted›"

# header-like "Name: value" or "name=value" pairs whose value is a secret
_PAIR = re.compile(
    r"(?i)\b(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api[_-]?key|"
    r"access[_-]?token|refresh[_-]?token|id[_-]?token|token|secret|password|passwd|session(?:id)?)"
    r"(\"?\s*[:=]\s*\"?)([^\s\"&;,]+(?:[ ][A-Za-z0-9._~+/=-]{8,})?)"
)
_SECRET_KEY = re.compile(
    r"(?i)^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api[_-]?key|"
    r"access[_-]?token|refresh[_-]?token|id[_-]?token|token|secret|password|passwd|session(?:id)?)$"
)
_COOKIE = re.compile(r"(?im)\b((?:set-)?cookie\s*:\s*)([^\n\"]+)")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b")
_URL_CRED = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s:@]+):([^/\s@]+)@")


# Plain substring checks before the five substitutions (the console redacts every log line;
# almost none holds a secret, and `in` is far cheaper than a case-insensitive regex scan).
_TRIGGERS = ("authori", "cookie", "key", "token", "secret", "passw", "session", "bearer",
             "basic", "eyj", "@")  # fmt: skip


def redact_text(text: str) -> str:
    """The text with every secret-looking value replaced by a mask; everything else unchanged."""
    lowered = text.lower()
    if not any(word in lowered for word in _TRIGGERS):
        return text
    text = _URL_CRED.sub(lambda m: f"{m.group(1)}{m.group(2)}:{MASK}@", text)
    text = _COOKIE.sub(lambda m: f"{m.group(1)}{MASK}", text)
    text = _PAIR.sub(
        lambda m: m.group(0) if MASK in m.group(3) else f"{m.group(1)}{m.group(2)}{MASK}", text
    )
    text = _JWT.sub(MASK, text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)


def redact_value(key: str, value: Any) -> Any:
    """A `facts`/`fields` value: masked whole under a secret key, strings redacted, others kept."""
    if _SECRET_KEY.match(key) and value not in (None, "", "-"):
        return MASK
    return redact_text(value) if isinstance(value, str) else value


def redact_evidence(ev: Evidence) -> Evidence:
    facts = {k: redact_value(k, v) for k, v in ev.facts.items()}
    return replace(ev, detail=redact_text(ev.detail), command=redact_text(ev.command), facts=facts)


def redact_finding(f: Finding) -> Finding:
    return replace(
        f,
        summary=redact_text(f.summary),
        evidence=tuple(replace(r, fact=redact_text(r.fact)) for r in f.evidence),
        ruled_out=tuple(redact_text(s) for s in f.ruled_out),
        next_steps=tuple(redact_text(s) for s in f.next_steps),
    )


def redact_snapshot(snap: Snapshot) -> Snapshot:
    """The snapshot with every human-readable string redacted (typed `data` payloads untouched)."""
    return replace(
        snap,
        evidence=tuple(redact_evidence(ev) for ev in snap.evidence),
        findings=tuple(redact_finding(f) for f in snap.findings),
        hosts=tuple(replace(h, detail=redact_text(h.detail)) for h in snap.hosts),
        timeline=tuple(replace(t, text=redact_text(t.text)) for t in snap.timeline),
    )


def redact_record(rec: LogRecord) -> LogRecord:
    line = redact_text(rec.line)
    fields = {k: redact_value(k, v) for k, v in rec.fields.items()}
    if line is rec.line and all(fields[k] is v for k, v in rec.fields.items()):
        return rec  # the common case: nothing to hide, no copy
    return replace(rec, line=line, fields=fields)
