"""A read-only view over State + Config for the rules: latest evidence, counter deltas, known values."""

from __future__ import annotations

import ipaddress
import shlex
from collections.abc import Iterable
from functools import cached_property
from urllib.parse import urlsplit

from darc_tui.config import LOCAL, Config
from darc_tui.diagnosis import endpoint_views as epv
from darc_tui.diagnosis import probe_views as pv
from darc_tui.diagnosis import views
from darc_tui.diagnosis.config_view import ConfigView, config_view
from darc_tui.ids import ProbeId
from darc_tui.model import Evidence, Status, Vantage
from darc_tui.parse.envoy_summary import ClusterSummary, Endpoint
from darc_tui.state import State

# Counters are judged by how they moved in this recent window, never by lifetime totals.
COUNTER_WINDOW = 30.0
# Evidence older than this is stale: it says nothing about now (a probe that stopped reporting).
STALE_AFTER = 120.0

KNOWN = (Status.OK, Status.WARN, Status.FAIL)


def known(ev: Evidence | None) -> bool:
    """The probe ran and observed something (ERROR = could not run, UNKNOWN = no data yet)."""
    return ev is not None and ev.status in KNOWN


class Context:
    """Everything a rule may read, computed lazily once per diagnosis."""

    def __init__(self, state: State, config: Config) -> None:
        self.state = state
        self.config = config
        self.now = state.clock()

    # -- raw evidence --------------------------------------------------------------------------
    def all(self, probe: ProbeId, vantage: Vantage | None = None) -> list[Evidence]:
        """Fresh latest evidence of a probe (every target), newest first."""
        found = [
            ev
            for ev in self.state.all_latest(probe)
            if (vantage is None or ev.vantage is vantage)
            and self.now - ev.observed_at <= STALE_AFTER
        ]
        return sorted(found, key=lambda e: e.observed_at, reverse=True)

    def latest(self, probe: ProbeId, vantage: Vantage | None = None) -> Evidence | None:
        found = self.all(probe, vantage)
        return found[0] if found else None

    def history(self, probe: ProbeId, seconds: float = COUNTER_WINDOW) -> list[Evidence]:
        """Every sample of a probe (all targets) within the window, oldest first."""
        out: list[Evidence] = []
        for ev in self.state.all_latest(probe):
            out.extend(self.state.window(ev.probe, ev.target, seconds, now=self.now))
        return sorted(out, key=lambda e: e.observed_at)

    # -- typed views (lazily built, tolerant of missing or other-typed data) ------------------
    @cached_property
    def stats(self) -> views.StatsView:
        return views.stats_view(self.history(ProbeId.ENVOY_STATS), self.stat_name)

    @cached_property
    def clusters(self) -> views.ClustersView | None:
        return views.clusters_view(self.latest(ProbeId.ENVOY_CLUSTERS), self.cluster)

    @cached_property
    def running(self) -> ConfigView | None:
        """The running config (/config_dump)."""
        return config_view(self.latest(ProbeId.ENVOY_CONFIG_DUMP), self.cluster)

    @cached_property
    def on_disk(self) -> ConfigView | None:
        """envoy.yaml as it is on disk now."""
        return config_view(self.latest(ProbeId.ENVOY_CONFIG_FILE), self.cluster)

    @cached_property
    def cluster_config(self) -> ClusterSummary | None:
        """The cluster as Envoy runs it; the file on disk when the admin API cannot tell."""
        for view in (self.running, self.on_disk):
            if view is not None and view.cluster is not None:
                return view.cluster
        return None

    @cached_property
    def access(self) -> pv.AccessView | None:
        return pv.access_view(self.latest(ProbeId.ENVOY_ACCESS_LOG))

    def http(self, vantage: Vantage) -> pv.HttpView | None:
        return pv.http_view(self.latest(ProbeId.BACKEND_HEALTH, vantage))

    def tcp(self, vantage: Vantage = Vantage.ENVOY_HOST) -> pv.TcpView | None:
        return pv.tcp_view(self.latest(ProbeId.BACKEND_TCP, vantage))

    @cached_property
    def endpoint_tcp(self) -> tuple[pv.TcpView, ...]:
        """A TCP connect from the Envoy host to each host of the cluster (the newest round)."""
        found = self.all(epv.ENDPOINT_TCP, Vantage.ENVOY_HOST)
        return epv.endpoint_tcp_views(found, self.cluster)

    @cached_property
    def hc_requests(self) -> tuple[epv.HcRequestView, ...]:
        """The configured health check's request, asked of each host from the Envoy host."""
        return epv.hc_request_views(self.all(epv.HC_REQUEST, Vantage.ENVOY_HOST), self.cluster)

    @cached_property
    def ready(self) -> pv.ReadyView | None:
        return pv.ready_view(self.latest(ProbeId.ENVOY_READY))

    @property
    def initializing(self) -> bool:
        """Envoy is still running its first health-check round: /failed_active_hc is not a fault."""
        return self.ready is not None and self.ready.state in ("PRE_INITIALIZING", "INITIALIZING")

    @cached_property
    def process(self) -> pv.ProcessView | None:
        return pv.process_view(self.latest(ProbeId.ENVOY_PROCESS))

    @cached_property
    def ports(self) -> pv.PortsView | None:
        return pv.ports_view(self.latest(ProbeId.ENVOY_PORTS))

    @cached_property
    def firewall(self) -> pv.FirewallView | None:
        return pv.firewall_view(self.all(ProbeId.FIREWALL_RULES))

    @cached_property
    def cors(self) -> pv.CorsView | None:
        return pv.cors_view(self.latest(ProbeId.CORS_PREFLIGHT))

    # -- configured values ---------------------------------------------------------------------
    @property
    def cluster(self) -> str:
        return self.config.envoy.cluster

    @cached_property
    def stat_name(self) -> str:
        """The name the cluster's stats are under (`cluster.<stat_name>.…`): its alt_stat_name if
        the config sets one, as the stats probe learned it, else as the running config says."""
        ev = self.latest(ProbeId.ENVOY_STATS)
        learned = ev.facts.get("stat_name") if ev is not None else None
        if isinstance(learned, str) and learned:
            return learned
        config = self.cluster_config
        return config.stat_name if config is not None else self.cluster

    @property
    def backend_endpoint(self) -> str:
        """The backend URL's `address:port`, named like the per-host probes name their targets."""
        return str(Endpoint(self.backend_host, self.backend_port))

    @property
    def backend_url(self) -> str:
        return self.config.backend.url

    @property
    def backend_host(self) -> str:
        return self.config.backend.address[0]

    @property
    def backend_port(self) -> int:
        return self.config.backend.address[1]

    @property
    def backend_scheme(self) -> str:
        return urlsplit(self.config.backend.url).scheme or "http"

    @property
    def health_path(self) -> str:
        return self.config.backend.health_path

    @property
    def health_url(self) -> str:
        return self.backend_url.rstrip("/") + self.health_path

    @property
    def admin_url(self) -> str:
        return self.config.envoy.admin_url.rstrip("/")

    @property
    def admin_port(self) -> int:
        return _port(self.config.envoy.admin_url)

    @property
    def listener_url(self) -> str:
        return self.config.envoy.listener_url.rstrip("/")

    @property
    def listener_port(self) -> int | None:
        url = self.config.envoy.listener_url
        return _port(url) if url else None

    @property
    def envoy_host(self) -> str:
        return self.config.envoy.host

    @property
    def envoy_is_local(self) -> bool:
        return self.config.envoy.host == LOCAL

    @property
    def backend_is_local_to_envoy(self) -> bool:
        """The backend URL is a loopback address: seen from the Envoy host, it runs there."""
        host = self.backend_host
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return host == "localhost"

    def on_envoy_host(self, command: str) -> str:
        """A command as the engineer runs it on the Envoy host (prefixed with ssh when remote)."""
        return on_host(self.config, self.config.envoy.host, command)

    def on_backend_host(self, command: str) -> str | None:
        if not self.config.backend.host:
            return None
        return on_host(self.config, self.config.backend.host, command)


