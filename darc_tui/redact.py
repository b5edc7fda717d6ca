"""Mask secrets (Authorization, cookies, tokens, passwords) in text shown on screen or exported."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from darc_tui.model import Evidence, Finding, HostState, LogRecord, Snapshot, TimelineEvent
from darc_tui.sinks import RecordBatch

MASK = "‹redacted›"

# A key whose value is a secret: `db_password`, `aws_secret_access_key`, `client_secret`,
# `authToken`, `x-auth-token`, `JSESSIONID`, `PHPSESSID`, `pwd`, `pass`. The word must END the key
# ("secret_santa", "tokens", "passenger" are not secrets) and `pass`/`pwd`/`session` must stand
# alone or after a separator ("bypass", "compass" are not).
_KEY = (
    r"(?:[a-z0-9]+[_.-])*"
    r"(?:[a-z0-9]*(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key"
    r"|secret[_-]?key|private[_-]?key|credentials?|sessionid|sessid)"
    r"|pass|pwd|authorization|cookie|set-cookie)"
)
# header-like "Name: value" or "name=value" pairs whose value is a secret
_PAIR = re.compile(
    rf"(?i)(?<![a-z0-9_.-])({_KEY})(\"?\s*[:=]\s*\"?)((?:bearer|basic|token|digest)\s+)?"
    r"([^\s\"&;,]+)"
)
# a bare `session` is a secret only as `session=value` (a query or cookie pair): "SSH session: open
# failed" is an error message, and masking its reason hides why the channel was refused
_SESSION_PAIR = re.compile(r"(?i)(?<![a-z0-9_.-])(session)(\"?=\"?)()([^\s\"&;,]+)")
_SECRET_KEY = re.compile(rf"(?i)(?:{_KEY}|(?:[a-z0-9]+[_.-])*session)")
_COOKIE = re.compile(r"(?im)\b((?:set-)?cookie\s*:\s*)([^\n\"]+)")
# a bare credential after its scheme: any length when it looks like one (a digit or symbol in
# it, or 8+ characters), so "Bearer short1" is masked and "basic auth failed" is not
_BEARER = re.compile(
    r"(?i)\b(bearer|basic)\s+(?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-]|[A-Za-z0-9._~+/=-]{8})"
    r"[A-Za-z0-9._~+/=-]+"
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b")
# scheme://user:password@ and scheme://:password@ (redis)
_URL_CRED = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s:@]*):([^/\s@]+)@")


# Plain substring checks before the substitutions (the console redacts every log line; almost
# none holds a secret, and `in` is far cheaper than a case-insensitive regex scan).
_TRIGGERS = ("authori", "cookie", "key", "token", "secret", "pass", "pwd", "sess", "bearer",
             "basic", "credential", "eyj", "@")  # fmt: skip


# the trigger words as bytes: in a line of ASCII text in which none occurs (any case),
# redact_text has nothing to find, nor in any slice of that line
TRIGGER_BYTES = tuple(word.encode() for word in _TRIGGERS)
# ... nor in any line of UTF-8 (valid or not) in which none occurs, unless str.lower() turns one
# of its characters into ASCII, which only these two do (İ → "i̇", the Kelvin sign → "k"): every
# other character lowers to non-ASCII, and the sanitiser replaces a character by a non-ASCII
# one, one for one; so a trigger in a record's lowered text is a trigger in its line's bytes
LOWERS_TO_ASCII = ("\u0130", "\u212a")
SUSPECT_BYTES = TRIGGER_BYTES + tuple(char.encode() for char in LOWERS_TO_ASCII)


def redact_records(records: Sequence[LogRecord]) -> list[LogRecord]:
    """redact_record of each record; a RecordBatch's proven-clean records are passed as they are."""
    suspects = records.suspects if isinstance(records, RecordBatch) else None
    if suspects is None:
        return [redact_record(rec) for rec in records]
    out = list(records)
    for i in suspects:
        out[i] = redact_record(out[i])
    return out


def is_secret_key(key: str) -> bool:
    """True for a field name whose value redact_record masks whole (`password`, `cookie`, …)."""
    return _secret_key(key)


def _mask_pair(m: re.Match[str]) -> str:
    if MASK in m.group(4):
        return m.group(0)
    return f"{m.group(1)}{m.group(2)}{MASK}"


def redact_text(text: str) -> str:
    """The text with every secret-looking value replaced by a mask; everything else unchanged."""
    lowered = text.lower()
    if not any(word in lowered for word in _TRIGGERS):
        return text
    text = _URL_CRED.sub(lambda m: f"{m.group(1)}{m.group(2)}:{MASK}@", text)
    text = _COOKIE.sub(lambda m: f"{m.group(1)}{MASK}", text)
    text = _PAIR.sub(_mask_pair, text)
    text = _SESSION_PAIR.sub(_mask_pair, text)
    text = _JWT.sub(MASK, text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)


