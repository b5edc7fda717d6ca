"""The backend: down, answering 5xx itself, closing keep-alive connections; a cluster with no hosts."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from urllib.parse import urlsplit

from darc_tui.diagnosis import steps
from darc_tui.diagnosis.catalog import finding
from darc_tui.diagnosis.context import Context
from darc_tui.diagnosis.rank import confidence
from darc_tui.diagnosis.rules.common import (
    connect_fact,
    connects_failing,
    counter,
    direct,
    direct_fact,
    flagged,
    hc_failing,
    hosts_text,
    local_reply_symptoms,
    local_socket,
    ref,
    through,
    through_fact,
)
from darc_tui.errors import ErrorKind
from darc_tui.ids import CauseId
from darc_tui.model import EvidenceRef, Finding, Verdict

_CONNECT_FAILURE = ("UF",)


def _endpoint_matches_backend(ctx: Context) -> bool | None:
    """True when Envoy dials the backend URL's port (None = cannot tell)."""
    clusters = ctx.clusters
    if clusters is None or not clusters.hosts:
        return None
    port = ctx.backend_port  # once: each read parses the backend URL
    return any(h.port == port for h in clusters.hosts)


def backend_down(ctx: Context) -> Iterator[Finding]:
    yield from _backend_url_down(ctx)
    yield from _some_hosts_down(ctx)


def _backend_url_down(ctx: Context) -> Iterator[Finding]:
    tcp, http = ctx.tcp(), direct(ctx)
    refused: list[EvidenceRef] = []
    where = f"{ctx.backend_host}:{ctx.backend_port}"
    if tcp is not None and not tcp.ok and tcp.error is ErrorKind.REFUSED:
        target = f"{tcp.host}:{tcp.port}" if tcp.host and tcp.port else where
        refused.append(ref(tcp.ev, f"connect {target} from the Envoy host: connection refused"))
    if http is not None and http.status is None and http.error is ErrorKind.REFUSED:
        refused.append(ref(http.ev, direct_fact(http)))
    if not refused or (tcp is not None and tcp.ok) or (http is not None and http.answered):
        return
    firewall = ctx.firewall
    if firewall is not None and firewall.blocking:
        return  # a REJECT rule also gives "refused": network.firewall's call
    symptoms = local_reply_symptoms(ctx, _CONNECT_FAILURE, ("upstream_cx_connect_fail",))
    failing = hc_failing(ctx)
    support = [*refused, *symptoms.refs]
    if failing:
        support.append(ref(ctx.clusters.ev, f"health check: {hosts_text(failing)}"))  # type: ignore[union-attr]
    socket = local_socket(ctx, ctx.backend_port)
    if socket is not None and not socket[0]:
        support.append(socket[1])
    ruled = ["network.unreachable: the connection is refused, not timed out"]
    unconfirmed = 0
    if firewall is None or not firewall.readable:
        # A REJECT rule answers the SYN with a reset too: without the rules this stays open.
        unconfirmed = 1
        why = f" ({firewall.why_unreadable})" if firewall is not None else " (not probed)"
        ruled.append(f"network.firewall: not ruled out, the firewall rules could not be read{why}")
    else:
        ruled.append(f"network.firewall: no firewall rule stops port {ctx.backend_port}")
    if _endpoint_matches_backend(ctx):
        ruled.append(f"config.endpoint_mismatch: {ctx.cluster} dials {where}, the backend URL")
    config = ctx.cluster_config
    if config is not None and not config.upstream_tls and ctx.backend_scheme == "http":
        ruled.append("config.tls_mismatch: plain HTTP on both sides")
    tail = f"; {symptoms.text}" if symptoms.text else ""
    yield finding(
        CauseId.BACKEND_DOWN,
        confidence(0.7, len(support) - 1, unconfirmed),
        f"nothing listens on {where}: connect refused from the Envoy host{tail}",
        support,
        ruled,
        [
            steps.on_backend(ctx, f"ss -tlnp | grep -E ':{ctx.backend_port}\\b'"),
            steps.curl_from_envoy(ctx, ctx.health_url),
            steps.cluster_hosts(ctx),
        ],
    )


def _some_hosts_down(ctx: Context) -> Iterator[Finding]:
    """A multi-host cluster where some hosts fail with connection errors and others serve."""
    clusters = ctx.clusters
    if clusters is None or len(clusters.hosts) < 2:
        return
    if ctx.endpoint_tcp:
        yield from _some_hosts_refuse(ctx)
        return
    # no per-host connects (yet): infer it from the health check's connection failures
    failing = [h for h in hc_failing(ctx) if "failed_active_hc" in h.flags]
    if not failing or len(failing) == len(clusters.hosts):
        return
    network = counter(ctx, "health_check.network_failure")
    if network is None:
        return  # an HTTP-level failure (non-200) is healthcheck.failing's call
    down = set(failing)  # a set: a cluster may list thousands of hosts
    others = [h.endpoint for h in clusters.hosts if h not in down]
    names = ", ".join(h.endpoint for h in failing)
    summary = (
        f"{len(failing)}/{len(clusters.hosts)} hosts of {ctx.cluster} cannot be connected to: "
        f"{names} (/failed_active_hc, health-check connection failures); "
        f"traffic continues on {', '.join(others)}"
    )
    yield finding(
        CauseId.BACKEND_DOWN,
        confidence(0.55, 1),
        summary,
        [ref(clusters.ev, f"health check: {hosts_text(failing)}"), network[1]],
        [],
        [
            *(steps.curl_from_envoy(ctx, f"http://{h.endpoint}{ctx.health_path}") for h in failing),
            steps.cluster_stats(ctx, "health_check\\.(network_failure|failure)"),
        ],
        severity=Verdict.DEGRADED,
    )


