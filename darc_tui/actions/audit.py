"""The audit log: one JSON line per reload attempt, appended (O_APPEND), never rewritten.

Where: `platformdirs.user_state_dir("darc-tui")/audit.log`, or `$DARC_TUI_STATE_DIR/audit.log`.
"""

from __future__ import annotations

import asyncio
import datetime
import getpass
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from darc_tui import __version__

if TYPE_CHECKING:
    from darc_tui.actions.plan import ReloadResult

STATE_DIR_ENV = "DARC_TUI_STATE_DIR"
VALIDATION_LIMIT = 2000  # characters of validator output kept per line
DIFF_LIMIT = 50  # diff lines kept per line


def audit_path() -> Path:
    state_dir = os.environ.get(STATE_DIR_ENV) or platformdirs.user_state_dir("darc-tui")
    return Path(state_dir) / "audit.log"


def local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no $USER (containers)
        return str(os.getuid())


def entry(result: ReloadResult) -> dict[str, Any]:
    """The JSON object written for one attempt."""
    plan = result.plan
    validation = plan.validation
    output = validation.output if validation else ""
    if len(output) > VALIDATION_LIMIT:
        output = output[:VALIDATION_LIMIT] + f"… ({len(output) - VALIDATION_LIMIT} more characters)"
    diff = list(plan.diff[:DIFF_LIMIT])
    if len(plan.diff) > DIFF_LIMIT:
        diff.append(f"… {len(plan.diff) - DIFF_LIMIT} more")
    when = datetime.datetime.fromtimestamp(result.finished_at, datetime.UTC)
    return {
        "time": when.isoformat(timespec="milliseconds"),
        "user": local_user(),
        "host": plan.host,
        "method": plan.method.value,
        "action": plan.action_text,
        "config_path": plan.config_path,
        "config_sha256": plan.config_sha256,
        "validation": {
            "ok": validation.ok if validation else None,
            "summary": validation.summary if validation else "",
            "output": output,
        },
        "diff": diff,
        "outcome": result.outcome.value,
        "message": result.message,
        "details": list(result.details[-10:]),
        "epoch_after": result.epoch_after,
        "duration_ms": round(result.total_ms, 1),
        "reload_ms": round(result.reload_ms, 1),
        "darc_tui": __version__,
    }


def append(record: dict[str, Any], path: Path | None = None) -> Path:
    """One write(2) of one line with O_APPEND: concurrent writers never interleave or overwrite."""
    target = path or audit_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    # O_NOFOLLOW: a symlink planted at the audit path must not make us append to its target
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)
    return target


async def record(result: ReloadResult, path: Path | None = None) -> Path:
    return await asyncio.to_thread(append, entry(result), path)


def read(path: Path | None = None) -> list[dict[str, Any]]:
    """Every entry so far, oldest first (for tests and reports)."""
    try:
        text = (path or audit_path()).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]
