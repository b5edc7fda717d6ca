"""The Prometheus HTTP API (also VictoriaMetrics, Thanos, Mimir): instant and range queries,
scrape targets and alerts, over one keep-alive httpx client. Errors are one-line PrometheusError."""

from __future__ import annotations

import asyncio
import math
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from darc_tui.config import FleetConfig
from darc_tui.sanitize import clean

BODY_LIMIT = 64 * 1024 * 1024  # a 500-Envoy fleet answers a few MB per query


class PrometheusError(Exception):
    """Prometheus could not be asked or did not answer; the message is one line."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One series of an instant vector: its labels (incl. __name__ when kept) and value."""

    labels: Mapping[str, str]
    value: float


@dataclass(frozen=True, slots=True)
class Series:
    """One series of a range query: labels and (timestamp, value) points."""

    labels: Mapping[str, str]
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class Target:
    """One active scrape target from /api/v1/targets."""

    labels: Mapping[str, str]
    health: str  # "up" | "down" | "unknown"
    last_error: str
    scrape_url: str
    scrape_interval_s: float | None


@dataclass(frozen=True, slots=True)
class Alert:
    """One pending or firing alert from /api/v1/alerts."""

    name: str
    state: str  # "pending" | "firing"
    labels: Mapping[str, str]


class PrometheusClient:
    """`async with PrometheusClient(fleet_config) as prom: await prom.query("up")`."""

    def __init__(self, config: FleetConfig, transport: httpx.AsyncBaseTransport | None = None):
        self.config = config
        self.base_url = config.prometheus_url.rstrip("/")
        self._client = httpx.AsyncClient(
            base_url=self.base_url + "/",
            headers=_headers(config),
            auth=_basic_auth(config),
            verify=_verify(config),
            timeout=httpx.Timeout(config.timeout),
            trust_env=False,  # a jump box's HTTP_PROXY must not capture a loopback Prometheus
            follow_redirects=True,
            transport=transport,
        )

    async def __aenter__(self) -> PrometheusClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- API ---------------------------------------------------------------------------------

    async def query(self, promql: str, at: float | None = None) -> list[Sample]:
        params = {"query": promql} | ({"time": f"{at:.3f}"} if at is not None else {})
        data = await self._get("api/v1/query", params)
        return _vector(data, promql)

    async def query_range(self, promql: str, start: float, end: float, step: float) -> list[Series]:
        params = {
            "query": promql,
            "start": f"{start:.3f}",
            "end": f"{end:.3f}",
            "step": f"{step:g}",
        }
        data = await self._get("api/v1/query_range", params)
        if data.get("resultType") != "matrix":
            raise PrometheusError(f"{promql}: expected a matrix, got {data.get('resultType')!r}")
        return [
            Series(_labels(s.get("metric")), tuple((float(t), _float(v)) for t, v in s["values"]))
            for s in data.get("result", [])
        ]

    async def targets(self) -> list[Target]:
        data = await self._get("api/v1/targets", {"state": "active"})
        return [_target(t) for t in data.get("activeTargets", []) if isinstance(t, dict)]

    async def alerts(self) -> list[Alert]:
        data = await self._get("api/v1/alerts", {})
        out = []
        for raw in data.get("alerts", []):
            labels = _labels(raw.get("labels"))
            out.append(Alert(labels.get("alertname", ""), str(raw.get("state", "")), labels))
        return out

    async def _get(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        where = f"{self.base_url}/{path}"
        try:
            async with asyncio.timeout(self.config.timeout * 2):
                response = await self._client.get(path, params=params)
        except TimeoutError:
            raise PrometheusError(
                f"{where}: no answer within {self.config.timeout * 2:g}s"
            ) from None
        except httpx.HTTPError as exc:
            raise PrometheusError(f"{where}: {_one_line(exc)}") from None
        if len(response.content) > BODY_LIMIT:
            raise PrometheusError(f"{where}: answer larger than {BODY_LIMIT} bytes")
        try:
            doc = response.json()
        except ValueError:
            raise PrometheusError(
                f"{where}: HTTP {response.status_code}, not a Prometheus API answer"
            ) from None
        if not isinstance(doc, dict) or doc.get("status") != "success":
            error = doc.get("error", "") if isinstance(doc, dict) else ""
            raise PrometheusError(f"{where}: HTTP {response.status_code}: {_one_line(error)}")
        data = doc.get("data")
        if not isinstance(data, dict):
            raise PrometheusError(f"{where}: answer without data")
        return data


def _vector(data: Mapping[str, Any], promql: str) -> list[Sample]:
    kind = data.get("resultType")
    if kind == "scalar":
        return [Sample({}, _float(data["result"][1]))]
    if kind != "vector":
        raise PrometheusError(f"{promql}: expected a vector, got {kind!r}")
    return [Sample(_labels(s.get("metric")), _float(s["value"][1])) for s in data.get("result", [])]


def _target(raw: Mapping[str, Any]) -> Target:
    return Target(
        labels=_labels(raw.get("labels")),
        health=str(raw.get("health", "unknown")),
        last_error=_one_line(raw.get("lastError", "")),
        scrape_url=str(raw.get("scrapeUrl", "")),
        scrape_interval_s=parse_duration(str(raw.get("scrapeInterval", ""))),
    )


def _labels(raw: object) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    # outside text: a label value must not drive the terminal (darc_tui.sanitize)
    return {clean(str(k)): clean(str(v)) for k, v in raw.items()}


def _float(raw: object) -> float:
    try:
        return float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float | None:
    """A Prometheus duration ("15s", "1m30s", "500ms") in seconds; None if it is not one."""
    total, number, i = 0.0, "", 0
    if not text:
        return None
    while i < len(text):
        ch = text[i]
        if ch.isdigit():
            number += ch
            i += 1
            continue
        unit = "ms" if text.startswith("ms", i) else ch
        if not number or unit not in _UNITS:
            return None
        total += int(number) * _UNITS[unit]
        number, i = "", i + len(unit)
    return None if number else total


def _one_line(value: object) -> str:
    text = str(value) or type(value).__name__
    return clean(" ".join(text.split())[:300])


def _headers(config: FleetConfig) -> dict[str, str]:
    headers = dict(config.headers)
    if config.bearer_token_file:
        token = _read_secret(config.bearer_token_file, "bearer_token_file")
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _basic_auth(config: FleetConfig) -> httpx.BasicAuth | None:
    if not config.username:
        return None
    password = config.password
    if config.password_file:
        password = _read_secret(config.password_file, "password_file")
    return httpx.BasicAuth(config.username, password)


def _verify(config: FleetConfig) -> ssl.SSLContext | bool:
    if not config.verify:
        return False
    if not (config.ca_file or config.cert_file):
        return True
    try:
        context = ssl.create_default_context(cafile=config.ca_file or None)
        if config.cert_file:
            context.load_cert_chain(config.cert_file, config.key_file)
    except (OSError, ssl.SSLError) as exc:
        raise PrometheusError(f"fleet TLS files: {_one_line(exc)}") from None
    return context


def _read_secret(path: str, key: str) -> str:
    try:
        return Path(path).expanduser().read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise PrometheusError(f"fleet.{key}: cannot read {path}: {_one_line(exc)}") from None
