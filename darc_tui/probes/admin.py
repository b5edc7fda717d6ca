"""Envoy's admin API, read from the Envoy host: /ready, /server_info, /clusters, /stats, /config_dump.

Only read-only endpoints, only GET (state-changing ones answer 405 to GET anyway). Anything the
admin API answers that cannot be parsed (HTML from a proxy, truncated JSON) is ERROR evidence
naming the endpoint, never an exception.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping
from typing import Any

from darc_tui.config import Config
from darc_tui.hosts.base import Host
from darc_tui.ids import ProbeId
from darc_tui.model import Evidence, Status, Vantage
from darc_tui.parse.clusters import ClustersReport, HealthFlag, flags_in_words, parse_clusters
from darc_tui.parse.config_dump import parse_config_dump
from darc_tui.parse.envoy_summary import EnvoySummary
from darc_tui.parse.server_info import (
    ReadyState,
    ServerInfo,
    ServerState,
    parse_ready,
    parse_server_info,
)
from darc_tui.parse.stats import (
    CLUSTER_COUNTERS,
    CLUSTER_GAUGES,
    StatKind,
    Stats,
    cluster_filter,
    delta,
    parse_stats,
)
from darc_tui.probes._admin_http import AdminResponse, admin_get, admin_url
from darc_tui.probes._commands import host_named, shown
from darc_tui.probes.base import AnyProbe, ObservingProbe, P
from darc_tui.probes.envoy_config import judge_summary

# Counters whose movement in a window means requests are failing at Envoy.
FAILURE_COUNTERS = (
    "upstream_cx_connect_fail",
    "upstream_cx_connect_timeout",
    "upstream_cx_none_healthy",
    "lb_healthy_panic",
    "upstream_cx_overflow",
    "upstream_rq_pending_overflow",
    "upstream_rq_active_overflow",
    "upstream_rq_5xx",
    "upstream_rq_timeout",
    "upstream_cx_protocol_error",
    "health_check.failure",
    "outlier_detection.ejections_enforced_total",
    "ssl.connection_error",
)
# HCM no_route/5xx, listener and server stats; xDS update_rejected (cds/lds, rds under http.)
STATS_ALSO = ("http.", "listener.", "server.", "cluster_manager.", "listener_manager.")
SLOW_ENDPOINT_INTERVAL = 5.0  # seconds between reads of big, slow-changing endpoints
# Stats (read every round anyway) whose change means a hot restart or a cluster added/changed/removed:
# the cluster's stat name (alt_stat_name) is learned again then.
GENERATION_STATS = (
    "server.hot_restart_epoch",
    "cluster_manager.cluster_added",
    "cluster_manager.cluster_modified",
    "cluster_manager.cluster_removed",
)


class AdminProbe(ObservingProbe[P]):
    """Base for the admin probes: one admin endpoint on the Envoy host."""

    vantage = Vantage.ENVOY_HOST
    path = "/"

    def __init__(self, host: Host, base_url: str, target: str = "", **kw: Any) -> None:
        super().__init__(target or base_url, **kw)
        self.host, self.base_url = host, base_url

    def url(self) -> str:
        return admin_url(self.base_url, self.path)

    @property
    def command(self) -> str:
        return shown(self.host, ("curl", "-s", self.url()))

    async def fetch(self, url: str | None = None) -> AdminResponse:
        return await admin_get(self.host, url or self.url(), timeout=self.timeout)

    def unreachable(self, response: AdminResponse) -> Evidence:
        """ERROR: the admin API could not be read at all, or answered garbage."""
        if response.error:
            detail = f"admin unreachable at {self.base_url}: {response.error}"
        else:
            detail = f"GET {response.url}: {response.problem}"
        facts = {"reachable": not response.error, "error": response.problem, "url": response.url}
        return self.evidence(
            Status.ERROR,
            detail,
            facts=facts,
            via=response.via,
            latency_ms=response.total_ms,
            error_kind=response.error_kind,
        )

    def unparsable(self, response: AdminResponse, why: str) -> Evidence:
        facts = {"reachable": True, "error": why, "url": response.url}
        return self.evidence(
            Status.ERROR,
            f"GET {response.url}: {why}",
            facts=facts,
            via=response.via,
            latency_ms=response.total_ms,
        )


class ReadyProbe(AdminProbe[ReadyState]):
    name = ProbeId.ENVOY_READY
    path = "/ready"

    async def observe(self) -> Evidence:
        response = await self.fetch()
        if response.error:
            return self.unreachable(response)
        ready = parse_ready(response.body, response.status)
        if ready.error:
            return self.unparsable(response, ready.error)
        facts = {
            "reachable": True,
            "state": ready.state.value if ready.state else "",
            "status_code": response.status,
            "error": "",
        }
        status, detail = _ready_verdict(ready.state)
        return self.evidence(
            status, detail, facts=facts, data=ready, via=response.via, latency_ms=response.total_ms
        )


def _ready_verdict(state: ServerState | None) -> tuple[Status, str]:
    if state is ServerState.LIVE:
        return Status.OK, "Envoy is LIVE"
    if state in (ServerState.PRE_INITIALIZING, ServerState.INITIALIZING):
        # Envoy waits for the first health-check round (and xDS) before LIVE: not a fault yet
        return Status.WARN, f"Envoy is {state}: still starting (first health checks, xDS)"
    return Status.FAIL, f"Envoy is {state}: draining (healthcheck/fail or shutting down)"


class ServerInfoProbe(AdminProbe[ServerInfo]):
    name = ProbeId.ENVOY_SERVER_INFO
    path = "/server_info"

    def __init__(self, host: Host, base_url: str, config_path: str = "", **kw: Any) -> None:
        super().__init__(host, base_url, **kw)
        self.config_path = config_path

    async def observe(self) -> Evidence:
        response = await self.fetch()
        if response.problem:
            return self.unreachable(response)
        info = await asyncio.to_thread(parse_server_info, response.body)
        if info.error:
            return self.unparsable(response, info.error)
        state = info.state.value if info.state else "unknown state"
        detail = f"Envoy {info.semver or info.version or '?'} {state}, up {_age(info.uptime_current_epoch)}"
        detail += f" (epoch {info.restart_epoch}, all epochs {_age(info.uptime_all_epochs)})"
        status = Status.OK if info.state is ServerState.LIVE else Status.WARN
        if self.config_path and info.config_path and info.config_path != self.config_path:
            status = Status.WARN
            detail += f"; started with -c {info.config_path}, not {self.config_path}"
        facts = {
            "version": info.semver or info.version,
            "state": info.state.value if info.state else "",
            "uptime_s": info.uptime_current_epoch,
            "uptime_all_epochs_s": info.uptime_all_epochs,
            "restart_epoch": info.restart_epoch,
            "hot_restart_version": info.hot_restart_version,
            "config_path": info.config_path,
            "concurrency": info.concurrency,
        }
        return self.evidence(
            status, detail, facts=facts, data=info, via=response.via, latency_ms=response.total_ms
        )


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = int(seconds)
    if s >= 86400:
        return f"{s // 86400}d{s % 86400 // 3600}h"
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60}m"
    return f"{s // 60}m{s % 60}s" if s >= 60 else f"{s}s"


class ClustersProbe(AdminProbe[ClustersReport]):
    """The configured cluster's hosts and every health flag, from /clusters?format=json."""

    name = ProbeId.ENVOY_CLUSTERS
    path = "/clusters"

    def __init__(self, host: Host, base_url: str, cluster: str, **kw: Any) -> None:
        super().__init__(host, base_url, target=cluster, **kw)
        self.cluster = cluster

    def url(self) -> str:
        return admin_url(self.base_url, self.path, format="json")

    async def observe(self) -> Evidence:
        response = await self.fetch()
        if response.problem:
            return self.unreachable(response)
        # an Envoy that ignores ?format=json answers in the text format: parse_clusters reads both;
        # only the configured cluster's hosts are kept (shown and judged), the others as counts
        report = await asyncio.to_thread(parse_clusters, response.body, self.cluster)
        if report.error:
            return self.unparsable(response, report.error)
        status, detail, facts = _judge_cluster(report, self.cluster)
        return self.evidence(
            status, detail, facts=facts, data=report, via=response.via, latency_ms=response.total_ms
        )


