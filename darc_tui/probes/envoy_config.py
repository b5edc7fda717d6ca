"""Envoy's configuration on the Envoy host: the file (`envoy.config_file`), Envoy's own verdict on it
(`envoy.validate`), and whether the running Envoy still runs what the file says (`envoy.drift`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from darc_tui.config import Config
from darc_tui.errors import ErrorKind
from darc_tui.hosts.base import CommandResult, Host
from darc_tui.ids import ProbeId
from darc_tui.model import Evidence, Status, Vantage
from darc_tui.parse.config_dump import parse_config_dump
from darc_tui.parse.envoy_summary import ConfigChange, EnvoySummary
from darc_tui.parse.envoy_validate import ValidateResult, parse_validate_output
from darc_tui.parse.envoy_yaml import diff
from darc_tui.parse.ps import find_envoys
from darc_tui.probes._admin_http import admin_get, admin_url
from darc_tui.probes._commands import (
    host_named,
    list_processes,
    needs_root,
    not_installed,
    shown,
    uses_sudo,
)
from darc_tui.probes._config_cache import file_fingerprint, remember, remembered, summary_of
from darc_tui.probes.base import AnyProbe, ObservingProbe, P

CONFIG_SIZE_LIMIT = 4 * 1024 * 1024  # an envoy.yaml larger than this is not read
CONFIG_INTERVAL = 5.0  # seconds between reads of the file (it rarely changes)
REVALIDATE_AFTER = (
    300.0  # re-run `--mode validate` at least this often even if the file is unchanged
)
SHOWN_CHANGES = 3


async def read_config(host: Host, path: str, timeout: float) -> tuple[str, str]:
    """(text, "") or ("", why not): the file as the Envoy host sees it, at most 4 MiB; read
    again only when its fingerprint changed (probes/_config_cache.py)."""
    fingerprint = await file_fingerprint(host, path, timeout)
    known = remembered(host, path, fingerprint)
    if known is not None:
        return known, ""
    result = await host.run(["head", "-c", str(CONFIG_SIZE_LIMIT + 1), "--", path], timeout=timeout)
    if not result.ok:
        return "", result.why()
    if len(result.stdout) > CONFIG_SIZE_LIMIT:
        return "", f"larger than {CONFIG_SIZE_LIMIT // (1024 * 1024)} MiB"
    text = result.stdout.decode("utf-8", "replace")
    remember(host, path, fingerprint, text)
    return text, ""


class ConfigProbe(ObservingProbe[P]):
    vantage = Vantage.ENVOY_HOST
    interval = CONFIG_INTERVAL

    def __init__(self, host: Host, path: str, **kw: Any) -> None:
        super().__init__(path, **kw)
        self.host, self.path = host, path


def judge_summary(
    summary: EnvoySummary, name: str, where: str
) -> tuple[Status, str, dict[str, Any]]:
    """Shared by the running-config and the on-disk probes: the configured cluster's settings."""
    facts: dict[str, Any] = {
        "clusters": len(summary.clusters),
        "listener_ports": ", ".join(map(str, summary.listener_ports)),
        "admin": str(summary.admin) if summary.admin else "",
        "cluster": name,
        "found": False,
    }
    cluster = summary.cluster(name)
    if cluster is None:
        known = ", ".join(c.name for c in summary.clusters) or "none"
        return Status.FAIL, f"cluster {name} not in {where} (clusters: {known})", facts
    hc = cluster.health_check
    facts.update(
        {
            "found": True,
            "type": cluster.type,
            "endpoints": ", ".join(map(str, cluster.endpoints)),
            "connect_timeout_s": cluster.connect_timeout,
            "hc_path": cluster.hc_path,
            "hc_host": hc.host if hc else None,
            "hc_timeout_s": cluster.hc_timeout,
            "hc_interval_s": hc.interval if hc else None,
            "hc_expected": ", ".join(map(str, cluster.hc_expected_statuses)),
            "panic_threshold": cluster.panic_threshold,
            "upstream_tls": cluster.upstream_tls,
            "http2": cluster.http2,
            "idle_timeout_s": cluster.idle_timeout,
            "max_connections": cluster.max_connections,
            "outlier_detection": cluster.outlier_detection is not None,
        }
    )
    endpoints = facts["endpoints"] or "no endpoints"
    if hc is None:
        check = "no active health check"
    else:
        timeout = f"{hc.timeout:g}s" if hc.timeout is not None else "?"
        check = f"HC {hc.path or hc.kind} Host {hc.host} timeout {timeout}"
    detail = f"{summary.describe()}; {name} {cluster.type} → {endpoints}, {check}"
    return Status.OK, detail, facts


