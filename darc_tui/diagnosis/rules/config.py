"""envoy.yaml against reality: invalid, drifted, wrong endpoint, TLS or protocol mismatch, no route."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from darc_tui.diagnosis import steps
from darc_tui.diagnosis.catalog import finding
from darc_tui.diagnosis.context import Context, endpoint_name, endpoints_text
from darc_tui.diagnosis.rank import confidence
from darc_tui.diagnosis.rules.common import (
    Symptoms,
    connect_fact,
    connects_failing,
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
    window,
)
from darc_tui.diagnosis.views import as_str, pick
from darc_tui.errors import ErrorKind
from darc_tui.ids import CauseId, ProbeId
from darc_tui.model import Evidence, EvidenceRef, Finding, Status, Verdict
from darc_tui.parse.envoy_summary import ConfigChange, EnvoySummary, diff


def _invalid_evidence(ctx: Context) -> tuple[Evidence, str, float] | None:
    """Envoy's own verdict (`--mode validate`), else a file that does not even parse as YAML."""
    ev = ctx.latest(ProbeId.ENVOY_VALIDATE)
    if ev is not None and ev.status is Status.FAIL:
        return ev, as_str(pick(ev, "message")) or ev.detail, 0.85
    if ev is not None and ev.status is Status.OK:
        return None
    file = ctx.latest(ProbeId.ENVOY_CONFIG_FILE)
    summary = file.data if file is not None else None
    if file is None or file.status is not Status.FAIL or not isinstance(summary, EnvoySummary):
        return None
    if not summary.error:
        return None
    where = f"line {summary.line}: " if summary.line else ""
    return file, f"{where}{summary.error}", 0.7


def invalid(ctx: Context) -> Iterator[Finding]:
    found = _invalid_evidence(ctx)
    if found is None:
        return
    ev, message, base = found
    path = ctx.config.envoy.config_path
    process = ctx.process
    down = process is not None and not process.running
    consequence = (
        "Envoy is not running and would not start with it"
        if down
        else "the running Envoy is unaffected until a reload or restart, which would fail"
    )
    yield finding(
        CauseId.CONFIG_INVALID,
        confidence(base),
        f"{path} does not validate: {message}; {consequence}",
        [ref(ev, message)],
        [],
        [steps.validate(ctx)],
        severity=Verdict.DOWN if down else Verdict.DEGRADED,
    )


# ---------------------------------------------------------------------------------------------
# drift: running (/config_dump) vs envoy.yaml on disk


def drift_changes(ctx: Context) -> list[ConfigChange]:
    """What a reload would change (empty = same, or one side unknown)."""
    probe = ctx.latest(ProbeId.ENVOY_DRIFT)
    changes = getattr(probe.data, "changes", None) if probe is not None else None
    if probe is not None and isinstance(changes, tuple):
        found = [c for c in changes if isinstance(c, ConfigChange)]
        if found or probe.status is Status.OK:
            return found
    running, disk = ctx.running, ctx.on_disk
    if running is None or disk is None:
        return []
    return diff(disk.summary, running.summary)


def _relevant_first(ctx: Context, changes: list[ConfigChange]) -> list[ConfigChange]:
    """Changes to the configured cluster and listeners first: they explain today's outage."""
    mine = f"cluster {ctx.cluster} "
    return sorted(changes, key=lambda c: (not c.subject.startswith(mine), c.subject))


