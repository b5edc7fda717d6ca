"""Deploy detection: turn the evidence stream into deploy markers (restarts, config and version
changes). Pure bookkeeping over evidence the probes already gather: no I/O of its own.

Each watched identity (Envoy pid, hot-restart epoch, uptime, a hash of the running config and of
envoy.yaml, the backend's version) is remembered per probe target; the first observation is the
baseline, a later different one is a marker. Envoy's pid and its epoch are seen by two probes
(`ps` and /server_info), so restart markers of one host within `SAME_DEPLOY_S` are one deploy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from darc_tui.config import Config
from darc_tui.ids import ProbeId
from darc_tui.model import DeployKind, DeployMarker, Evidence, Status, Vantage

SAME_DEPLOY_S = 30.0  # restart markers of one host this close together describe one restart
UPTIME_SLACK_S = 5.0  # an uptime this much below the expected one is a reset (clock jitter)
_RESTARTS = (DeployKind.ENVOY_RESTARTED, DeployKind.ENVOY_HOT_RESTART)
_SEEN = (Status.OK, Status.WARN, Status.FAIL)  # the probe ran and observed something


@dataclass(frozen=True, slots=True)
class VersionSource:
    """Where the backend says its version: a response header and/or a JSON health-body field."""

    header: str = ""
    field: str = ""  # dotted path into a JSON body, e.g. "build.version"

    @property
    def configured(self) -> bool:
        return bool(self.header or self.field)


class DeployDetector:
    """Feed it every Evidence; it returns the deploy markers that evidence reveals."""

    def __init__(
        self,
        envoy_host: str,
        backend_host: str,
        version: VersionSource,
        backend_port: int | None = None,
    ) -> None:
        self.envoy_host = envoy_host
        self.backend_host = backend_host or "backend"
        self.version = version
        # the backend's port when it listens on the Envoy host (whose `ss` names its pid)
        self.backend_port = backend_port
        self._seen: dict[tuple[str, str, str], Any] = {}
        self._last_restart: dict[str, float] = {}
        self._alive = 0.0  # when `ps` or /server_info last saw the same Envoy as before

    def observe(self, ev: Evidence) -> list[DeployMarker]:
        if ev.status not in _SEEN:
            return []  # nothing measured (Envoy down, host unreachable): keep the last identity
        found: list[DeployMarker] = []
        if ev.probe == ProbeId.ENVOY_PROCESS and ev.facts.get("running"):
            found += self._process(ev)
        elif ev.probe == ProbeId.ENVOY_SERVER_INFO:
            found += self._server_info(ev)
        elif ev.probe in (ProbeId.ENVOY_CONFIG_DUMP, ProbeId.ENVOY_CONFIG_FILE):
            found += self._config(ev)
        elif ev.probe == ProbeId.BACKEND_HEALTH and ev.vantage is not Vantage.THROUGH_ENVOY:
            found += self._backend(ev)
        elif ev.probe == ProbeId.ENVOY_PORTS and self.backend_port is not None:
            found += self._backend_process(ev)
        return [m for m in found if self._keep(m)]

    # -- Envoy ---------------------------------------------------------------------------------
    def _process(self, ev: Evidence) -> list[DeployMarker]:
        if ev.facts.get("config_matches") is False:
            return []  # some other Envoy on the host (not serving the configured envoy.yaml)
        pid, epoch = ev.facts.get("pid"), ev.facts.get("restart_epoch")
        before = self._remember(ev, "pid", (pid, epoch, ev.observed_at))
        if before is None or before[0] == pid:
            self._alive = ev.observed_at
            return []
        old_pid, old_epoch, seen = before
        started = _started_at(ev)
        if started < seen - SAME_DEPLOY_S:
            return []  # not a new process: one that ran all along (two Envoys serve the file)
        if isinstance(epoch, int) and isinstance(old_epoch, int) and epoch > old_epoch:
            detail = f"hot restart: epoch {old_epoch} → {epoch} (pid {old_pid} → {pid})"
            kind = DeployKind.ENVOY_HOT_RESTART
        else:
            detail, kind = f"new Envoy process: pid {old_pid} → {pid}", DeployKind.ENVOY_RESTARTED
        return [
            DeployMarker(started, self.envoy_host, kind, detail, began=self._began(seen, started))
        ]

    def _server_info(self, ev: Evidence) -> list[DeployMarker]:
        epoch, uptime = ev.facts.get("restart_epoch"), ev.facts.get("uptime_s")
        if not isinstance(uptime, int | float):
            return []
        before = self._remember(ev, "uptime", (epoch, float(uptime), ev.observed_at))
        if before is None:
            return []
        old_epoch, old_uptime, old_at = before
        started = ev.observed_at - float(uptime)
        if isinstance(epoch, int) and isinstance(old_epoch, int) and epoch > old_epoch:
            detail = f"hot restart: epoch {old_epoch} → {epoch}"
            kind = DeployKind.ENVOY_HOT_RESTART
        elif uptime + UPTIME_SLACK_S < old_uptime + (ev.observed_at - old_at):
            detail = f"Envoy uptime reset: {old_uptime:.0f}s → {uptime:.0f}s"
            kind = DeployKind.ENVOY_RESTARTED
        else:
            self._alive = ev.observed_at
            return []
        return [
            DeployMarker(started, self.envoy_host, kind, detail, began=self._began(old_at, started))
        ]

    def _config(self, ev: Evidence) -> list[DeployMarker]:
        digest = _digest(ev)
        facts = {k: v for k, v in ev.facts.items() if _plain(v)}
        before = self._remember(ev, "config", (digest, facts, ev.observed_at))
        if before is None or before[0] == digest:
            return []
        running = ev.probe == ProbeId.ENVOY_CONFIG_DUMP
        kind = DeployKind.CONFIG_CHANGED if running else DeployKind.CONFIG_FILE_CHANGED
        what = "running config changed" if running else f"{ev.target} changed on disk"
        changes = _changed_facts(before[1], facts)
        detail = f"{what}: {changes}" if changes else what
        return [DeployMarker(ev.observed_at, self.envoy_host, kind, detail, began=before[2])]

    # -- backend -------------------------------------------------------------------------------
    def _backend(self, ev: Evidence) -> list[DeployMarker]:
        if not self.version.configured or ev.facts.get("status") is None:
            return []
        version = backend_version(ev.data, self.version)
        if version is None:
            return []
        before = self._remember(ev, "version", (version, ev.observed_at))
        if before is None or before[0] == version:
            return []
        detail = f"backend version {before[0]} → {version}"
        kind = DeployKind.BACKEND_VERSION
        return [DeployMarker(ev.observed_at, self.backend_host, kind, detail, began=before[1])]

    def _began(self, seen: float, started: float) -> float:
        """The old Envoy was last seen at the later of this probe's and the other probe's last
        look, and not after the new one started (a hot restart's epochs overlap)."""
        return min(started, max(seen, self._alive))

    def _backend_process(self, ev: Evidence) -> list[DeployMarker]:
        """A new pid owns the backend's listening socket: the backend process was restarted."""
        sockets = getattr(ev.data, "sockets", None)
        if not getattr(ev.data, "owners_visible", False) or not sockets:
            return []
        pids = sorted({o.pid for s in sockets if s.port == self.backend_port for o in s.owners})
        if not pids:
            return []  # not listening (down or restarting): keep the last owner
        before = self._remember(ev, "backend_pid", (pids, ev.observed_at))
        if before is None or before[0] == pids or set(before[0]) & set(pids):
            return []
        old = ", ".join(map(str, before[0]))
        detail = f"backend on :{self.backend_port}: pid {old} → {', '.join(map(str, pids))}"
        kind = DeployKind.BACKEND_RESTARTED
        return [DeployMarker(ev.observed_at, self.backend_host, kind, detail, began=before[1])]

    # -- bookkeeping ---------------------------------------------------------------------------
    def _remember(self, ev: Evidence, what: str, value: Any) -> Any:
        """The previous value of `what` for this evidence's target (None the first time)."""
        key = (ev.probe, ev.target, what)
        before = self._seen.get(key)
        self._seen[key] = value
        return before

    def _keep(self, marker: DeployMarker) -> bool:
        """Drop the second sighting of one restart (seen by both `ps` and /server_info)."""
        if marker.kind not in _RESTARTS:
            return True
        last = self._last_restart.get(marker.host)
        self._last_restart[marker.host] = marker.at
        return last is None or abs(marker.at - last) > SAME_DEPLOY_S


def backend_port(config: Config) -> int | None:
    """The backend's port when it runs on the Envoy host (there `ss` shows who owns it)."""
    host, port = config.backend.address
    same_host = bool(config.backend.host) and config.backend.host == config.envoy.host
    local = host in ("127.0.0.1", "::1", "localhost")  # as seen from the Envoy host too
    return port if config.backend.url and (same_host or local) else None


def backend_version(data: Any, source: VersionSource) -> str | None:
    """The backend's version from a health check's response (a header, then a JSON body field)."""
    result = getattr(data, "result", None)
    if result is None or getattr(result, "status", None) is None:
        return None
    if source.header:
        value = result.header(source.header)
        if value:
            return str(value)[:80]
    if source.field:
        try:
            body: Any = json.loads(result.text())
        except ValueError:
            return None
        for part in source.field.split("."):
            body = body.get(part) if isinstance(body, dict) else None
        if body is not None and not isinstance(body, dict | list):
            return str(body)[:80]
    return None


def _started_at(ev: Evidence) -> float:
    uptime = ev.facts.get("uptime_s")
    return ev.observed_at - float(uptime) if isinstance(uptime, int | float) else ev.observed_at


def _digest(ev: Evidence) -> str:
    """What identifies a configuration: its parsed summary when there is one (a raw /config_dump
    carries `last_updated` times that change on every restart), else its facts."""
    text = (
        repr(ev.data) if ev.data is not None else json.dumps(ev.facts, sort_keys=True, default=str)
    )
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _changed_facts(old: Mapping[str, Any], new: Mapping[str, Any], limit: int = 3) -> str:
    changed = [k for k in new if k in old and old[k] != new[k] and k not in ("path",)]
    parts = [f"{k} {_short(old[k])} → {_short(new[k])}" for k in changed[:limit]]
    return "; ".join(parts)


def _short(value: Any, width: int = 60) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"