def redact_value(key: str, value: Any) -> Any:
    """A `facts`/`fields` value: masked whole under a secret key, strings redacted, others kept."""
    if _SECRET_KEY.fullmatch(key) and value not in (None, "", "-"):
        return MASK
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value("", v) for v in value)
    return value


def redact_json(doc: Any) -> Any:
    """A JSON-ready document with its values masked, for `json.dumps` after (never mask the JSON
    text: a masked value followed by `"`, e.g. a logged path `/token=a"b`, broke the JSON)."""
    return redact_value("", doc)


def redact_evidence(ev: Evidence) -> Evidence:
    facts = {k: redact_value(k, v) for k, v in ev.facts.items()}
    target, detail = redact_text(ev.target), redact_text(ev.detail)
    command = redact_text(ev.command)
    if (
        target is ev.target
        and detail is ev.detail
        and command is ev.command
        and all(facts[k] is v for k, v in ev.facts.items())
    ):
        return ev  # the common case: nothing to hide, no copy (a copy is cleaned all over again)
    return replace(ev, target=target, detail=detail, command=command, facts=facts)


def redact_finding(f: Finding) -> Finding:
    return replace(
        f,
        summary=redact_text(f.summary),
        title=redact_text(f.title),
        evidence=tuple(
            replace(r, target=redact_text(r.target), fact=redact_text(r.fact)) for r in f.evidence
        ),
        ruled_out=tuple(redact_text(s) for s in f.ruled_out),
        next_steps=tuple(redact_text(s) for s in f.next_steps),
    )


_T = TypeVar("_T")
# The redacted copies made for the previous snapshot, by the identity of the original: most of
# a snapshot (slow probes' evidence, the timeline, the findings) is the same objects as the last
# one, and the console redacts one snapshot a second. Holding the originals keeps ids unique.
_previous: dict[int, tuple[object, object]] = {}


def redact_snapshot(snap: Snapshot) -> Snapshot:
    """The snapshot with every human-readable string redacted (typed `data` payloads untouched)."""
    global _previous
    made: dict[int, tuple[object, object]] = {}

    def once(obj: _T, redact: Callable[[_T], _T]) -> _T:
        hit = _previous.get(id(obj))
        out = hit[1] if hit is not None and hit[0] is obj else redact(obj)
        made[id(obj)] = (obj, out)
        return out  # type: ignore[return-value]

    redacted = replace(
        snap,
        evidence=tuple(once(ev, redact_evidence) for ev in snap.evidence),
        findings=tuple(once(f, redact_finding) for f in snap.findings),
        hosts=tuple(once(h, _redact_host) for h in snap.hosts),
        timeline=tuple(once(t, _redact_event) for t in snap.timeline),
    )
    _previous = made
    return redacted


def _redact_host(h: HostState) -> HostState:
    detail = redact_text(h.detail)
    return h if detail is h.detail else replace(h, detail=detail)


def _redact_event(t: TimelineEvent) -> TimelineEvent:
    text = redact_text(t.text)
    return t if text is t.text else replace(t, text=text)


def redact_record(rec: LogRecord) -> LogRecord:
    if not _may_hold_secret(rec):
        return rec  # the common case, decided with one lower() and one scan per record
    line = redact_text(rec.line)
    fields = {k: redact_value(k, v) for k, v in rec.fields.items()}
    if line is rec.line and all(fields[k] is v for k, v in rec.fields.items()):
        return rec  # the common case: nothing to hide, no copy
    return replace(rec, line=line, fields=fields)


_KEY_IS_SECRET: dict[str, bool] = {}  # field names recur on every line of a log: match once


def _secret_key(key: str) -> bool:
    hit = _KEY_IS_SECRET.get(key)
    if hit is None:
        if len(_KEY_IS_SECRET) > 4096:  # outside names (JSON logs) must not grow it forever
            _KEY_IS_SECRET.clear()
        hit = _KEY_IS_SECRET[key] = _SECRET_KEY.fullmatch(key) is not None
    return hit


def _may_hold_secret(rec: LogRecord) -> bool:
    """False only when redact_record would change nothing: no secret-named field with a value
    and no trigger word in the line or any string among the fields (following a busy access log
    redacts 50 000 records a second; this replaces a regex per field by one substring scan)."""
    texts = [rec.line]
    if _collect(rec.fields, texts):
        return True
    lowered = "\n".join(texts).lower()
    return any(word in lowered for word in _TRIGGERS)


def _collect(fields: Any, texts: list[str]) -> bool:
    """Gather the strings of a fields mapping into `texts`; True at a secret-named field."""
    for key, value in fields.items():
        if _secret_key(str(key)) and value not in (None, "", "-"):
            return True
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            if _collect(value, texts):
                return True
        elif isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, str):
                    texts.append(item)
                elif isinstance(item, dict | list | tuple):
                    return True  # deeper nesting: let the full walk decide
    return False