def _judge_cluster(report: ClustersReport, name: str) -> tuple[Status, str, dict[str, Any]]:
    cluster = report.get(name)
    if cluster is None:
        known = ", ".join(report.names) or "none"
        missing = {"cluster": name, "found": False, "clusters": known}
        return Status.FAIL, f"cluster {name} not found (clusters: {known})", missing
    healthy, hosts = cluster.healthy_hosts, cluster.hosts
    flags = sorted(
        {f.value for h in hosts for f in h.flags} | {u for h in hosts for u in h.unknown_flags}
    )
    facts: dict[str, Any] = {
        "cluster": name,
        "found": True,
        "hosts": len(hosts),
        "healthy": len(healthy),
        "endpoints": ", ".join(h.endpoint for h in hosts),
        "flags": ", ".join(flags),
        "unhealthy": flags_in_words(cluster.unhealthy_hosts),
        "added_via_api": cluster.added_via_api,
    }
    if not hosts:
        return Status.FAIL, f"cluster {name} has no hosts", facts
    count = f"{len(healthy)}/{len(hosts)} hosts healthy"
    if len(healthy) == len(hosts):
        return Status.OK, f"{name}: {count} ({facts['endpoints']})", facts
    waiting = all(
        h.flags <= {HealthFlag.PENDING_ACTIVE_HC} and not h.unknown_flags
        for h in cluster.unhealthy_hosts
    )
    if waiting:
        return Status.WARN, f"{name}: {count}; waiting for the first health check", facts
    status = Status.FAIL if not healthy else Status.WARN
    return status, f"{name}: {count}; {facts['unhealthy']}", facts


