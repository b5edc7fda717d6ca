"""CORS preflight to the public URL from the jump box, as the site's browser would send it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from darc_tui.config import LOCAL, Config
from darc_tui.errors import classify
from darc_tui.hosts.base import Host
from darc_tui.hosts.http import HttpResult, http_request
from darc_tui.ids import ProbeId
from darc_tui.model import Evidence, Status, Vantage
from darc_tui.probes._commands import shown
from darc_tui.probes.backend_health import classify_reply
from darc_tui.probes.base import AnyProbe, Probe

REQUEST_METHOD = "GET"
REQUEST_HEADER = "content-type"  # a header the site's scripts send, so it is preflighted too


@dataclass(frozen=True, slots=True)
class Preflight:
    """The Access-Control-* answer to one preflight."""

    origin: str
    status: int | None
    allow_origin: str
    allow_methods: str
    allow_headers: str
    allow_credentials: str
    max_age: str
    vary: str
    allowed: bool  # the origin may read the response
    method_allowed: bool
    header_allowed: bool
    result: HttpResult


def _listed(wanted: str, header_value: str) -> bool:
    """`GET` in "GET, POST" (case-insensitive); `*` allows anything."""
    items = {item.strip().lower() for item in header_value.split(",")}
    return "*" in items or wanted.lower() in items


def read_preflight(origin: str, result: HttpResult) -> Preflight:
    def header(name: str) -> str:
        return (result.header(name) or "").strip()

    allow_origin = header("access-control-allow-origin")
    methods, headers = (
        header("access-control-allow-methods"),
        header("access-control-allow-headers"),
    )
    allowed = allow_origin == "*" or allow_origin.rstrip("/") == origin.rstrip("/")
    return Preflight(
        origin,
        result.status,
        allow_origin,
        methods,
        headers,
        header("access-control-allow-credentials"),
        header("access-control-max-age"),
        header("vary"),
        allowed,
        not methods or _listed(REQUEST_METHOD, methods),
        not headers or _listed(REQUEST_HEADER, headers),
        result,
    )


class CorsPreflightProbe(Probe[Preflight]):
    """OPTIONS with Origin + Access-Control-Request-*; FAIL when the origin is not allowed."""

    name = ProbeId.CORS_PREFLIGHT
    vantage = Vantage.JUMP
    interval = 5.0

    def __init__(
        self,
        host: Host,
        url: str,
        origin: str,
        *,
        interval: float | None = None,
        timeout: float = 2.0,
    ) -> None:
        super().__init__(f"{url} origin {origin or '(none)'}", interval=interval, timeout=timeout)
        self.host, self.url, self.origin = host, url, origin

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Origin": self.origin,
            "Access-Control-Request-Method": REQUEST_METHOD,
            "Access-Control-Request-Headers": REQUEST_HEADER,
        }

    @property
    def command(self) -> str:
        argv = ["curl", "-si", "-X", "OPTIONS", self.url]
        for name, value in self.headers.items():
            argv += ["-H", f"{name}: {value}"]
        return shown(self.host, argv)

    async def run(self) -> Evidence:
        if not self.origin:
            return self.evidence(Status.UNKNOWN, "skipped: site.origin is empty", facts={})
        try:
            result = await http_request(
                self.host, "OPTIONS", self.url, headers=self.headers, timeout=self.timeout
            )
        except Exception as exc:  # the boundary: a probe never raises into the engine
            detail, kind = f"OPTIONS {self.url}: {exc}", classify(exc)
            return self.evidence(Status.ERROR, detail, facts={}, error_kind=kind)
        if result.status is None:
            detail = f"preflight OPTIONS {self.url}: {result.error or 'no response'}"
            facts = {"origin": self.origin, "error": result.error}
            return self.evidence(
                Status.ERROR, detail, via=result.via, facts=facts, error_kind=result.error_kind
            )
        return self._judge(read_preflight(self.origin, result))

    def _judge(self, pre: Preflight) -> Evidence:
        head = f"preflight from {pre.origin} → {pre.status}"
        if not pre.allowed:
            got = f"Access-Control-Allow-Origin: {pre.allow_origin}" if pre.allow_origin else ""
            status, detail = Status.FAIL, f"{head}, {got or 'no Access-Control-Allow-Origin'}"
        elif not pre.header_allowed:
            status = Status.WARN
            detail = (
                f"{head}, origin allowed but header {REQUEST_HEADER} is not ({pre.allow_headers})"
            )
        else:
            status, detail = Status.OK, f"{head}, origin allowed"
        headers = {k.lower(): v for k, v in pre.result.headers}
        # Envoy's own error reply (UF, UH, NR, …) never reached the backend's CORS logic
        reply = classify_reply(pre.status, headers, pre.result.text())
        facts = {
            "origin": pre.origin,
            "status": pre.status,
            "local_reply": reply.local_reply,
            "flag": reply.flag,
            "allowed": pre.allowed,
            "allow_origin": pre.allow_origin,
            "allow_methods": pre.allow_methods,
            "allow_headers": pre.allow_headers,
            "allow_credentials": pre.allow_credentials,
            "max_age": pre.max_age,
            "vary": pre.vary,
        }
        return self.evidence(
            status,
            detail,
            latency_ms=pre.result.total_ms,
            via=pre.result.via,
            facts=facts,
            data=pre,
            observed_at=pre.result.observed_at,
        )


def build(config: Config, hosts: Mapping[str, Host]) -> list[AnyProbe]:
    jump = hosts.get(LOCAL)
    if jump is None or not config.site.public_url:
        return []
    return [
        CorsPreflightProbe(
            jump,
            config.site.public_url,
            config.site.origin,
            interval=max(config.probes.interval, CorsPreflightProbe.interval),
            timeout=config.probes.timeout,
        )
    ]
