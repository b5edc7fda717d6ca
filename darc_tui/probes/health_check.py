"""Envoy's active health check asked by hand (`envoy.hc_request`): the first HTTP health check of
the cluster in envoy.yaml (path, Host header, expected statuses), sent from the Envoy host to every
host Envoy's cluster has, the way Envoy's checker asks it.

Envoy sends `Host: <cluster name>` unless `host` is set, and passes only 200 unless
`expected_statuses` says otherwise: a backend that routes by Host, answers 204 or redirects fails
the check while a browser's request to the same path succeeds.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from darc_tui.config import Config
from darc_tui.errors import SLOW_ANSWER, ErrorKind
from darc_tui.hosts.base import Host
from darc_tui.hosts.http import HttpResult, http_request
from darc_tui.ids import ProbeId
from darc_tui.model import Evidence, Status
from darc_tui.parse.envoy_summary import ClusterSummary, Endpoint, statuses_text
from darc_tui.probes._commands import host_named, shown
from darc_tui.probes._config_cache import summary_of
from darc_tui.probes._endpoints import EndpointProbe
from darc_tui.probes.base import AnyProbe
from darc_tui.probes.envoy_config import CONFIG_INTERVAL, read_config

PROBE = ProbeId.ENVOY_HC_REQUEST
BODY_FACT_CHARS = 120


@dataclass(frozen=True, slots=True)
class HcSettings:
    """What Envoy's checker sends and accepts, from the cluster's first HTTP health check."""

    path: str
    host_header: str  # `host`, else the cluster name (Envoy's behaviour)
    expected: tuple[int, ...]  # accepted statuses (Envoy's default: only 200)
    timeout: float | None  # the check's own timeout, seconds
    tls: bool  # the cluster's transport socket is TLS: so is the check
    interval: float | None = None  # how often Envoy's checker asks, seconds


@dataclass(frozen=True, slots=True)
class HcAnswer:
    """What one host answered to the health check's request."""

    endpoint: str
    settings: HcSettings
    result: HttpResult

    @property
    def passed(self) -> bool:
        return self.result.status in self.settings.expected

    @property
    def slow(self) -> bool:
        """Slower than the check's timeout (or no answer in time): Envoy's check times out."""
        kind, limit, total = self.result.error_kind, self.settings.timeout, self.result.total_ms
        if kind in SLOW_ANSWER:
            return True  # connected, then no answer in time (a connect timeout is the network)
        return limit is not None and total is not None and total > limit * 1000


def hc_settings(cluster: ClusterSummary) -> HcSettings | None:
    hc = cluster.health_check
    if hc is None or hc.kind != "http":
        return None
    expected = hc.expected_codes() or (200,)
    return HcSettings(
        hc.path or "/",
        hc.host or cluster.name,
        expected,
        hc.timeout,
        cluster.upstream_tls,
        hc.interval,
    )


