"""One fleet sample: the queries in parallel against Prometheus, assembled and diagnosed."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable
from typing import TypeVar

import httpx

from darc_tui.config import FleetConfig
from darc_tui.fleet.assemble import RawFleet, assemble
from darc_tui.fleet.diagnose import diagnose
from darc_tui.fleet.model import FleetSnapshot
from darc_tui.fleet.prometheus import PrometheusClient, PrometheusError, Target
from darc_tui.fleet.queries import CLUSTER_RATES, Queries

T = TypeVar("T")
SCRAPES_PER_WINDOW = 4  # a rate over fewer samples jumps with every scrape
FALLBACK_WINDOW_S = 60.0  # 4 × Prometheus's default 15 s scrape interval


class FleetSource:
    """Samples the fleet from Prometheus; one keep-alive client for the source's lifetime."""

    def __init__(
        self, config: FleetConfig, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self.client = PrometheusClient(config, transport)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def sample(self) -> FleetSnapshot:
        """The fleet now; a Prometheus that cannot be read gives a snapshot with `error` set."""
        started, taken_at = time.monotonic(), time.time()
        try:
            raw, window = await self._ask()
        except PrometheusError as exc:
            return FleetSnapshot(taken_at, (), (), error=str(exc))
        cfg = self.config
        snap = assemble(
            raw,
            instance_label=cfg.instance_label,
            job=cfg.job,
            max_5xx_per_s=cfg.max_5xx_per_s,
            taken_at=taken_at,
        )
        findings = diagnose(snap, max_5xx_per_s=cfg.max_5xx_per_s)
        return dataclasses.replace(
            snap, findings=tuple(findings), window_s=window, took_s=time.monotonic() - started
        )

    async def _ask(self) -> tuple[RawFleet, float]:
        targets = await _optional(self.client.targets())
        window = self._window(targets)
        q = Queries(self.config.job, self.config.instance_label, window)
        prom = self.client
        names = list(CLUSTER_RATES)
        queries = [q.up(), q.server(), q.membership(), q.downstream_5xx(), q.mangled()]
        queries += [q.cluster_rate(name) for name in names]
        alerts = asyncio.ensure_future(_optional(prom.alerts()))
        try:
            answers = await asyncio.gather(*(prom.query(text) for text in queries))
        finally:
            found_alerts = await alerts
        up, server, membership, downstream, mangled = answers[:5]
        raw = RawFleet(
            up=up,
            server=server,
            membership=membership,
            cluster_rates=dict(zip(names, answers[5:], strict=True)),
            downstream_5xx=downstream,
            mangled=mangled,
            targets=targets,
            alerts=found_alerts or (),
        )
        return raw, window

    def _window(self, targets: list[Target] | None) -> float:
        if self.config.rate_window:
            return self.config.rate_window
        intervals = [
            t.scrape_interval_s
            for t in targets or ()
            if t.labels.get("job") == self.config.job and t.scrape_interval_s
        ]
        return SCRAPES_PER_WINDOW * max(intervals) if intervals else FALLBACK_WINDOW_S


async def _optional(call: Awaitable[T]) -> T | None:
    """Targets and alerts are Prometheus-only APIs (Thanos/Mimir/VictoriaMetrics may lack them)."""
    try:
        return await call
    except PrometheusError:
        return None


async def sample_once(config: FleetConfig) -> FleetSnapshot:
    source = FleetSource(config)
    try:
        return await source.sample()
    finally:
        await source.aclose()