class ConfigFileProbe(ConfigProbe[EnvoySummary]):
    """envoy.yaml as it is on disk now: parses? has the configured cluster? with which settings?"""

    name = ProbeId.ENVOY_CONFIG_FILE

    def __init__(self, host: Host, path: str, cluster: str, **kw: Any) -> None:
        super().__init__(host, path, **kw)
        self.cluster = cluster

    @property
    def command(self) -> str:
        return shown(self.host, ("cat", "--", self.path))

    async def observe(self) -> Evidence:
        text, why = await read_config(self.host, self.path, self.timeout)
        if why:
            return self.evidence(
                Status.ERROR,
                f"cannot read {self.path}: {why}",
                facts={"error": why, "path": self.path},
            )
        summary = await summary_of(text, self.path)
        if summary.error:
            facts = {
                "error": summary.error,
                "path": self.path,
                "line": summary.line,
                "column": summary.column,
            }
            return self.evidence(Status.FAIL, summary.error, facts=facts, data=summary)
        status, detail, facts = judge_summary(summary, self.cluster, self.path)
        return self.evidence(status, detail, facts={**facts, "path": self.path}, data=summary)


@dataclass(frozen=True, slots=True)
class Validation:
    binary: str
    path: str
    result: ValidateResult


class ValidateProbe(ConfigProbe[Validation]):
    """`<envoy> --mode validate -c <path>` on the Envoy host, re-run when the file changes."""

    name = ProbeId.ENVOY_VALIDATE

    def __init__(
        self, host: Host, path: str, binary: str = "", *, sudo: bool = False, **kw: Any
    ) -> None:
        super().__init__(host, path, **kw)
        self.sudo = sudo  # validate opens the access-log files for writing: root's, usually
        self.configured_binary = binary
        self.binary = binary
        self._last: tuple[str, float, Evidence] | None = None  # (fingerprint, when, evidence)

    def argv(self, binary: str) -> tuple[str, ...]:
        argv = (binary, "--mode", "validate", "-c", self.path, "--log-level", "error")
        return ("sudo", "-n", *argv) if self.sudo else argv

    @property
    def command(self) -> str:
        return shown(self.host, self.argv(self.binary or "envoy"))

    async def observe(self) -> Evidence:
        if not self.binary:
            self.binary, why = await self.find_binary()
            if not self.binary:
                return self.evidence(Status.UNKNOWN, f"cannot validate {self.path}: {why}")
        fingerprint = await file_fingerprint(self.host, self.path, self.timeout)
        if self._last is not None and fingerprint:
            seen, when, evidence = self._last
            if seen == fingerprint and time.monotonic() - when < REVALIDATE_AFTER:
                return replace(evidence, observed_at=time.time())
        evidence = await self.validate(self.binary)
        known = evidence.status in (Status.OK, Status.FAIL)
        self._last = (fingerprint, time.monotonic(), evidence) if known and fingerprint else None
        return evidence

    async def validate(self, binary: str) -> Evidence:
        started = time.monotonic()
        result = await self.host.run(self.argv(binary), timeout=2 * self.timeout)
        elapsed = (time.monotonic() - started) * 1000.0
        facts: dict[str, Any] = {"binary": binary, "path": self.path}
        if not_installed(result):
            if not self.configured_binary:
                self.binary = ""  # look for the running Envoy's binary again next time
            return self.evidence(
                Status.UNKNOWN,
                f"cannot validate: {binary} not found on the Envoy host",
                facts=facts,
            )
        if not result.ran:
            return self.evidence(
                Status.ERROR, f"{binary} --mode validate: {result.why()}", facts=facts
            )
        verdict = parse_validate_output(result.exit_status, result.stdout, result.stderr)
        facts.update(
            {"valid": verdict.ok, "message": verdict.message, "exit_status": result.exit_status}
        )
        data = Validation(binary, self.path, verdict)
        if not verdict.ok and verdict.message.startswith("Invalid path"):
            return await self._unopenable(facts)
        if not verdict.ok and _privilege_error(verdict.message, result):
            # e.g. "unable to open file '/var/log/envoy/access.log': Permission denied": the
            # login user may not open what Envoy opens; that says nothing about the config
            hint = "sudo -n refused" if self.sudo else "set sudo = true for this host"
            return self.evidence(
                Status.UNKNOWN,
                f"cannot validate {self.path} as the login user: needs root ({hint}): "
                f"{verdict.message}",
                facts=facts,
                error_kind=ErrorKind.NEEDS_ROOT,
            )
        if verdict.ok:
            return self.evidence(
                Status.OK,
                f"{self.path} is valid ({binary})",
                facts=facts,
                data=data,
                latency_ms=elapsed,
            )
        return self.evidence(
            Status.FAIL,
            f"{self.path} does not validate: {verdict.message}",
            facts=facts,
            data=data,
            latency_ms=elapsed,
        )

    async def _unopenable(self, facts: dict[str, Any]) -> Evidence:
        """Envoy says "Invalid path" for a missing file and for one the login user cannot read:
        neither says the config is invalid (a non-root login must not produce config.invalid)."""
        exists = await self.host.run(["test", "-e", self.path], timeout=self.timeout)
        if exists.exit_status == 0:
            return self.evidence(
                Status.UNKNOWN,
                f"cannot validate {self.path}: not readable by the login user (needs root)",
                facts=facts,
                error_kind=ErrorKind.NEEDS_ROOT,
            )
        return self.evidence(
            Status.UNKNOWN,
            f"cannot validate {self.path}: no such file, or a folder on its path is closed to "
            "the login user",
            facts=facts,
            error_kind=ErrorKind.NOT_FOUND,
        )

    async def find_binary(self) -> tuple[str, str]:
        """The running Envoy's executable (`/proc/<pid>/exe`), or ("", why not)."""
        listing, table = await list_processes(self.host, self.timeout)
        if not listing.ok:
            return "", f"cannot list processes ({listing.why()}); set [envoy] binary"
        envoys = find_envoys(table.rows)
        if not envoys:
            return "", "no running Envoy to take the binary from; set [envoy] binary"
        envoy = next((e for e in envoys if e.config_path == self.path), envoys[0])
        exe = await self.host.run(
            ["readlink", "--", f"/proc/{envoy.pid}/exe"], timeout=self.timeout
        )
        path = exe.text().strip().removesuffix(" (deleted)") if exe.ok else ""
        if path:
            return path, ""
        if envoy.binary.startswith("/"):
            return envoy.binary, ""
        return "", f"cannot read /proc/{envoy.pid}/exe ({exe.why()}); set [envoy] binary"