class StatsProbe(AdminProbe[Stats]):
    """The configured cluster's counters and gauges; counters judged by their change since the
    previous sample this probe took (the first sample has no deltas: "no data yet")."""

    name = ProbeId.ENVOY_STATS
    path = "/stats"

    def __init__(self, host: Host, base_url: str, cluster: str, **kw: Any) -> None:
        super().__init__(host, base_url, target=cluster, **kw)
        self.cluster = cluster
        self.previous: tuple[float, Stats] | None = None
        # The cluster's stats live under cluster.<alt_stat_name>. when the config sets one: the name
        # is learned from the running config on the first round, and again after a restart or a
        # cluster change (or while no stats are found, at most every SLOW_ENDPOINT_INTERVAL).
        self.stat_name = cluster
        self.relearn = True
        self.learned_at = -SLOW_ENDPOINT_INTERVAL
        self.generation: tuple[int | None, ...] | None = None
        self.found = False  # the last sample had stats under stat_name

    @property
    def filter(self) -> str:
        return cluster_filter(self.stat_name, *STATS_ALSO)

    def url(self, kind: StatKind = StatKind.COUNTER) -> str:
        return admin_url(
            self.base_url, self.path, format="json", type=kind.value, filter=self.filter
        )

    async def observe(self) -> Evidence:
        if self.relearn and self._due():
            await self.learn_stat_name()
        sample = await self.sample()
        if isinstance(sample, Evidence):
            return sample
        stats, responses = sample
        if self._needs_learning(stats):
            before = self.stat_name
            await self.learn_stat_name()
            if self.stat_name != before:
                sample = await self.sample()
                if isinstance(sample, Evidence):
                    return sample
                stats, responses = sample
        self.found = stats.cluster(self.stat_name).found
        now = time.monotonic()
        previous, self.previous = self.previous, (now, stats)
        status, detail, facts = self._judge(stats, previous, now)
        return self.evidence(
            status,
            detail,
            facts=facts,
            data=stats,
            via=responses[0].via,
            latency_ms=max(r.total_ms or 0.0 for r in responses),
        )

    async def sample(self) -> tuple[Stats, tuple[AdminResponse, ...]] | Evidence:
        """Counters and gauges of the cluster (under its stat name) and of STATS_ALSO."""
        responses = await asyncio.gather(
            self.fetch(self.url(StatKind.COUNTER)), self.fetch(self.url(StatKind.GAUGE))
        )
        for response in responses:
            if response.problem:
                return self.unreachable(response)
        counters = parse_stats(responses[0].body, StatKind.COUNTER)
        gauges = parse_stats(responses[1].body, StatKind.GAUGE)
        for response, parsed in zip(responses, (counters, gauges), strict=True):
            if parsed.error:
                return self.unparsable(response, parsed.error)
        return counters.merged(gauges), tuple(responses)

    def _needs_learning(self, stats: Stats) -> bool:
        """A restart or a cluster change since the last sample, or the stats under the name in use
        just vanished (a config that changed alt_stat_name): learn now. Still none: again at most
        every SLOW_ENDPOINT_INTERVAL, so a cluster that really is missing costs little."""
        generation = (
            *(stats.value(name) for name in GENERATION_STATS),
            stats.value("server.uptime"),
        )
        old, self.generation = self.generation, generation
        changed = old is not None and (
            old[:-1] != generation[:-1] or (generation[-1] or 0) < (old[-1] or 0)
        )
        found, was_found = stats.cluster(self.stat_name).found, self.found
        if not found:
            self.relearn = True
        return changed or (was_found and not found) or (self.relearn and self._due())

    def _due(self) -> bool:
        return time.monotonic() - self.learned_at >= SLOW_ENDPOINT_INTERVAL

    async def learn_stat_name(self) -> None:
        """The cluster's stat name from the running config: `?resource=` dumps of just this
        cluster (static first, then dynamic), small and cheap. Unreadable: keep the name in use."""
        self.learned_at, self.relearn = time.monotonic(), False
        regex = f"^{re.escape(self.cluster)}$"
        for resource in ("static_clusters", "dynamic_active_clusters"):
            url = admin_url(self.base_url, "/config_dump", resource=resource, name_regex=regex)
            response = await self.fetch(url)
            if response.problem:
                self.relearn = True  # try again later
                return
            found = parse_config_dump(response.body).cluster(self.cluster)
            if found is not None:
                if found.stat_name != self.stat_name:
                    self.stat_name, self.previous = found.stat_name, None  # deltas start again
                return

    def _judge(
        self, stats: Stats, previous: tuple[float, Stats] | None, now: float
    ) -> tuple[Status, str, dict[str, Any]]:
        mine = stats.cluster(self.stat_name)
        prefix = f"cluster.{self.stat_name}."
        facts: dict[str, Any] = {
            "cluster": self.cluster,
            "stat_name": self.stat_name,
            "found": mine.found,
        }
        facts.update({name: mine.gauges.get(name) for name in CLUSTER_GAUGES})
        if not mine.found:
            under = "" if self.stat_name == self.cluster else f" (under {prefix})"
            return (
                Status.FAIL,
                f"no stats for cluster {self.cluster}{under} (not configured?)",
                facts,
            )
        health = f"{mine.get('membership_healthy')}/{mine.get('membership_total')} healthy"
        if previous is None:
            facts.update({"sampled": False, "window_s": None, "restarted": False})
            facts.update({f"delta.{n}": None for n in CLUSTER_COUNTERS})
            return (
                Status.OK,
                f"{self.cluster}: {health}; counter deltas: no data yet (first sample)",
                facts,
            )
        window = now - previous[0]
        moved = delta(previous[1], stats)
        facts.update({"sampled": True, "window_s": round(window, 2), "restarted": moved.restarted})
        facts.update({f"delta.{n}": moved.get(prefix + n) for n in CLUSTER_COUNTERS})
        if moved.restarted:
            return (
                Status.WARN,
                (
                    f"{self.cluster}: counters went down ({moved.went_down[0]}…): Envoy restarted "
                    "or counters were reset; deltas start again"
                ),
                facts,
            )
        failing = [(n, moved.get(prefix + n) or 0) for n in FAILURE_COUNTERS]
        failing = [(n, v) for n, v in failing if v > 0]
        if not failing:
            return (
                Status.OK,
                f"{self.cluster}: {health}; no failure counter moved in {window:.1f}s",
                facts,
            )
        text = ", ".join(f"{n} +{v}" for n, v in failing)
        return Status.WARN, f"{self.cluster}: {health}; in {window:.1f}s: {text}", facts


