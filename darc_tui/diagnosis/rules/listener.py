"""A listener darc-tui cannot get an answer from is never "ok": the reason (certificate, SNI, reset)
as a finding, and when real traffic in the access log succeeds, a finding about darc-tui's own
vantage point (its Host, SNI or CA) rather than an outage."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from darc_tui.diagnosis.catalog import finding
from darc_tui.diagnosis.context import Context
from darc_tui.diagnosis.probe_views import AccessView, HttpView
from darc_tui.diagnosis.rank import confidence
from darc_tui.diagnosis.rules.common import ref, throughs
from darc_tui.errors import WORDS, ErrorKind
from darc_tui.ids import CauseId
from darc_tui.model import EvidenceRef, Finding

# Reached the listener, then no HTTP answer: the TLS handshake or the connection failed.
# (refused / timeouts are envoy.listener_missing's, envoy.down's and the network rules' call)
_NO_ANSWER = frozenset(
    {
        ErrorKind.TLS,
        ErrorKind.CERTIFICATE,
        ErrorKind.SNI,
        ErrorKind.RESET,
        ErrorKind.PROTOCOL,
        ErrorKind.HTTP_VERSION,
    }
)


def listener_unreachable(ctx: Context) -> Iterator[Finding]:
    failed = [v for v in throughs(ctx) if v.status is None and v.error in _NO_ANSWER]
    if not failed:
        return
    ports, process = ctx.ports, ctx.process
    if (ports is not None and ports.listener_bound is False) or (
        process is not None and not process.running
    ):
        return  # nothing to reach: envoy.down / envoy.listener_missing say so
    view = failed[0]
    reason = f"{WORDS[view.error or ErrorKind.OTHER]} ({view.error_text})"
    served = _served(ctx.access)
    identity = ctx.config.listener_identity or "(the URL's own host)"
    steps = _steps(ctx, view)
    if served:
        yield finding(
            CauseId.PROBE_VANTAGE_BLOCKED,
            confidence(0.7, 1),
            f"darc-tui's GET {view.url} (Host/SNI {identity}) fails: {reason}, while the "
            f"access log shows {served} real requests answered 2xx/3xx: the listener serves "
            "real traffic; darc-tui's own request (its Host, SNI or CA) does not get through",
            [ref(view.ev), *_served_refs(ctx.access, served)],
            ["an outage: real requests through this listener succeed"],
            steps,
        )
        return
    yield finding(
        CauseId.ENVOY_LISTENER_UNREACHABLE,
        confidence(0.65),
        f"Envoy's listener {view.url} does not answer (Host/SNI {identity}): {reason}",
        [ref(v.ev) for v in failed],
        [],
        steps,
    )


def _served(access: AccessView | None) -> int:
    """Real (non-probe) requests answered 2xx/3xx in the access log's window."""
    if access is None:
        return 0
    return sum(n for (status, _flag), n in access.counts.items() if 200 <= status < 400)


def _served_refs(access: AccessView | None, served: int) -> list[EvidenceRef]:
    return [] if access is None else [ref(access.ev, f"{served} real requests answered 2xx/3xx")]


def _steps(ctx: Context, view: HttpView) -> list[str]:
    return [
        view.ev.command or ctx.on_envoy_host(f"curl -sv {shlex.quote(view.url)}"),
        "set envoy.listener_host (Host + SNI), envoy.listener_ca (the listener's CA) in the "
        "darc-tui config, or envoy.listener_verify = false to skip verification",
    ]
