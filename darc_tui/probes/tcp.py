"""Plain TCP connects from the Envoy host (the runbook's `nc -zv`): to the backend URL
(`backend.tcp`), and to every host Envoy's cluster really has (`endpoint.tcp`), so "one of two
hosts down" and "wrong port" are proven per host (refused / timed out), not inferred."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from darc_tui.config import Config
from darc_tui.errors import ErrorKind, classify
from darc_tui.hosts.base import Host, TcpResult, host_down
from darc_tui.ids import ProbeId
from darc_tui.model import Evidence, Status, Vantage
from darc_tui.parse.envoy_summary import Endpoint
from darc_tui.probes._commands import host_named, shown
from darc_tui.probes._endpoints import EndpointProbe
from darc_tui.probes.base import AnyProbe, Probe

_WORDING = {"refused": "connection refused", "timeout": "connect timed out"}


async def connect(host: Host, address: str, port: int, timeout: float) -> TcpResult:
    """`host.open_tcp`, with an unexpected exception turned into a failed result."""
    try:
        return await host.open_tcp(address, port, timeout=timeout)
    except Exception as exc:  # the boundary: a probe never raises into the engine
        error = str(exc) or type(exc).__name__
        return TcpResult(address, port, False, error=error, error_kind=classify(exc))


# What a host's TcpResult.error word means when the host did not set the kind itself.
_KIND_OF_WORD = {
    "refused": ErrorKind.REFUSED,
    "timeout": ErrorKind.CONNECT_TIMEOUT,  # a TCP connect that times out never got a SYN-ACK
    "unreachable": ErrorKind.NO_ROUTE,
}


def connect_kind(result: TcpResult) -> ErrorKind | None:
    """The kind of a failed connect (None when it connected)."""
    if result.ok:
        return None
    if result.error_kind is not None:
        return result.error_kind
    if host_down(result.error):
        return ErrorKind.HOST_DOWN
    return _KIND_OF_WORD.get(result.error, ErrorKind.OTHER)


def judge_connect(
    result: TcpResult, where: str, timeout: float
) -> tuple[Status, str, dict[str, Any]]:
    """(status, detail, facts) of one connect attempt; `where` is "connect H:P from HOST"."""
    facts: dict[str, Any] = {
        "ok": result.ok,
        "host": result.host,
        "port": result.port,
        "connect_ms": None if result.connect_ms is None else round(result.connect_ms, 2),
        "error": result.error,
        "via": result.via,
    }
    if result.ok:
        ms = f" in {result.connect_ms:.1f} ms" if result.connect_ms is not None else ""
        facts["outcome"] = "connected"
        return Status.OK, f"{where}: connected{ms}", facts
    why = _WORDING.get(result.error, result.error or "failed")
    facts["outcome"] = why
    if result.error == "timeout":
        why += f" after {timeout:g} s"
    # a host we cannot reach measured nothing about the target: that is ERROR, not FAIL
    status = Status.ERROR if connect_kind(result) is ErrorKind.HOST_DOWN else Status.FAIL
    return status, f"{where}: {why}", facts


def nc_command(host: Host, address: str, port: int, timeout: float) -> str:
    return shown(host, ("nc", "-zv", "-w", f"{max(1, round(timeout))}", address, str(port)))


class BackendTcpProbe(Probe[TcpResult]):
    """TCP connect from `host` to address:port, then close; FAIL refused/timeout/unreachable."""

    name = ProbeId.BACKEND_TCP
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
        return nc_command(self.host, self.address, self.port, self.timeout)

    async def run(self) -> Evidence:
        result = await connect(self.host, self.address, self.port, self.timeout)
        where = f"connect {self.target} from {self.host.name}"
        status, detail, facts = judge_connect(result, where, self.timeout)
        return self.evidence(
            status,
            detail,
            latency_ms=result.connect_ms,
            via=result.via,
            facts=facts,
            data=result,
            observed_at=result.observed_at,
            error_kind=connect_kind(result),
        )


class EndpointTcpProbe(EndpointProbe[TcpResult]):
    """A TCP connect from the Envoy host to every host of the cluster (at most 16 per round)."""

    name = ProbeId.ENDPOINT_TCP

    async def check(self, endpoint: Endpoint) -> Evidence:
        address, port = endpoint
        return self.judge(endpoint, await connect(self.host, address, port, self.timeout))

    def judge(self, endpoint: Endpoint, result: TcpResult) -> Evidence:
        address, port = endpoint
        where = f"connect {endpoint} ({self.cluster} host) from {self.host.name}"
        status, detail, facts = judge_connect(result, where, self.timeout)
        return self.endpoint_evidence(
            endpoint,
            status,
            detail,
            command=nc_command(self.host, address, port, self.timeout),
            latency_ms=result.connect_ms,
            via=result.via,
            facts={**facts, "cluster": self.cluster},
            data=result,
            observed_at=result.observed_at,
            error_kind=connect_kind(result),
        )


def build(config: Config, hosts: Mapping[str, Host]) -> list[AnyProbe]:
    host = host_named(hosts, config.envoy.host)
    if host is None:
        return []
    common: dict[str, Any] = {"interval": config.probes.interval, "timeout": config.probes.timeout}
    probes: list[AnyProbe] = []
    address, port = config.backend.address
    if address:
        probes.append(BackendTcpProbe(host, address, port, **common))
    if config.envoy.admin_url and config.envoy.cluster:
        probes.append(
            EndpointTcpProbe(host, config.envoy.admin_url, config.envoy.cluster, **common)
        )
    return probes