def _some_hosts_refuse(ctx: Context) -> Iterator[Finding]:
    """Proven per host: a TCP connect from the Envoy host is refused by some, accepted by others."""
    connects = ctx.endpoint_tcp
    refused = connects_failing(ctx, (ErrorKind.REFUSED,))
    serving = [v for v in connects if v.ok]
    firewall = ctx.firewall
    if not refused or not serving or (firewall is not None and firewall.blocking):
        return  # all refuse: the backend URL's rules; a REJECT rule: network.firewall's
    clusters = ctx.clusters
    assert clusters is not None
    names = {v.endpoint for v in refused}
    support = [ref(v.ev, connect_fact(ctx, v)) for v in refused]
    failing = [h for h in hc_failing(ctx) if h.endpoint in names]
    if failing:
        support.append(ref(clusters.ev, f"health check: {hosts_text(failing)}"))
    network = counter(ctx, "health_check.network_failure")
    if network is not None:
        support.append(network[1])
    summary = (
        f"{len(refused)}/{len(clusters.hosts)} hosts of {ctx.cluster} refuse connections from "
        f"the Envoy host: {', '.join(sorted(names))} (connection refused, nothing listens); "
        f"traffic continues on {', '.join(v.endpoint for v in serving)}"
    )
    yield finding(
        CauseId.BACKEND_DOWN,
        confidence(0.7, len(support) - len(refused)),
        summary,
        [*support, *(ref(v.ev, connect_fact(ctx, v)) for v in serving[:1])],
        [f"network.unreachable: {', '.join(sorted(names))} answer the SYN with a reset (refused)"],
        [
            *(steps.nc_from_envoy(ctx, v.host, v.port) for v in refused[:2]),
            steps.on_backend(ctx, "ss -tlnp"),
            steps.cluster_hosts(ctx),
        ],
        severity=Verdict.DEGRADED,
    )


def backend_errors(ctx: Context) -> Iterator[Finding]:
    view = through(ctx)
    support: list[EvidenceRef] = []
    status: int | None = None
    if view is not None and view.status is not None and view.status >= 500 and view.from_upstream:
        support.append(ref(view.ev, through_fact(view) + " from upstream (not an Envoy reply)"))
        status = view.status
    logged = _logged_backend_5xx(ctx)
    paths, on_api = "", False
    if logged is not None:
        support.append(logged[1])
        status, paths, on_api = status or logged[0], logged[2], logged[3]
    if not support or (not on_api and _only_the_failing_health_check(ctx, status)):
        return
    http = direct(ctx)
    if http is not None and http.status is not None and http.status >= 500:
        support.append(ref(http.ev, direct_fact(http)))
    on = f" on {paths}" if paths else ""
    summary = (
        f"the backend answers {status} itself{on} and Envoy passes it through "
        f"(flag '-', x-envoy-upstream-service-time present: not Envoy's own reply)"
    )
    ruled = ["backend.down / network.*: the backend answers HTTP"]
    overflow = counter(ctx, "outlier_detection.ejections_overflow")
    if overflow is not None:
        support.append(overflow[1])
        ruled.append(
            "outlier.ejected: outlier detection wanted to eject a host but max_ejection_percent "
            "refused it (ejections_overflow), so requests still reach it"
        )
    url = view.url if view is not None else ctx.health_url
    yield finding(
        CauseId.BACKEND_ERRORS,
        confidence(0.65, len(support) - 1),
        summary,
        support,
        ruled,
        [
            steps.curl_from_envoy(ctx, url if "://" in url else ctx.health_url),
            steps.on_backend(ctx, "journalctl -n 100 --no-pager", "the backend's own log"),
        ],
    )


def _logged_backend_5xx(ctx: Context) -> tuple[int, EvidenceRef, str, bool] | None:
    """(a status, the evidence, "/api/orders ×3, …", on paths other than the health path) for 5xx
    the backend answered real traffic in the access-log window. Those on the health path while the
    health check fails are the failing check's (healthcheck.failing), not errors on the API."""
    access = ctx.access
    upstream = access.upstream_5xx() if access is not None else 0
    if access is None or upstream <= 0:
        return None
    codes = sorted({s for (s, f) in access.counts if 500 <= s < 600 and f in ("-", "")})
    by_path = access.by_path_upstream_5xx  # empty when the log format has no path
    api = {p: n for p, n in by_path.items() if p != ctx.health_path}
    if by_path and not api and hc_failing(ctx):
        return None
    shown = api or by_path
    paths = ", ".join(f"{p} ×{n}" for p, n in list(shown.items())[:3])
    on = f" on {paths}" if paths else ""
    fact = f"{upstream} × {'/'.join(map(str, codes))} with flag '-'{on} in the access log"
    return codes[0], ref(access.ev, fact), paths, bool(api)


