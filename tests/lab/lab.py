"""The lab: a demo backend and a real Envoy in front of it, on free loopback ports in a work dir."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx

from darc_tui.demo.backend import Backend
from darc_tui.demo.envoy_process import EnvoyProcess, EnvoyStartError
from darc_tui.demo.envoy_yaml import Endpoint, EnvoySpec, render
from darc_tui.demo.lab import LabAddresses, free_port, to_toml

T = TypeVar("T")
FLUSH_MS = 50  # access-log flush interval in the lab (Envoy's default is 10 s)
LAB_HC_INTERVAL = 0.5  # health-check interval in the lab (the site's shape: 1 s)
_PORT_ATTEMPTS = 3
# Every /clusters health flag that keeps a host from taking traffic (see DESIGN.md, "Envoy facts").
# Not /pending_dynamic_removal: a host gone from DNS keeps serving while its health check passes.
_BAD_FLAGS = (
    "failed_active_health_check",
    "failed_outlier_check",
    "failed_eds_health",
    "pending_active_hc",
    "excluded_via_immediate_hc_fail",
    "active_hc_timeout",
    "eds_status_draining",
)


def wait_for(condition: Callable[[], T | None], timeout: float, what: str, step: float = 0.05) -> T:
    """Poll `condition` until it returns something other than None/False; AssertionError naming
    `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result is not None and result is not False:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(step)


@dataclasses.dataclass(frozen=True, slots=True)
class HostHealth:
    """One host of the lab cluster as /clusters?format=json reports it."""

    address: str
    port: int
    flags: frozenset[str]  # the failing health flags, empty when healthy
    pending_removal: bool = False  # gone from DNS/EDS, kept while its health check passes

    @property
    def healthy(self) -> bool:
        return not self.flags


class Lab(LabAddresses):
    """A running backend + Envoy. Build it with the `make_lab` fixture, not directly."""

    def __init__(self, workdir: Path, backend: Backend, spec: EnvoySpec, binary: Path) -> None:
        self.workdir = workdir
        self.backend = backend
        self.spec = spec
        self.binary = binary
        self.yaml_path = workdir / "envoy.yaml"
        self.access_log = workdir / "access.log"
        self.envoy = self._envoy_process()

    # -- addresses -------------------------------------------------------------------------------

    @property
    def error_log(self) -> Path:
        return self.envoy.log_path

    # -- lifecycle -------------------------------------------------------------------------------

    def _envoy_process(self) -> EnvoyProcess:
        return EnvoyProcess(
            self.yaml_path,
            admin_url=self.spec.admin_url,
            workdir=self.workdir,
            binary=self.binary,
            file_flush_interval_ms=FLUSH_MS,
        )

    def start(self, *, healthy: bool = True, new_ports: bool = True) -> None:
        """Start Envoy (retrying on fresh ports if one was taken meanwhile) and wait until LIVE."""
        for attempt in range(_PORT_ATTEMPTS):
            if new_ports:
                self.spec = dataclasses.replace(
                    self.spec, admin_port=free_port(), listener_port=free_port()
                )
            self.yaml_path.write_text(render(self.spec))
            self.envoy = self._envoy_process()
            try:
                self.envoy.start_sync(timeout=20)
                break
            except EnvoyStartError as exc:
                # Only a port taken between free_port() and Envoy's bind is worth another try.
                if not (exc.exited and new_ports) or attempt == _PORT_ATTEMPTS - 1:
                    raise
        if healthy:
            self.wait_healthy()

    def reconfigure(self, *, healthy: bool = False, **overrides: Any) -> None:
        """Rewrite envoy.yaml with `overrides` and restart Envoy on the same ports."""
        self.envoy.stop_sync()
        self.spec = dataclasses.replace(self.spec, **overrides)
        self.start(healthy=healthy, new_ports=False)

    def close(self) -> None:
        try:
            self.envoy.stop_sync()
        finally:
            self.backend.stop()

    # -- health ----------------------------------------------------------------------------------

    def hosts(self) -> list[HostHealth]:
        """The lab cluster's hosts and their failing health flags, from admin /clusters."""
        response = httpx.get(f"{self.admin_url}/clusters?format=json", timeout=2, trust_env=False)
        response.raise_for_status()
        for cluster in response.json().get("cluster_statuses", []):
            if cluster.get("name") == self.spec.cluster_name:
                return [_host_health(h) for h in cluster.get("host_statuses", [])]
        return []

    def wait_healthy(self, timeout: float = 15.0) -> list[HostHealth]:
        """Until the cluster has hosts and every one is healthy."""

        def healthy() -> list[HostHealth] | None:
            hosts = self._hosts_or_none()
            return hosts if hosts and all(h.healthy for h in hosts) else None

        return wait_for(healthy, timeout, f"{self.spec.cluster_name} healthy ({self.log_hint()})")

    def wait_unhealthy(self, timeout: float = 15.0) -> list[HostHealth]:
        """Until the cluster has hosts and none is healthy."""

        def unhealthy() -> list[HostHealth] | None:
            hosts = self._hosts_or_none()
            return hosts if hosts and not any(h.healthy for h in hosts) else None

        return wait_for(unhealthy, timeout, f"{self.spec.cluster_name} unhealthy")

    def wait_hosts(self, count: int, timeout: float = 15.0) -> list[HostHealth]:
        """Until the cluster lists exactly `count` hosts (0 = "no hosts", e.g. DNS gave none)."""

        def counted() -> list[HostHealth] | None:
            hosts = self._hosts_or_none()
            return hosts if hosts is not None and len(hosts) == count else None

        return wait_for(counted, timeout, f"{self.spec.cluster_name} with {count} host(s)")

    async def wait_healthy_async(self, timeout: float = 15.0) -> list[HostHealth]:
        return await asyncio.to_thread(self.wait_healthy, timeout)

    async def wait_unhealthy_async(self, timeout: float = 15.0) -> list[HostHealth]:
        return await asyncio.to_thread(self.wait_unhealthy, timeout)

    def _hosts_or_none(self) -> list[HostHealth] | None:
        try:
            return self.hosts()
        except httpx.HTTPError:
            return None

    def log_hint(self) -> str:
        return f"Envoy log: {self.envoy.log_path}"

    def wait_access_log(self, needle: str, timeout: float = 10.0) -> str:
        """The newest access-log line containing `needle`, once Envoy has flushed it."""

        def found() -> str | None:
            matches = [line for line in self.access_log_lines() if needle in line]
            return matches[-1] if matches else None

        return wait_for(found, timeout, f"an access-log line with {needle!r} in {self.access_log}")

    def access_log_lines(self) -> list[str]:
        try:
            return self.access_log.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []

    # -- darc-tui configuration ------------------------------------------------------------------

    def config_sections(self) -> dict[str, dict[str, Any]]:
        origin = self.spec.cors_origins[0] if self.spec.cors_origins else ""
        return self.darc_sections(name="lab", origin=origin, interval=0.5, timeout=1.0)

    def write_config(self, path: str | Path | None = None, **sections: Mapping[str, Any]) -> Path:
        """A darc-tui TOML config for this lab; `sections` merge into (or add) tables,
        e.g. `write_config(envoy={"reload": "command"}, hosts={"edge": {"address": "127.0.0.1"}})`."""
        data: dict[str, Any] = self.config_sections()
        for name, values in sections.items():
            data[name] = {**data.get(name, {}), **values}
        target = Path(path) if path else self.workdir / "darc-tui.toml"
        target.write_text(to_toml(data), encoding="utf-8")
        return target


def make(
    workdir: Path,
    binary: Path,
    *,
    healthy: bool = True,
    endpoint_host: str = "127.0.0.1",
    **overrides: Any,
) -> Lab:
    """Start a backend and an Envoy pointed at it: at `endpoint_host` (a DNS name for STRICT_DNS)
    and the backend's port, unless `endpoints` is overridden."""
    workdir.mkdir(parents=True, exist_ok=True)
    backend = Backend().start()
    spec = EnvoySpec(
        endpoints=(Endpoint(endpoint_host, backend.port),),
        access_log_path=str(workdir / "access.log"),
        hc_interval=LAB_HC_INTERVAL,
    )
    spec = dataclasses.replace(spec, **overrides)
    lab = Lab(workdir, backend, spec, binary)
    try:
        lab.start(healthy=healthy, new_ports="admin_port" not in overrides)
    except BaseException:
        lab.close()
        raise
    return lab


def _host_health(raw: Mapping[str, Any]) -> HostHealth:
    socket_address = raw.get("address", {}).get("socket_address", {})
    status = raw.get("health_status", {})
    flags = {flag for flag in _BAD_FLAGS if status.get(flag)}
    eds = status.get("eds_health_status", "HEALTHY")
    if eds != "HEALTHY":
        flags.add(f"eds_{eds.lower()}")
    return HostHealth(
        socket_address.get("address", ""),
        int(socket_address.get("port_value", 0)),
        frozenset(flags),
        pending_removal=bool(status.get("pending_dynamic_removal")),
    )


# ---------------------------------------------------------------------------------------------
# a TOML writer for the few shapes a darc-tui config has (tables of scalars, nested tables)
