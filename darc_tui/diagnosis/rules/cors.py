"""The browser's view: a CORS preflight from the site origin."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from darc_tui.diagnosis.catalog import finding
from darc_tui.diagnosis.context import Context
from darc_tui.diagnosis.rank import confidence
from darc_tui.diagnosis.rules.common import ref
from darc_tui.ids import CauseId
from darc_tui.model import Finding, Verdict


def origin_not_allowed(ctx: Context) -> Iterator[Finding]:
    view = ctx.cors
    if view is None or view.allowed:
        return
    if view.local_reply is True:
        # Envoy answered the preflight itself (503 UF, 404 NR, …): the request never reached
        # the backend's CORS logic, so this says nothing about CORS; the broken path is the cause
        return
    origin = view.origin or ctx.config.site.origin
    got = (
        f"Access-Control-Allow-Origin: {view.allow_origin}"
        if view.allow_origin
        else "no Access-Control-Allow-Origin"
    )
    status = f" {view.status}" if view.status is not None else ""
    url = ctx.config.site.public_url or ctx.listener_url + ctx.health_path
    yield finding(
        CauseId.CORS_ORIGIN_NOT_ALLOWED,
        confidence(0.75),
        f"preflight OPTIONS {url} from origin {origin} answered{status} with {got}",
        [ref(view.ev)],
        [],
        [
            "curl -si -X OPTIONS -H "
            + shlex.quote(f"Origin: {origin}")
            + " -H 'Access-Control-Request-Method: GET' "
            + shlex.quote(url),
            ctx.on_envoy_host(
                f"grep -n -A4 allow_origin {shlex.quote(ctx.config.envoy.config_path)}"
            ),
        ],
        severity=Verdict.DEGRADED,
    )