def _only_the_failing_health_check(ctx: Context, status: int | None) -> bool:
    """The 5xx seen is the backend's health endpoint answering the same error to Envoy's check:
    that is healthcheck.failing (and the panic it causes), not errors on real traffic."""
    http = direct(ctx)
    view = through(ctx)
    return (
        bool(hc_failing(ctx))
        and http is not None
        and http.status == status
        and (view is None or urlsplit(view.url).path == ctx.health_path)
    )


def _race_in_access_log(ctx: Context) -> tuple[int, int, EvidenceRef] | None:
    """(UC count, requests, evidence) when some logged requests got UC and others a 2xx."""
    uc, access = flagged(ctx, "UC"), ctx.access
    if uc is None or access is None or access.total <= 0:
        return None
    if not any(200 <= s < 300 for (s, _f) in access.counts):
        return None
    return uc[0], access.total, uc[1]


def _race_in_stats(ctx: Context) -> tuple[int, int, EvidenceRef] | None:
    """Connections the backend closed under an in-flight request, while the rest succeeded."""
    closed = counter(ctx, "upstream_cx_destroy_remote_with_active_rq")
    fine = ctx.stats.cdelta("upstream_rq_2xx") or 0
    if closed is None or fine <= 0 or counter(ctx, "upstream_cx_connect_fail") is not None:
        return None
    n = int(closed[0])
    return n, n + int(fine), closed[1]


def keepalive_race(ctx: Context) -> Iterator[Finding]:
    found = _race_in_access_log(ctx) or _race_in_stats(ctx)
    if found is None:
        return
    n, total, first = found
    # A race hits only requests sent on a reused connection the backend is closing; the next
    # request opens a fresh connection and works. A backend that resets everything is no race.
    if n * 2 > total:
        return
    support = [first]
    for extra in (counter(ctx, "upstream_cx_destroy_remote_with_active_rq"),):
        if extra is not None and extra[1] != first:
            support.append(extra[1])
    view = through(ctx)
    if view is not None and view.flag == "UC":
        support.append(ref(view.ev, through_fact(view)))
    config = ctx.cluster_config
    idle = config.idle_timeout if config is not None else 3600.0
    summary = (
        f"scattered 503 UC (upstream connection termination): {n} of {total} requests; the "
        f"backend closes idle keep-alive connections before Envoy's idle_timeout ({idle:g} s) ends"
    )
    yield finding(
        CauseId.BACKEND_KEEPALIVE_RACE,
        confidence(0.5, len(support) - 1),
        summary,
        support,
        ["backend.down: the other requests succeed on the same backend"],
        [
            steps.cluster_stats(ctx, "upstream_cx_destroy_remote", "upstream_cx_idle_timeout"),
            steps.config_grep(ctx, "idle_timeout"),
            steps.on_backend(ctx, "grep -rn -i keepalive /etc", "the backend's keep-alive timeout"),
        ],
        severity=Verdict.DEGRADED,
    )


def no_hosts(ctx: Context) -> Iterator[Finding]:
    clusters = ctx.clusters
    if clusters is None or not clusters.found or clusters.hosts:
        return
    support = [ref(clusters.ev, f"/clusters lists no host for {ctx.cluster}")]
    symptoms = local_reply_symptoms(ctx, ("UH",), ("upstream_cx_none_healthy",))
    if ctx.initializing and not symptoms:
        return  # a DNS cluster has no host until its first resolution completes: not yet a fault
    support.extend(symptoms.refs)
    config = ctx.cluster_config
    why = ""
    if config is not None and config.type in ("STRICT_DNS", "LOGICAL_DNS"):
        names = ", ".join(f"{h}:{p}" for h, p in config.endpoints) or "its name"
        why = f" ({config.type} {names} resolved to nothing)"
    elif config is not None and not config.endpoints:
        why = " (empty load_assignment)"
    tail = f"; {symptoms.text} (no healthy upstream)" if symptoms.text else ""
    next_steps = [steps.cluster_hosts(ctx), steps.cluster_stats(ctx, "membership_total")]
    if config is not None and config.type.endswith("DNS"):
        for host, _port in config.endpoints[:2]:
            # the name comes from envoy.yaml: quoted, it cannot run anything when pasted
            next_steps.append(ctx.on_envoy_host(shlex.join(["getent", "hosts", host])))
    yield finding(
        CauseId.CLUSTER_NO_HOSTS,
        confidence(0.75, len(support) - 1),
        f"cluster {ctx.cluster} has no hosts{why}{tail}",
        support,
        ["healthcheck.failing / envoy.panic_mode: there is no host to check or to panic over"],
        next_steps,
    )