class HealthCheckRequestProbe(EndpointProbe[HcAnswer]):
    """GET the configured health-check path with its Host header from the Envoy host, per host."""

    name = PROBE

    def __init__(
        self, host: Host, admin_base: str, cluster: str, config_path: str, **kw: Any
    ) -> None:
        super().__init__(host, admin_base, cluster, **kw)
        self.config_path = config_path
        self.configured_interval = self.interval  # never asks more often than Envoy
        # (read at, settings, or why there are none: (status, detail))
        self._settings: tuple[float, HcSettings | None, tuple[Status, str]] | None = None

    @property
    def check_budget(self) -> float:
        return 2 * self.timeout + 1  # http_request's own bound

    async def prepare(self) -> Evidence | None:
        """Read the health check from envoy.yaml (again after CONFIG_INTERVAL seconds)."""
        now = time.monotonic()
        if self._settings is None or now - self._settings[0] > CONFIG_INTERVAL:
            self._settings = (now, *await self._read_settings())
        _at, settings, (status, detail) = self._settings
        if settings is not None:
            # each host already gets Envoy's own check this often: do not double its load
            self.interval = max(self.configured_interval, settings.interval or 0.0)
            return None
        return self.evidence(status, detail, facts={"configured": False, "error": detail})

    async def _read_settings(self) -> tuple[HcSettings | None, tuple[Status, str]]:
        text, why = await read_config(self.host, self.config_path, self.timeout)
        if why:
            return None, (Status.ERROR, f"cannot read {self.config_path}: {why}")
        summary = await summary_of(text, self.config_path)
        if summary.error:
            return None, (Status.ERROR, f"{self.config_path}: {summary.error}")
        cluster = summary.cluster(self.cluster)
        settings = hc_settings(cluster) if cluster is not None else None
        if settings is None:
            where = "is not in" if cluster is None else "has no active HTTP health check in"
            # nothing to ask is not a fault: UNKNOWN, never counted as healthy either
            return None, (Status.UNKNOWN, f"cluster {self.cluster} {where} {self.config_path}")
        return settings, (Status.OK, "")

    def url(self, endpoint: Endpoint, settings: HcSettings) -> str:
        return f"{'https' if settings.tls else 'http'}://{endpoint}{settings.path}"

    async def check(self, endpoint: Endpoint) -> Evidence:
        assert self._settings is not None and self._settings[1] is not None
        settings = self._settings[1]
        url = self.url(endpoint, settings)
        headers = {"Host": settings.host_header}
        result = await http_request(self.host, "GET", url, headers=headers, timeout=self.timeout)
        return self.judge(endpoint, settings, result)

    def judge(self, endpoint: Endpoint, settings: HcSettings, result: HttpResult) -> Evidence:
        url = self.url(endpoint, settings)
        answer = HcAnswer(str(endpoint), settings, result)
        status, detail = judge_answer(answer, url)
        argv = ("curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}\\n")
        command = shown(self.host, (*argv, "-H", f"Host: {settings.host_header}", url))
        return self.endpoint_evidence(
            endpoint,
            status,
            detail,
            command=command,
            latency_ms=result.total_ms,
            via=result.via,
            facts=_facts(answer, url, self.cluster),
            error_kind=result.error_kind,
            data=answer,
            observed_at=result.observed_at,
        )


def judge_answer(answer: HcAnswer, url: str) -> tuple[Status, str]:
    """What Envoy's checker would make of this answer."""
    settings, result = answer.settings, answer.result
    where = f"GET {url} Host: {settings.host_header}"
    limit = f"{settings.timeout:g} s" if settings.timeout is not None else "?"
    if result.status is None:
        if result.error_kind in (ErrorKind.HOST_DOWN, ErrorKind.CERTIFICATE):
            # nothing learnt about the host (Envoy's check does not verify certificates either)
            return Status.ERROR, f"{where}: {result.error}"
        tail = f" (the check's timeout is {limit})" if answer.slow else ""
        return Status.FAIL, f"{where}: {result.error or 'no response'}{tail}"
    ms = f" in {result.total_ms:.0f} ms" if result.total_ms is not None else ""
    head = f"{where} → {result.status}{ms}"
    if not answer.passed:
        accepted = statuses_text(settings.expected)
        redirect = result.header("location") if 300 <= result.status < 400 else None
        to = f" redirect to {redirect}" if redirect else ""
        return Status.FAIL, f"{head}{to}: Envoy's check accepts only {accepted}"
    if answer.slow:
        return Status.FAIL, f"{head}: slower than the check's timeout ({limit})"
    return Status.OK, f"{head}: the check passes"


def _facts(answer: HcAnswer, url: str, cluster: str) -> dict[str, Any]:
    settings, result = answer.settings, answer.result
    outcome = str(result.status) if result.status is not None else result.error or "no response"
    return {
        "cluster": cluster,
        "endpoint": answer.endpoint,
        "url": url,
        "path": settings.path,
        "host_header": settings.host_header,
        "expected": list(settings.expected),
        "hc_timeout_s": settings.timeout,
        "status": result.status,
        "error": result.error,
        "total_ms": None if result.total_ms is None else round(result.total_ms, 2),
        "location": result.header("location") or "",
        "body": result.text().strip()[:BODY_FACT_CHARS],
        "passed": answer.passed,
        "slow": answer.slow,
        "outcome": outcome,
    }


def build(config: Config, hosts: Mapping[str, Host]) -> list[AnyProbe]:
    host = host_named(hosts, config.envoy.host)
    envoy = config.envoy
    if host is None or not (envoy.admin_url and envoy.cluster and envoy.config_path):
        return []
    probe = HealthCheckRequestProbe(
        host,
        envoy.admin_url,
        envoy.cluster,
        envoy.config_path,
        interval=config.probes.interval,
        timeout=config.probes.timeout,
    )
    return [probe]