def drift(ctx: Context) -> Iterator[Finding]:
    probe = ctx.latest(ProbeId.ENVOY_DRIFT)
    if probe is not None and probe.status is Status.OK:
        return
    changes = _relevant_first(ctx, drift_changes(ctx))
    support: list[EvidenceRef] = []
    if probe is not None and probe.status in (Status.FAIL, Status.WARN):
        support.append(ref(probe))
    lines = [str(c) for c in changes] or ([probe.detail] if support and probe else [])
    if not lines:
        return
    if ctx.running is not None and ctx.on_disk is not None:
        support.append(ref(ctx.running.ev, f"running: {lines[0]}"))
        support.append(ref(ctx.on_disk.ev, f"{ctx.config.envoy.config_path} on disk"))
    more = f" (+{len(lines) - 3} more)" if len(lines) > 3 else ""
    summary = (
        f"Envoy runs a config that differs from {ctx.config.envoy.config_path} "
        f"(edited, not reloaded; running → disk): {'; '.join(lines[:3])}{more}"
    )
    yield finding(
        CauseId.CONFIG_DRIFT,
        confidence(0.7, len(support) - 1),
        summary,
        support,
        [],
        [
            steps.admin(ctx, "/config_dump?resource=static_clusters"),
            steps.validate(ctx),
            steps.reload(ctx),
        ],
        severity=Verdict.DEGRADED if not _failing(ctx) else Verdict.DOWN,
    )


def _failing(ctx: Context) -> bool:
    view = through(ctx)
    return bool(hc_failing(ctx)) or (
        view is not None and view.status is not None and view.status >= 500
    )


# ---------------------------------------------------------------------------------------------
# endpoint mismatch


def _dialled(ctx: Context) -> tuple[tuple[str, int], ...]:
    """Where Envoy really sends traffic: /clusters addresses, else the running config."""
    clusters = ctx.clusters
    if clusters is not None and clusters.hosts:
        return tuple((h.address, h.port) for h in clusters.hosts if h.port is not None)
    config = ctx.cluster_config
    return config.endpoints if config is not None else ()


def _same_host(a: str, b: str) -> bool:
    """Compare addresses only when both are IP literals (a DNS name may resolve to either)."""
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return True


def _backend_alive(ctx: Context) -> EvidenceRef | None:
    tcp, http = ctx.tcp(), direct(ctx)
    if http is not None and http.answered:
        return ref(http.ev, direct_fact(http))
    if tcp is not None and tcp.ok:
        return ref(
            tcp.ev, f"{ctx.backend_host}:{ctx.backend_port} accepts connections from the Envoy host"
        )
    return None


def endpoint_mismatch(ctx: Context) -> Iterator[Finding]:
    dialled = _dialled(ctx)
    # read once: each read parses the backend URL, and a cluster may list thousands of hosts
    backend_port, backend_host = ctx.backend_port, ctx.backend_host
    if not dialled or any(p == backend_port and _same_host(h, backend_host) for h, p in dialled):
        return
    alive = _backend_alive(ctx)
    symptoms = local_reply_symptoms(ctx, ("UF", "UH"), ("upstream_cx_connect_fail",))
    failing = hc_failing(ctx)
    # proven per host: Envoy's endpoint refuses (or drops) a plain connect from the Envoy host
    refused = connects_failing(
        ctx, (ErrorKind.REFUSED, ErrorKind.CONNECT_TIMEOUT, ErrorKind.NO_ROUTE)
    )
    dialled_names = {endpoint_name(h, p) for h, p in dialled} if refused else set()
    dead = [v for v in refused if v.endpoint in dialled_names]
    if alive is None or not (symptoms or failing or dead):
        return
    source = ctx.clusters.ev if ctx.clusters is not None and ctx.clusters.hosts else None
    support = [alive, *(ref(v.ev, connect_fact(ctx, v)) for v in dead), *symptoms.refs]
    if source is not None:
        support.insert(0, ref(source, f"{ctx.cluster} hosts: {endpoints_text(dialled)}"))
    if failing:
        support.append(ref(ctx.clusters.ev, f"health check: {hosts_text(failing)}"))  # type: ignore[union-attr]
    for port in dict.fromkeys((dialled[0][1], ctx.backend_port)):
        socket = local_socket(ctx, port)
        if socket is not None and socket[0] == (port == ctx.backend_port):
            support.append(socket[1])
    where = f"{ctx.backend_host}:{ctx.backend_port}"
    tail = f"; {symptoms.text}" if symptoms.text else ""
    if dead:
        words = "refuses" if all(v.error is ErrorKind.REFUSED for v in dead) else "does not accept"
        tail = (
            f"; {', '.join(v.endpoint for v in dead)} {words} connections from the Envoy host{tail}"
        )
    yield finding(
        CauseId.CONFIG_ENDPOINT_MISMATCH,
        confidence(0.7, len(support) - 2),
        f"cluster {ctx.cluster} sends to {endpoints_text(dialled)} but the backend listens on "
        f"{where} ({ctx.backend_url}){tail}",
        support,
        [f"backend.down: {where} answers from the Envoy host"],
        [
            steps.cluster_hosts(ctx),
            steps.curl_from_envoy(ctx, f"http://{dialled[0][0]}:{dialled[0][1]}{ctx.health_path}"),
            steps.config_grep(ctx, "address:|port_value"),
        ],
    )


