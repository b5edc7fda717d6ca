"""Plain TCP connect to the backend address from the Envoy host (the runbook's `nc -zv`)."""

from __future__ import annotations

from collections.abc import Mapping

from darc_tui.config import Config
from darc_tui.hosts.base import Host, TcpResult, host_down
from darc_tui.model import Evidence, Status, Vantage
from darc_tui.probes._commands import host_named, shown
from darc_tui.probes.base import Probe

_WORDING = {"refused": "connection refused", "timeout": "connect timed out"}


class BackendTcpProbe(Probe):
    """TCP connect from `host` to address:port, then close; FAIL refused/timeout/unreachable."""

    name = "backend.tcp"
    vantage = Vantage.ENVOY_HOST

    def __init__(
        self,
        host: Host,
        address: str,
        port: int,
        *,
        interval: float | None = None,
        timeout: float = 2.0,
    ) -> None:
        label = f"[{address}]" if ":" in address else address
        super().__init__(f"{label}:{port}", interval=interval, timeout=timeout)
        self.host, self.address, self.port = host, address, port

    @property
    def command(self) -> str:
        argv = ("nc", "-zv", "-w", f"{max(1, round(self.timeout))}", self.address, str(self.port))
        return shown(self.host, argv)

    async def run(self) -> Evidence:
        try:
            result = await self.host.open_tcp(self.address, self.port, timeout=self.timeout)
        except Exception as exc:  # the boundary: a probe never raises into the engine
            result = TcpResult(self.address, self.port, False, error=str(exc) or type(exc).__name__)
        facts = {
            "ok": result.ok,
            "host": self.address,
            "port": self.port,
            "connect_ms": None if result.connect_ms is None else round(result.connect_ms, 2),
            "error": result.error,
            "via": result.via,
        }
        where = f"connect {self.target} from {self.host.name}"
        if result.ok:
            ms = f" in {result.connect_ms:.1f} ms" if result.connect_ms is not None else ""
            status, detail = Status.OK, f"{where}: connected{ms}"
        else:
            why = _WORDING.get(result.error, result.error or "failed")
            if result.error == "timeout":
                why += f" after {self.timeout:g} s"
            # a host we cannot reach measured nothing about the target: that is ERROR, not FAIL
            status = Status.ERROR if host_down(result.error) else Status.FAIL
            detail = f"{where}: {why}"
        return self.evidence(
            status,
            detail,
            latency_ms=result.connect_ms,
            via=result.via,
            facts=facts,
            data=result,
            observed_at=result.observed_at,
        )


def build(config: Config, hosts: Mapping[str, Host]) -> list[Probe]:
    host = host_named(hosts, config.envoy.host)
    address, port = config.backend.address
    if host is None or not address:
        return []
    return [
        BackendTcpProbe(
            host, address, port, interval=config.probes.interval, timeout=config.probes.timeout
        )
    ]
