"""`journalctl -o json` output → typed records, plus the notices journalctl prints instead of data.

journalctl's JSON quirks (systemd 252, verified): every value is a string; a value with
non-UTF-8 or non-printable bytes (ANSI colours, a stray CR) becomes an array of byte integers; a
field logged twice becomes an array of strings; values over 4096 bytes become null unless `--all`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class JournalNotice(StrEnum):
    """What journalctl says when it shows less than everything."""

    NOT_ALL_USERS = "not-all-users"  # the "Hint: You are currently not seeing messages…" notice
    NO_PERMISSION = (
        "no-permission"  # "No journal files were opened due to insufficient permissions."
    )
    NO_FILES = "no-files"  # "No journal files were found."


_NOTICES = (
    ("You are currently not seeing messages", JournalNotice.NOT_ALL_USERS),
    ("due to insufficient permissions", JournalNotice.NO_PERMISSION),
    ("No journal files were found", JournalNotice.NO_FILES),
)


def journal_notices(text: str) -> frozenset[JournalNotice]:
    """Notices found in journalctl's stderr (or in a non-JSON line on stdout)."""
    return frozenset(notice for needle, notice in _NOTICES if needle in text)


@dataclass(frozen=True, slots=True)
class JournalRecord:
    """One journal entry."""

    cursor: str
    realtime_us: int | None  # __REALTIME_TIMESTAMP, µs since the epoch
    message: str
    priority: int | None  # 0 emerg … 7 debug
    unit: str | None  # _SYSTEMD_UNIT (trusted, set by journald)
    pid: int | None
    identifier: str | None  # SYSLOG_IDENTIFIER
    message_truncated: bool = False  # journalctl printed null (value > 4096 bytes without --all)

    @property
    def timestamp(self) -> float | None:
        return None if self.realtime_us is None else self.realtime_us / 1_000_000

    def to_json(self) -> dict[str, Any]:
        return {
            "cursor": self.cursor,
            "timestamp": self.timestamp,
            "priority": self.priority,
            "unit": self.unit,
            "pid": self.pid,
            "identifier": self.identifier,
            "message": self.message,
        }


def field_text(value: Any) -> str | None:
    """One JSON field value → text: byte arrays decoded, multi-values joined by newlines."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        if value and all(isinstance(v, int) and 0 <= v < 256 for v in value):
            return _ANSI.sub("", bytes(value).decode("utf-8", "replace"))
        parts = [field_text(v) for v in value]
        return "\n".join(p for p in parts if p is not None)
    return str(value)


def _int(value: Any) -> int | None:
    text = field_text(value)
    if text is None:
        return None
    try:
        return int(text.split("\n")[0])
    except ValueError:
        return None


def parse_entry(obj: dict[str, Any]) -> JournalRecord | None:
    """A decoded JSON object → a record; None when it has no cursor (not a journal entry)."""
    cursor = obj.get("__CURSOR")
    if not isinstance(cursor, str) or not cursor:
        return None
    raw_message = obj.get("MESSAGE")
    message = field_text(raw_message)
    return JournalRecord(
        cursor=cursor,
        realtime_us=_int(obj.get("__REALTIME_TIMESTAMP")),
        message=(message or "").rstrip("\r\n"),
        priority=_int(obj.get("PRIORITY")),
        unit=field_text(obj.get("_SYSTEMD_UNIT")),
        pid=_int(obj.get("_PID")),
        identifier=field_text(obj.get("SYSLOG_IDENTIFIER")),
        message_truncated="MESSAGE" in obj and raw_message is None,
    )


def parse_journal_line(line: bytes | str) -> JournalRecord | None:
    """One line of `journalctl -o json` → a record, or None for anything else (notices, junk)."""
    if isinstance(line, bytes):
        line = line.decode("utf-8", "replace")
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    return parse_entry(obj) if isinstance(obj, dict) else None


_CURSOR_SEQ = re.compile(r"(?:^|;)s=([0-9a-f]+);i=([0-9a-f]+)")


def cursor_seqnum(cursor: str) -> tuple[str, int] | None:
    """(seqnum id, seqnum) from a cursor, for gap heuristics; cursors are opaque otherwise."""
    m = _CURSOR_SEQ.search(cursor)
    return (m.group(1), int(m.group(2), 16)) if m else None