class ConfigDumpProbe(AdminProbe[EnvoySummary]):
    """The running configuration, summarised (clusters, health checks, listeners, routes)."""

    name = ProbeId.ENVOY_CONFIG_DUMP
    path = "/config_dump"
    interval = SLOW_ENDPOINT_INTERVAL

    def __init__(self, host: Host, base_url: str, cluster: str, **kw: Any) -> None:
        super().__init__(host, base_url, **kw)
        self.cluster = cluster

    def url(self) -> str:
        return admin_url(self.base_url, self.path) + "?include_eds"

    async def observe(self) -> Evidence:
        response = await self.fetch()
        if response.problem:
            return self.unreachable(response)
        summary = await asyncio.to_thread(parse_config_dump, response.body)
        if summary.error:
            return self.unparsable(response, summary.error)
        status, detail, facts = judge_summary(summary, self.cluster, "the running config")
        return self.evidence(
            status,
            detail,
            facts=facts,
            data=summary,
            via=response.via,
            latency_ms=response.total_ms,
        )


def build(config: Config, hosts: Mapping[str, Host]) -> list[AnyProbe]:
    host = host_named(hosts, config.envoy.host)
    if host is None:
        return []
    e, timeout, interval = config.envoy, config.probes.timeout, config.probes.interval
    common: dict[str, Any] = {"timeout": timeout, "interval": interval}
    slow: dict[str, Any] = {"timeout": timeout, "interval": max(interval, SLOW_ENDPOINT_INTERVAL)}
    return [
        ReadyProbe(host, e.admin_url, **common),
        ServerInfoProbe(host, e.admin_url, e.config_path, **slow),
        ClustersProbe(host, e.admin_url, e.cluster, **common),
        StatsProbe(host, e.admin_url, e.cluster, **common),
        ConfigDumpProbe(host, e.admin_url, e.cluster, **slow),
    ]
