"""Upstream TLS that needs a server name: Envoy sends no SNI (`sni` unset on the cluster's
UpstreamTlsContext) to a backend that serves TLS only by name, and the handshake is refused with
the alert unrecognized_name."""

from __future__ import annotations

from collections.abc import Iterator

from darc_tui.diagnosis import steps
from darc_tui.diagnosis.catalog import finding
from darc_tui.diagnosis.context import Context
from darc_tui.diagnosis.rank import confidence
from darc_tui.diagnosis.rules.common import (
    counter,
    direct,
    direct_fact,
    ref,
    through_fact,
    throughs,
)
from darc_tui.errors import ErrorKind
from darc_tui.ids import CauseId
from darc_tui.model import EvidenceRef, Finding

# BoringSSL's name of TLS alert 112 in Envoy's "transport failure reason"
_UNRECOGNIZED_NAME = "ALERT_UNRECOGNIZED_NAME"


def sni_missing(ctx: Context) -> Iterator[Finding]:
    config = ctx.cluster_config
    if config is None or not config.upstream_tls:
        return
    # Envoy's own account (its reply names the alert when it carries a transport failure reason)
    refused = [
        v
        for v in throughs(ctx)
        if v.local_reply is True and _UNRECOGNIZED_NAME in v.transport_failure.upper()
    ]
    # or: a handshake without a name, from the Envoy host, gets unrecognized_name, while
    # Envoy's own upstream handshakes fail (ssl.connection_error rising)
    direct_view = direct(ctx)
    nameless = direct_view is not None and direct_view.error is ErrorKind.SNI
    moved = counter(ctx, "ssl.connection_error")
    if not refused and not (nameless and moved):
        return
    support: list[EvidenceRef] = [ref(v.ev, through_fact(v)) for v in refused]
    if nameless and direct_view is not None:
        support.append(ref(direct_view.ev, direct_fact(direct_view)))
    if moved:
        support.append(moved[1])
    sent = f"sends SNI {config.tls_sni!r}" if config.tls_sni else "sends no SNI (`sni` is unset)"
    yield finding(
        CauseId.CONFIG_UPSTREAM_SNI,
        confidence(0.75, len(support) - 1),
        f"cluster {ctx.cluster} {sent} in its upstream TLS handshake and the backend refuses it "
        "with the alert unrecognized_name: set `sni` on the cluster's UpstreamTlsContext to the "
        "name the backend serves",
        support,
        ["config.tls_mismatch: the backend speaks TLS, only not without its name"],
        [
            ctx.on_envoy_host(
                f"openssl s_client -connect {ctx.backend_host}:{ctx.backend_port} "
                "-servername NAME </dev/null"
            ),
            steps.config_grep(ctx, "sni|UpstreamTlsContext"),
            steps.cluster_stats(ctx, "ssl\\\\.connection_error"),
        ],
    )