@dataclass(frozen=True, slots=True)
class Drift:
    disk: EnvoySummary
    running: EnvoySummary
    changes: tuple[ConfigChange, ...]


class DriftProbe(ConfigProbe[Drift]):
    """envoy.yaml on disk vs the running config (/config_dump): FAIL when they differ."""

    name = ProbeId.ENVOY_DRIFT

    def __init__(self, host: Host, path: str, admin: str, **kw: Any) -> None:
        super().__init__(host, path, **kw)
        self.dump_url = admin_url(admin, "/config_dump")

    @property
    def command(self) -> str:
        return f"{shown(self.host, ('curl', '-s', self.dump_url))}  # vs  {shown(self.host, ('cat', '--', self.path))}"

    async def observe(self) -> Evidence:
        (text, why), response = await asyncio.gather(
            read_config(self.host, self.path, self.timeout),
            admin_get(self.host, self.dump_url, timeout=self.timeout),
        )
        if why:
            return self.evidence(Status.UNKNOWN, f"file not known: cannot read {self.path}: {why}")
        if response.problem:
            return self.evidence(
                Status.UNKNOWN, f"running config not known: {self.dump_url}: {response.problem}"
            )
        disk = await summary_of(text, self.path)
        running = await asyncio.to_thread(parse_config_dump, response.body)
        if disk.error or running.error:
            why = (
                f"{self.path}: {disk.error}" if disk.error else f"{self.dump_url}: {running.error}"
            )
            return self.evidence(Status.UNKNOWN, f"cannot compare: {why}")
        changes = tuple(diff(disk, running))
        facts = {
            "changes": len(changes),
            "path": self.path,
            "summary": "; ".join(map(str, changes)),
        }
        data = Drift(disk, running, changes)
        if not changes:
            return self.evidence(
                Status.OK, f"the running config matches {self.path}", facts=facts, data=data
            )
        shown_changes = "; ".join(map(str, changes[:SHOWN_CHANGES]))
        more = f" (+{len(changes) - SHOWN_CHANGES} more)" if len(changes) > SHOWN_CHANGES else ""
        detail = (
            f"{self.path} differs from the running config (running → disk): {shown_changes}{more}"
        )
        return self.evidence(Status.FAIL, detail, facts=facts, data=data)


def _privilege_error(message: str, result: CommandResult) -> bool:
    return "permission denied" in message.lower() or needs_root(result)


def build(config: Config, hosts: Mapping[str, Host]) -> list[AnyProbe]:
    host = host_named(hosts, config.envoy.host)
    e = config.envoy
    if host is None or not e.config_path:
        return []
    kw: dict[str, Any] = {
        "timeout": config.probes.timeout,
        "interval": max(config.probes.interval, CONFIG_INTERVAL),
    }
    return [
        ConfigFileProbe(host, e.config_path, e.cluster, **kw),
        ValidateProbe(host, e.config_path, e.binary, sudo=uses_sudo(config, e.host), **kw),
        DriftProbe(host, e.config_path, e.admin_url, **kw),
    ]
