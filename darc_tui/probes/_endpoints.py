"""Probes that check every host Envoy's cluster really has, as admin `/clusters` lists it now.

Envoy's own list rather than envoy.yaml's endpoints: it holds what DNS resolved and EDS sent, and
what the running Envoy dials even when the file on disk was edited since (drift).
"""

from __future__ import annotations

import asyncio
import dataclasses
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any

from darc_tui.hosts.base import Host
from darc_tui.model import Evidence, Status, Vantage
from darc_tui.parse.clusters import parse_clusters
from darc_tui.parse.envoy_summary import Endpoint
from darc_tui.probes._admin_http import admin_get, admin_url
from darc_tui.probes._commands import shown
from darc_tui.probes.base import P, Probe

MAX_ENDPOINTS = 16  # hosts checked per round; a bigger cluster is checked in /clusters order
SHOWN_IN_DETAIL = 4
# The cluster's summary takes the worst status of its hosts, in this order.
_WORST_FIRST = (Status.FAIL, Status.ERROR, Status.WARN, Status.OK, Status.UNKNOWN)


@dataclass(frozen=True, slots=True)
class ClusterHosts:
    """The hosts of one cluster as the running Envoy lists them (at most `limit` of them)."""

    cluster: str
    endpoints: tuple[Endpoint, ...] = ()
    total: int = 0  # hosts /clusters listed (more than `endpoints` when capped)
    error: str = ""  # why they could not be listed
    found: bool = True  # the cluster is in /clusters
    via: str = ""


async def list_cluster_hosts(
    host: Host, admin_base: str, cluster: str, *, timeout: float, limit: int = MAX_ENDPOINTS
) -> ClusterHosts:
    """GET /clusters?format=json from `host`; never raises."""
    response = await admin_get(
        host, admin_url(admin_base, "/clusters", format="json"), timeout=timeout
    )
    if response.problem:
        why = f"admin {response.url}: {response.problem}"
        return ClusterHosts(cluster, error=f"cannot list the hosts of {cluster}: {why}")
    report = await asyncio.to_thread(parse_clusters, response.body, cluster)
    if report.error:
        return ClusterHosts(cluster, error=f"cannot read /clusters: {report.error}")
    status = report.get(cluster)
    if status is None:
        return ClusterHosts(cluster, found=False, via=response.via)
    # a pipe (no port) cannot be dialled by address:port; the same address twice is checked once
    endpoints = tuple(
        dict.fromkeys(Endpoint(h.address, h.port) for h in status.hosts if h.port is not None)
    )
    return ClusterHosts(cluster, endpoints[:limit], len(endpoints), via=response.via)


class EndpointProbe(Probe[ClusterHosts | P]):
    """One Evidence per host of the cluster (target `address:port`), plus one for the cluster
    (target: its name) saying which hosts were checked this round, or why none could be."""

    vantage = Vantage.ENVOY_HOST

    def __init__(
        self,
        host: Host,
        admin_base: str,
        cluster: str,
        *,
        interval: float | None = None,
        timeout: float = 2.0,
        limit: int = MAX_ENDPOINTS,
    ) -> None:
        super().__init__(cluster, interval=interval, timeout=timeout)
        self.host, self.admin_base, self.cluster, self.limit = host, admin_base, cluster, limit

    @property
    def command(self) -> str:
        url = admin_url(self.admin_base, "/clusters", format="json")
        return shown(self.host, ("curl", "-s", url))

    @property
    def check_budget(self) -> float:
        """Seconds one host's check may take."""
        return self.timeout

    @property
    def deadline(self) -> float:
        # listing (an admin GET: 2 × timeout at most), preparing, then every host at once
        return 3 * self.timeout + self.check_budget + 1

    async def prepare(self) -> Evidence | None:
        """Anything to read before the hosts are checked; an Evidence means "cannot check"."""
        return None

    @abstractmethod
    async def check(self, endpoint: Endpoint) -> Evidence:
        """Check one host; never raises (the caller still guards it)."""

    def outcome(self, ev: Evidence) -> str:
        """A few words for the cluster's summary line ("connection refused", "404")."""
        return str(ev.facts.get("outcome") or ev.status.value)

    async def run(self) -> Evidence:
        """The cluster's summary (the engine calls `run_all` for the hosts' evidence too)."""
        return (await self.run_all())[-1]

    async def run_all(self) -> list[Evidence]:
        try:
            blocked = await self.prepare()
            if blocked is not None:
                return [blocked]
            hosts = await list_cluster_hosts(
                self.host, self.admin_base, self.cluster, timeout=self.timeout, limit=self.limit
            )
            if hosts.error or not hosts.found or not hosts.endpoints:
                return [self._nothing_to_check(hosts)]
            found = list(await asyncio.gather(*(self._guarded(e) for e in hosts.endpoints)))
        except Exception as exc:  # the boundary: a probe never raises into the engine
            return [self.evidence(Status.ERROR, f"{self.name}: {type(exc).__name__}: {exc}")]
        return [*found, self.summarize(hosts, found)]

    async def _guarded(self, endpoint: Endpoint) -> Evidence:
        try:
            return await self.check(endpoint)
        except Exception as exc:
            detail = f"{self.name} {endpoint}: {type(exc).__name__}: {exc}"
            return self.endpoint_evidence(endpoint, Status.ERROR, detail)

    def endpoint_evidence(
        self, endpoint: Endpoint, status: Status, detail: str, **kw: Any
    ) -> Evidence:
        """Evidence about one host: its target is `address:port`."""
        return dataclasses.replace(self.evidence(status, detail, **kw), target=str(endpoint))

    def _nothing_to_check(self, hosts: ClusterHosts) -> Evidence:
        facts: dict[str, Any] = {"cluster": self.cluster, "endpoints": [], "total": hosts.total}
        if hosts.error:
            return self.evidence(Status.ERROR, hosts.error, facts={**facts, "error": hosts.error})
        why = "is not in /clusters" if not hosts.found else "has no hosts"
        # cluster.no_hosts and envoy.clusters say what that means; here there is nothing to ask
        return self.evidence(
            Status.UNKNOWN, f"cluster {self.cluster} {why}: nothing to check", facts=facts
        )

    def summarize(self, hosts: ClusterHosts, found: list[Evidence]) -> Evidence:
        """The cluster's Evidence: which hosts were checked this round, the worst status."""
        statuses = {ev.status for ev in found}
        status = next((s for s in _WORST_FIRST if s in statuses), Status.UNKNOWN)
        parts = [f"{ev.target} {self.outcome(ev)}" for ev in found]
        shown_parts = "; ".join(parts[:SHOWN_IN_DETAIL])
        more = f" (+{len(parts) - SHOWN_IN_DETAIL} more)" if len(parts) > SHOWN_IN_DETAIL else ""
        capped = f" (first {len(found)} of {hosts.total})" if hosts.total > len(found) else ""
        facts = {
            "cluster": self.cluster,
            "endpoints": [ev.target for ev in found],
            "failing": [ev.target for ev in found if ev.status is Status.FAIL],
            "total": hosts.total,
            "checked": len(found),
        }
        detail = f"{self.cluster}: {len(found)} host(s){capped}: {shown_parts}{more}"
        return self.evidence(status, detail, facts=facts, data=hosts, via=hosts.via)