def on_host(config: Config, host: str, command: str) -> str:
    """`command` (a shell line) as typed on the jump box to run it on `host`.

    The remote line is ONE quoted argument: unquoted, the jump box's own shell would run whatever
    follows a `;` or `|` locally (`ssh h -- iptables …; nft …` ran nft on the jump box).
    """
    if host == LOCAL:
        return command
    return shlex.join([*ssh_argv(config, host), "--", command])


def ssh_argv(config: Config, host: str) -> list[str]:
    """`ssh [-p PORT] [-J JUMP,…] [USER@]ADDRESS` for a configured host, every value literal."""
    entry = config.hosts.get(host)
    if entry is None:
        return ["ssh", host]
    argv = ["ssh"]
    if entry.port != 22:
        argv += ["-p", str(entry.port)]
    jumps: list[str] = []
    seen = {host}
    name = entry.jump
    while name and name in config.hosts and name not in seen:  # config refuses loops; be safe
        seen.add(name)
        jump = config.hosts[name]
        address = f"[{jump.address}]" if ":" in jump.address else jump.address
        jumps.insert(0, f"{jump.user + '@' if jump.user else ''}{address}:{jump.port}")
        name = jump.jump
    if jumps:
        argv += ["-J", ",".join(jumps)]
    argv.append(f"{entry.user}@{entry.address}" if entry.user else entry.address)
    return argv


def _port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def endpoints_text(endpoints: Iterable[tuple[str, int]]) -> str:
    return ", ".join(f"{h}:{p}" for h, p in endpoints) or "none"


def endpoint_name(address: str, port: int) -> str:
    """`address:port` (`[v6]:port`), as /clusters and the per-host probes name a host."""
    return str(Endpoint(address, port))