# ---------------------------------------------------------------------------------------------
# TLS and protocol mismatch


def tls_mismatch(ctx: Context) -> Iterator[Finding]:
    config = ctx.cluster_config
    if config is None:
        return
    http = direct(ctx)
    # what the backend speaks: its URL's scheme, unless a plain request met a TLS-only server
    speaks_tls = http is not None and http.speaks == "tls"
    plain_backend = ctx.backend_scheme == "http" and not speaks_tls
    if config.upstream_tls == (not plain_backend):
        return
    if config.upstream_tls:
        symptoms = local_reply_symptoms(
            ctx, ("UF",), ("ssl.connection_error", "upstream_cx_connect_fail")
        )
        how = f"cluster {ctx.cluster} speaks TLS (transport_socket tls) to a plain-HTTP backend"
    else:
        symptoms = local_reply_symptoms(ctx, ("UC",), ("upstream_cx_destroy_remote",))
        how = f"cluster {ctx.cluster} speaks plain HTTP to a TLS backend ({ctx.backend_url})"
        if speaks_tls:
            how = (
                f"cluster {ctx.cluster} speaks plain HTTP to a backend that speaks only TLS "
                f"(plain GET {ctx.health_url} is reset, a TLS handshake answers)"
            )
    failing = hc_failing(ctx)
    if not symptoms and not failing:
        return
    support = [*symptoms.refs]
    if speaks_tls and http is not None:
        support.append(ref(http.ev, f"{direct_fact(http)}; over TLS it answers"))
    if failing:
        support.append(ref(ctx.clusters.ev, f"health check: {hosts_text(failing)}"))  # type: ignore[union-attr]
    if http is not None and http.answered:
        support.append(ref(http.ev, direct_fact(http)))
    where = endpoints_text(config.endpoints) if config.endpoints else ctx.backend_url
    tail = f"; {symptoms.text}" if symptoms.text else ""
    yield finding(
        CauseId.CONFIG_TLS_MISMATCH,
        confidence(0.7, len(support) - 1),
        f"{how} at {where}{tail}",
        support,
        ["backend.down: the backend answers plain HTTP from the Envoy host"]
        if plain_backend and http and http.answered
        else [],
        [
            steps.curl_from_envoy(ctx, ctx.health_url),
            ctx.on_envoy_host(
                f"openssl s_client -connect {ctx.backend_host}:{ctx.backend_port} </dev/null"
            ),
            steps.cluster_stats(ctx, "ssl\\.", "upstream_cx_connect_fail"),
        ],
    )


