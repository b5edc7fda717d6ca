"""The backend's health URL from each vantage point: the jump box, the Envoy host (and the backend
host when configured), and end to end through Envoy (the public URL, and Envoy's listener from the
Envoy host). Responses through Envoy are told apart: the backend's answer vs Envoy's local reply."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from darc_tui.config import LOCAL, Config
from darc_tui.errors import ErrorKind, classify
from darc_tui.hosts.base import Host
from darc_tui.hosts.http import HttpResult, TlsIdentity, http_request
from darc_tui.ids import ProbeId
from darc_tui.model import Evidence, Status, Vantage
from darc_tui.probes._commands import host_named, shown
from darc_tui.probes._listener import ListenerIdentity, listener_identity, unverified_context
from darc_tui.probes.base import AnyProbe, Probe

BODY_FACT_CHARS = 200
# Envoy's own response bodies (1.40; wording differs across versions, hence the loose matching)
# and the RESPONSE_FLAGS the access log would show for them.
_RESET = re.compile(
    r"upstream connect error or disconnect/reset before headers\.\s*"
    r"(?:retried and the latest\s*)?reset reason:\s*(?P<reason>[^,\n]*)"
    r"(?:,\s*transport failure reason:\s*(?P<transport>[^\n]*))?"
)
_RESET_FLAGS = {
    "connection failure": "UF",
    "remote connection failure": "UF",
    "local connection failure": "UF",
    "connection timeout": "UF",
    "overflow": "UO",
    "connection termination": "UC",
    "remote reset": "UR",
    "local reset": "LR",
    "protocol error": "UPE",
}
_BODY_FLAGS = (
    ("no healthy upstream", "UH"),
    ("upstream request timeout", "UT"),
    ("upstream max stream duration reached", "UMSDR"),
    ("local_rate_limited", "RL"),
    ("rbac: access denied", "RBAC"),
)


@dataclass(frozen=True, slots=True)
class EnvoyReply:
    """What a response through Envoy says about who answered it."""

    local_reply: bool | None  # True: Envoy's own reply; False: the backend's; None: cannot tell
    flag: str = ""  # the RESPONSE_FLAG the body implies ("UF", "UH", "NR", …)
    reset_reason: str = ""
    transport_failure: str = ""  # TLS detail Envoy appends to the reset reason
    upstream_service_time: str = ""  # x-envoy-upstream-service-time (only on upstream answers)
    server: str = ""
    overloaded: bool = False  # x-envoy-overloaded: true (circuit breaker)


def classify_reply(status: int | None, headers: Mapping[str, str], body: str) -> EnvoyReply:
    """Read a response that went through Envoy. `headers` keys are lower-case."""
    upstream_time = headers.get("x-envoy-upstream-service-time", "")
    server = headers.get("server", "")
    overloaded = headers.get("x-envoy-overloaded", "").lower() == "true"
    text = body.strip()
    match = _RESET.search(text)
    if match:
        reason = match["reason"].strip()
        flag = _RESET_FLAGS.get(reason, "")
        transport = (match["transport"] or "").strip()
        return EnvoyReply(True, flag, reason, transport, upstream_time, server, overloaded)
    lowered = text.lower()
    for needle, flag in _BODY_FLAGS:
        if lowered.startswith(needle):
            return EnvoyReply(True, flag, "", "", upstream_time, server, overloaded)
    if upstream_time:
        return EnvoyReply(False, "", "", "", upstream_time, server, overloaded)
    if status == 404 and not text and server == "envoy":
        return EnvoyReply(True, "NR", "", "", "", server, overloaded)  # no route matched
    if status is not None and status >= 400 and server == "envoy":
        return EnvoyReply(True, "", "", "", "", server, overloaded)
    return EnvoyReply(None, "", "", "", "", server, overloaded)


@dataclass(frozen=True, slots=True)
class HealthCheck:
    """One GET of a health URL from one vantage point."""

    url: str
    vantage: Vantage
    result: HttpResult
    reply: EnvoyReply | None  # only for requests that went through Envoy


class HttpHealthProbe(Probe[HealthCheck]):
    """GET a health URL from `host`; FAIL on no answer or a non-2xx/3xx status."""

    name = ProbeId.BACKEND_HEALTH

    def __init__(
        self,
        host: Host,
        url: str,
        vantage: Vantage,
        *,
        name: ProbeId = ProbeId.BACKEND_HEALTH,
        interval: float | None = None,
        timeout: float = 2.0,
        identity: ListenerIdentity | None = None,
    ) -> None:
        super().__init__(f"{url} ({vantage.value})", interval=interval, timeout=timeout)
        self.name, self.host, self.url, self.vantage = name, host, url, vantage
        self.identity = identity  # the site's Host/SNI/CA on requests to Envoy's listener

    @property
    def command(self) -> str:
        target = self.identity.curl_args(self.url) if self.identity else (self.url,)
        return shown(self.host, ("curl", "-sv", "--max-time", f"{2 * self.timeout:g}", *target))

    async def run(self) -> Evidence:
        identity = self.identity
        try:
            result = await http_request(
                self.host,
                "GET",
                self.url,
                timeout=self.timeout,
                headers=identity.headers() if identity else None,
                tls=identity.tls(self.url) if identity else None,
            )
        except Exception as exc:  # the boundary: a probe never raises into the engine
            detail, kind = f"GET {self.url}: {exc}", classify(exc)
            return self.evidence(Status.ERROR, detail, facts={"error": str(exc)}, error_kind=kind)
        return self.judge(result, await self._speaks(result))

    async def _speaks(self, result: HttpResult) -> str:
        """A plain HTTP/1.1 request the backend reset may have met a server that speaks only TLS
        or only HTTP/2 (h2c): one TLS handshake (not verified) and one h2c request tell which.
        "" = not asked or neither."""
        if (
            self.vantage is Vantage.THROUGH_ENVOY
            or not self.url.startswith("http://")
            or result.error_kind not in (ErrorKind.RESET, ErrorKind.PROTOCOL)
        ):
            return ""
        https = "https://" + self.url.removeprefix("http://")
        no_verify = TlsIdentity("", unverified_context())
        tls = await http_request(self.host, "GET", https, timeout=self.timeout, tls=no_verify)
        if tls.status is not None:
            return "tls"
        h2c = await http_request(self.host, "GET", self.url, timeout=self.timeout, h2c=True)
        return "h2c" if h2c.status is not None else ""

    def judge(self, result: HttpResult, speaks: str = "") -> Evidence:
        reply = None
        if self.vantage is Vantage.THROUGH_ENVOY and result.status is not None:
            headers = {k.lower(): v for k, v in result.headers}
            reply = classify_reply(result.status, headers, result.text())
        check = HealthCheck(self.url, self.vantage, result, reply)
        status, detail = self._verdict(result, reply)
        return self.evidence(
            status,
            detail,
            latency_ms=result.total_ms,
            via=result.via,
            facts={**self._facts(result, reply), "speaks": speaks},
            data=check,
            observed_at=result.observed_at,
            error_kind=result.error_kind,
        )

    def _verdict(self, result: HttpResult, reply: EnvoyReply | None) -> tuple[Status, str]:
        where = f"GET {self.url}"
        if result.status is None:
            status = Status.ERROR if result.error_kind is ErrorKind.HOST_DOWN else Status.FAIL
            return status, f"{where}: {result.error or 'no response'}"
        timing = f" in {result.total_ms:.0f} ms" if result.total_ms is not None else ""
        head = f"{where} → {result.status}{timing}"
        if reply is not None and reply.local_reply:
            said = f"reset reason: {reply.reset_reason}" if reply.reset_reason else ""
            said = said or result.text().strip()[:80] or "empty body"
            flag = f" ({reply.flag})" if reply.flag else ""
            return Status.FAIL, f"{head}: Envoy's local reply {said!r}{flag}"
        if result.status >= 400:
            source = " from the backend" if reply is not None and reply.local_reply is False else ""
            return Status.FAIL, f"{head}{source}"
        if result.status >= 300:
            return Status.WARN, f"{head} redirect to {result.header('location') or '?'}"
        if result.total_ms is not None and result.total_ms > 500 * self.timeout:
            return Status.WARN, f"{head}: slow (over half the {self.timeout:g} s timeout)"
        if self.identity and not self.identity.verify and self.url.startswith("https:"):
            return Status.WARN, f"{head}, certificate NOT verified (envoy.listener_verify = false)"
        return Status.OK, head

    def _facts(self, result: HttpResult, reply: EnvoyReply | None) -> dict[str, object]:
        facts: dict[str, object] = {
            "url": self.url,
            "status": result.status,
            "connect_ms": _ms(result.connect_ms),
            "ttfb_ms": _ms(result.ttfb_ms),
            "total_ms": _ms(result.total_ms),
            "error": result.error,
            "via": result.via,
        }
        if reply is not None:
            facts.update(
                {
                    "local_reply": reply.local_reply,
                    "flag": reply.flag,
                    "reset_reason": reply.reset_reason,
                    "transport_failure": reply.transport_failure,
                    "upstream_service_time": bool(reply.upstream_service_time),
                    "upstream_service_time_ms": reply.upstream_service_time,
                    "server": reply.server,
                    "overloaded": reply.overloaded,
                    "body": result.text().strip()[:BODY_FACT_CHARS],
                }
            )
        return facts


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _join(base: str, path: str) -> str:
    return base.rstrip("/") + path


def build(config: Config, hosts: Mapping[str, Host]) -> list[AnyProbe]:
    timeout, interval = config.probes.timeout, config.probes.interval
    jump, envoy_host = hosts.get(LOCAL), host_named(hosts, config.envoy.host)
    backend_host = host_named(hosts, config.backend.host)
    health_url = _join(config.backend.url, config.backend.health_path)
    plan: list[tuple[Host | None, str, Vantage, ProbeId]] = []
    if config.backend.url:
        plan.append((jump, health_url, Vantage.JUMP, ProbeId.BACKEND_HEALTH))
        plan.append((envoy_host, health_url, Vantage.ENVOY_HOST, ProbeId.BACKEND_HEALTH))
        if backend_host is not None:
            plan.append((backend_host, health_url, Vantage.BACKEND_HOST, ProbeId.BACKEND_HEALTH))
    if config.site.public_url:
        plan.append((jump, config.site.public_url, Vantage.THROUGH_ENVOY, ProbeId.BACKEND_HEALTH))
    if config.envoy.listener_url:
        # With a public URL, the listener seen from the Envoy host is its own check; without
        # one it is the only through-Envoy path the diagnosis can read.
        name = ProbeId.ENVOY_LISTENER if config.site.public_url else ProbeId.BACKEND_HEALTH
        url = _join(config.envoy.listener_url, config.backend.health_path)
        plan.append((envoy_host, url, Vantage.THROUGH_ENVOY, name))
    identity = listener_identity(config)
    listener = config.envoy.listener_url.rstrip("/")
    probes: list[AnyProbe] = [
        HttpHealthProbe(
            host,
            url,
            vantage,
            name=name,
            interval=interval,
            timeout=timeout,
            identity=identity if listener and url.startswith(listener + "/") else None,
        )
        for host, url, vantage, name in plan
        if host is not None
    ]
    # the sentinel of a calm site: the first path through Envoy (the public URL when there is one)
    for probe in probes:
        if probe.vantage is Vantage.THROUGH_ENVOY:
            probe.sentinel = True
            break
    return probes
