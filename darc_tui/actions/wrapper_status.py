"""The hot-restart wrapper's status file: what it serves and how the last SIGHUP ended, as JSON.

The wrapper rewrites the file atomically (write + rename) on every change; the reload flow reads
it on the Envoy host (`cat`) to learn whether *its* SIGHUP produced a LIVE new epoch or a failure.
"""

from __future__ import annotations

import json
import os
import posixpath
import tempfile
import time
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

STATUS_SUFFIX = ".status.json"
ERROR_TAIL = 4000  # characters of a failed epoch's stderr kept in the status


class WrapperState(StrEnum):
    STARTING = "starting"  # the serving epoch has not been seen LIVE yet
    LIVE = "live"
    RESTARTING = "restarting"  # a new epoch is starting next to the serving one
    STOPPING = "stopping"
    STOPPED = "stopped"


class ReloadOutcome(StrEnum):
    STARTED = "started"  # new epoch spawned, not LIVE yet
    LIVE = "live"
    FAILED = "failed"  # new epoch exited; the old one still serves
    REFUSED = "refused"  # SIGHUP not acted on (see error)


@dataclass(frozen=True, slots=True)
class LastReload:
    seq: int  # which SIGHUP (WrapperStatus.hup_seq at the time)
    epoch: int  # the epoch it tried to start
    outcome: ReloadOutcome
    pid: int | None = None
    at: float = 0.0
    error: str = ""


@dataclass(frozen=True, slots=True)
class WrapperStatus:
    wrapper_pid: int
    epoch: int  # the serving epoch
    pid: int | None  # the serving Envoy's pid
    state: WrapperState
    hup_seq: int = 0  # SIGHUPs received so far
    base_id: int | None = None
    admin_url: str = ""
    last_reload: LastReload | None = None
    last_error: str = ""
    epochs: tuple[tuple[int, int], ...] = ()  # (epoch, pid) of every running Envoy
    updated_at: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["epochs"] = [{"epoch": e, "pid": p} for e, p in self.epochs]
        return data


def status_path_for(pid_file: str) -> str:
    """`/run/envoy-wrapper.pid` → `/run/envoy-wrapper.status.json` (a POSIX path, maybe remote)."""
    root, ext = posixpath.splitext(pid_file)
    return (root if ext == ".pid" else pid_file) + STATUS_SUFFIX


def parse_status(text: str) -> WrapperStatus | None:
    """The status file's text → WrapperStatus, or None when it is not one."""
    try:
        data = json.loads(text)
        last = data.get("last_reload")
        return WrapperStatus(
            wrapper_pid=int(data["wrapper_pid"]),
            epoch=int(data["epoch"]),
            pid=None if data.get("pid") is None else int(data["pid"]),
            state=WrapperState(data["state"]),
            hup_seq=int(data.get("hup_seq", 0)),
            base_id=None if data.get("base_id") is None else int(data["base_id"]),
            admin_url=str(data.get("admin_url", "")),
            last_reload=None if last is None else _parse_last(last),
            last_error=str(data.get("last_error", "")),
            epochs=tuple((int(e["epoch"]), int(e["pid"])) for e in data.get("epochs", ())),
            updated_at=float(data.get("updated_at", 0.0)),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _parse_last(data: dict[str, Any]) -> LastReload:
    return LastReload(
        seq=int(data["seq"]),
        epoch=int(data["epoch"]),
        outcome=ReloadOutcome(data["outcome"]),
        pid=None if data.get("pid") is None else int(data["pid"]),
        at=float(data.get("at", 0.0)),
        error=str(data.get("error", "")),
    )


def write_atomic(path: str, text: str) -> None:
    """Readers see the old file or the new one, never half of one."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_status(path: str, status: WrapperStatus) -> None:
    write_atomic(path, json.dumps(status.to_json(), indent=1) + "\n")
