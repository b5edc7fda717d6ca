"""Envoy itself: not running, listener not bound, admin API unreachable."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from darc_tui.diagnosis import steps
from darc_tui.diagnosis.catalog import finding
from darc_tui.diagnosis.context import Context, known
from darc_tui.diagnosis.probe_views import PortsView
from darc_tui.diagnosis.rank import confidence
from darc_tui.diagnosis.rules.common import ref, through, through_fact, window
from darc_tui.errors import ErrorKind
from darc_tui.ids import CauseId, ProbeId
from darc_tui.model import EvidenceRef, Finding, Verdict


def _listener_refused(ctx: Context) -> EvidenceRef | None:
    view = through(ctx)
    if view is not None and view.status is None and view.error is ErrorKind.REFUSED:
        return ref(view.ev, through_fact(view))
    return None


def _admin_refused(ctx: Context) -> EvidenceRef | None:
    ready = ctx.ready
    if ready is not None and not ready.reachable and ready.error is ErrorKind.REFUSED:
        return ref(ready.ev, f"admin {ctx.admin_url}/ready: connection refused")
    return None


def _bound(ports: PortsView, role: str) -> bool | None:
    """Whether ss shows the configured listener/admin address bound (None = not checked)."""
    return ports.listener_bound if role == "listener" else ports.admin_bound


def _admin_up(ctx: Context) -> bool:
    return ctx.ready is not None and ctx.ready.reachable


def envoy_down(ctx: Context) -> Iterator[Finding]:
    process = ctx.process
    if (process is not None and process.running) or _admin_up(ctx):
        return
    support: list[EvidenceRef] = []
    if process is not None:
        others = f" ({process.others} other Envoy(s) run other configs)" if process.others else ""
        path = ctx.config.envoy.config_path
        support.append(ref(process.ev, f"no Envoy process with -c {path}{others}"))
    closed = [r for r in (_admin_refused(ctx), _listener_refused(ctx)) if r is not None]
    ports = ctx.ports
    wanted = [p for p in (ctx.listener_port, ctx.admin_port) if p is not None]
    if ports is not None and not _bound(ports, "listener") and not _bound(ports, "admin"):
        closed.append(ref(ports.ev, f"nothing listens on {', '.join(map(str, wanted))} (ss)"))
    # Without the process list, only "everything Envoy serves is closed" stands in for it.
    if process is None and len(closed) < 2:
        return
    if not support and not closed:
        return
    score = confidence(0.75 if process is not None else 0.55, len(closed), process is None)
    what = (
        f"no envoy process with -c {ctx.config.envoy.config_path}"
        if process is not None
        else "its ports refuse connections"
    )
    summary = (
        f"Envoy is not running on the Envoy host ({ctx.envoy_host}): {what}; admin "
        f"{ctx.admin_url} and listener {ctx.listener_url or '(not configured)'} closed"
    )
    ruled: list[str] = []
    validate = ctx.latest(ProbeId.ENVOY_VALIDATE)
    if known(validate) and validate is not None and validate.status.value == "ok":
        ruled.append(f"config.invalid: {ctx.config.envoy.config_path} validates")
    yield finding(
        CauseId.ENVOY_DOWN,
        score,
        summary,
        [*support, *closed],
        ruled,
        [*steps.service_status(ctx), steps.validate(ctx)],
    )


def listener_missing(ctx: Context) -> Iterator[Finding]:
    port = ctx.listener_port
    process = ctx.process
    if port is None or not ((process is not None and process.running) or _admin_up(ctx)):
        return
    support: list[EvidenceRef] = []
    ports = ctx.ports
    if ports is not None and _bound(ports, "listener") is False:
        support.append(ref(ports.ev, f"nothing listens on {ctx.listener_url} (ss)"))
    refused = _listener_refused(ctx)
    if refused is not None:
        support.append(refused)
    if not support:
        return
    running = ctx.running
    elsewhere = ""
    if running is not None and running.listener_ports and port not in running.listener_ports:
        bound = ", ".join(str(p) for p in running.listener_ports)
        elsewhere = f"; the running config's listeners bind port {bound}"
        support.append(ref(running.ev, f"running listeners on port {bound}, not {port}"))
    alive = f"pid {process.pid}" if process is not None and process.pid else "admin answers"
    summary = f"Envoy runs ({alive}) but nothing listens on {ctx.listener_url}{elsewhere}"
    ports_to_check = [port, *(running.listener_ports if running else ())]
    listening = steps.listening(ctx, ports_to_check)
    yield finding(
        CauseId.ENVOY_LISTENER_MISSING,
        confidence(0.6, len(support) - 1 + bool(elsewhere)),
        summary,
        support,
        ["envoy.down: the Envoy process is running"],
        [
            *([listening] if listening else []),
            steps.admin(ctx, "/listeners"),
            steps.config_grep(ctx, "port_value"),
        ],
    )


def admin_unreachable(ctx: Context) -> Iterator[Finding]:
    ready = ctx.ready
    if ready is None or ready.reachable or not ready.error or ready.error is ErrorKind.HOST_DOWN:
        return  # host_down: the SSH host was unusable, the admin API was never asked
    process = ctx.process
    listener = through(ctx)
    alive: list[EvidenceRef] = []
    if process is not None and process.running:
        alive.append(ref(process.ev, f"envoy runs (pid {process.pid})"))
    if listener is not None and listener.status is not None:
        alive.append(ref(listener.ev, through_fact(listener)))
    if not alive:
        return  # nothing shows Envoy alive: that is envoy.down's call
    disk = ctx.on_disk
    hint = ""
    if disk is not None and disk.admin_port is not None and disk.admin_port != ctx.admin_port:
        hint = f"; envoy.yaml binds the admin API on port {disk.admin_port}"
    summary = f"admin API {ctx.admin_url} {ready.error} while Envoy runs{hint}"
    ports = [ctx.admin_port, *([disk.admin_port] if disk and disk.admin_port else [])]
    listening = steps.listening(ctx, ports)
    yield finding(
        CauseId.ENVOY_ADMIN_UNREACHABLE,
        confidence(0.65, len(alive) - 1 + bool(hint)),
        summary,
        [ref(ready.ev, f"GET {ctx.admin_url}/ready: {ready.error}"), *alive],
        ["envoy.down: Envoy is running"],
        [
            steps.curl_from_envoy(ctx, ctx.admin_url + "/ready"),
            *([listening] if listening else []),
            steps.config_grep(ctx, "admin|port_value"),
        ],
    )


def update_rejected(ctx: Context) -> Iterator[Finding]:
    """An xDS update (CDS, LDS, RDS, …; from a control plane or a watched file) that Envoy rejected:
    it keeps serving the last accepted config, so the change that was pushed is not live."""
    stats = ctx.stats
    if not stats.sampled or stats.ev is None:
        return
    moved = sorted(
        (name, value)
        for name, value in stats.deltas.items()
        if name.endswith(".update_rejected") and value > 0
    )
    if not moved:
        return
    counters = ", ".join(f"{name} +{value:g}" for name, value in moved)
    yield finding(
        CauseId.CONFIG_UPDATE_REJECTED,
        confidence(0.8, len(moved) - 1),
        f"Envoy rejected a configuration update ({counters} in {window(ctx)}): it keeps the last "
        "accepted config, so the pushed change is not live",
        [ref(stats.ev, f"{counters} in {window(ctx)}")],
        [],
        [
            steps.admin(ctx, "/stats", "update_(rejected|success|attempt)|version_text"),
            ctx.on_envoy_host(
                f"grep -n -i 'rejected\\|gRPC config' {shlex.quote(ctx.config.envoy.error_log)}"
            )
            if ctx.config.envoy.error_log
            else steps.admin(ctx, "/config_dump", "version_info"),
        ],
        severity=Verdict.DEGRADED,
    )