def protocol_mismatch(ctx: Context) -> Iterator[Finding]:
    config = ctx.cluster_config
    if config is not None and not config.http2:
        yield from _http1_to_h2c(ctx)
        return
    if config is None or not config.http2:
        return
    symptoms = local_reply_symptoms(ctx, ("UPE",), ("upstream_cx_protocol_error",))
    view = through(ctx)
    protocol_error = view is not None and view.status == 502 and "protocol error" in view.body
    if protocol_error and view is not None and not symptoms:
        symptoms = Symptoms((ref(view.ev, through_fact(view)),), "Envoy answers 502")
    if not symptoms:
        return
    support = [*symptoms.refs]
    ruled = []
    if not hc_failing(ctx) and ctx.clusters is not None:
        ruled.append("healthcheck.failing: the health check (HTTP/1.1) stays green")
    yield finding(
        CauseId.CONFIG_PROTOCOL_MISMATCH,
        confidence(0.75, len(support) - 1),
        f"cluster {ctx.cluster} sends HTTP/2 (http2_protocol_options) to {ctx.backend_url}, an "
        f"HTTP/1.1 backend: Envoy answers 502 protocol error (UPE)",
        support,
        ruled,
        [
            steps.curl_from_envoy(ctx, ctx.health_url, "--http2-prior-knowledge"),
            steps.cluster_stats(ctx, "upstream_cx_protocol_error"),
            steps.config_grep(ctx, "http2_protocol_options|explicit_http_config"),
        ],
    )


def _http1_to_h2c(ctx: Context) -> Iterator[Finding]:
    """The mirror image: Envoy sends HTTP/1.1 to a backend that speaks only HTTP/2 (h2c, prior
    knowledge). The backend drops the HTTP/1.1 request: 503 UC (connection termination)."""
    http = direct(ctx)
    if http is None or http.speaks != "h2c":
        return
    symptoms = local_reply_symptoms(ctx, ("UC",), ("upstream_cx_destroy_remote_with_active_rq",))
    support = [ref(http.ev, f"{direct_fact(http)}; with HTTP/2 prior knowledge it answers")]
    support += symptoms.refs
    tail = f"; {symptoms.text}" if symptoms.text else ""
    yield finding(
        CauseId.CONFIG_PROTOCOL_MISMATCH,
        confidence(0.7, len(support) - 1),
        f"cluster {ctx.cluster} sends HTTP/1.1 to {ctx.backend_url}, a backend that speaks only "
        f"HTTP/2 (h2c, prior knowledge): it drops HTTP/1.1 requests{tail}",
        support,
        ["backend.down: the backend answers HTTP/2 from the Envoy host"],
        [
            steps.curl_from_envoy(ctx, ctx.health_url, "--http2-prior-knowledge"),
            steps.config_grep(ctx, "http2_protocol_options|explicit_http_config"),
            steps.cluster_stats(ctx, "upstream_cx_destroy_remote_with_active_rq"),
        ],
    )


def no_route(ctx: Context) -> Iterator[Finding]:
    """The public path gets Envoy's own 404, or most logged requests do. Stray NRs (scanners,
    /favicon.ico) are normal on a healthy site and are only supporting evidence."""
    view = through(ctx)
    public = (
        view is not None and view.status == 404 and (view.flag == "NR" or view.local_reply is True)
    )
    access = ctx.access
    nr = access.flagged("NR") if access is not None else 0
    mostly = access is not None and nr >= 5 and nr * 2 >= access.total
    if not public and not mostly:
        return
    support: list[EvidenceRef] = []
    if public and view is not None:
        support.append(ref(view.ev, through_fact(view) + " (Envoy's own 404)"))
    found = flagged(ctx, "NR")
    if found:
        support.append(found[1])
    moved = ctx.stats.sum_delta("http.", ".no_route")
    if moved and ctx.stats.ev is not None:
        support.append(ref(ctx.stats.ev, f"http.*.no_route +{moved:g} in {window(ctx)}"))
    what = (
        f"GET {view.url}"
        if public and view is not None
        else f"{nr} of {access.total if access else 0} requests"
    )
    yield finding(
        CauseId.CONFIG_NO_ROUTE,
        confidence(0.7, len(support) - 1),
        f"{what} through Envoy match no route: Envoy answers 404 itself (NR)",
        support,
        ["backend.errors: the 404 is Envoy's own (no upstream was called)"],
        [
            steps.curl_from_envoy(
                ctx, view.url if public and view else ctx.listener_url + ctx.health_path
            ),
            steps.admin(ctx, "/config_dump?resource=static_listeners", '"prefix"|"path"|"domains"'),
        ],
        severity=Verdict.DOWN if public else Verdict.DEGRADED,
    )
