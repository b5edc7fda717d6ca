"""Harness for the real-Envoy diagnosis scenarios: one shared lab per variant, faults switched on it,
a fresh engine per scenario polled round by round until the expected cause is on top."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from darc_tui.config import Config, load_config
from darc_tui.engine import build_engine
from darc_tui.engine.core import Engine
from darc_tui.model import Finding, Snapshot
from tests.lab.lab import Lab

ROUND_DEADLINE = 25.0  # seconds from the fault to the expected top cause, at most


@dataclass(frozen=True, slots=True)
class Variant:
    """A site shape: the defaults, or non-default names and paths (ports are always random)."""

    name: str
    spec: Mapping[str, Any]
    health_path: str
    api_path: str  # a real API path behind the route (what a user requests)


VARIANTS = (
    Variant("default", {}, "/api/health", "/api/orders"),
    Variant(
        "custom",
        {"cluster_name": "api_upstream", "hc_path": "/healthz", "route_prefix": "/"},
        "/healthz",
        "/orders",
    ),
)


@dataclass
class Timing:
    variant: str
    scenario: str
    cause: str
    seconds: float
    rounds: int
    found: tuple[str, ...] = ()  # every finding listed, root first (consequences as "↳ id")


TIMINGS: list[Timing] = []  # filled by the scenarios, printed by tests/diagnosis/conftest.py


@dataclass
class Site:
    """The shared lab of one variant, put back to its healthy baseline between scenarios."""

    lab: Lab
    variant: Variant
    base: Any = None  # the EnvoySpec the lab started with
    timings: list[Timing] = field(default_factory=lambda: TIMINGS)
    marks: int = 0

    def __post_init__(self) -> None:
        self.lab.backend.health_path = self.variant.health_path
        self.base = self.lab.spec

    # -- faults -------------------------------------------------------------------------------
    def ensure(self, *, healthy: bool = True, **overrides: Any) -> None:
        """Envoy runs `base + overrides` (restarted only when that differs) and the backend is
        healthy; with `healthy`, wait until Envoy sees every host healthy."""
        self.reset_backend()
        desired = dataclasses.replace(self.base, **overrides)
        if self.lab.spec != desired or not self.lab.envoy.running:
            fields = {f.name: getattr(desired, f.name) for f in dataclasses.fields(desired)}
            self.lab.reconfigure(healthy=False, **fields)
        if healthy:
            self.lab.wait_healthy()
        self.fresh_access_log()

    def fresh_access_log(self) -> None:
        """Start the scenario with an empty access log: the probe counts the last 60 s, and the
        previous scenario's faults must not count in this one. A marker request, once flushed,
        shows every earlier record is on disk, so truncating after it leaves nothing behind."""
        if not self.lab.envoy.running:
            self.lab.access_log.write_text("")
            return
        self.marks += 1
        marker = f"darc-scenario-{self.marks}"
        try:
            httpx.get(self.url(f"{self.variant.api_path}?{marker}"), timeout=5, trust_env=False)
            self.lab.wait_access_log(marker)
        except httpx.HTTPError:
            pass  # no listener (a fault scenario restored below): nothing was logged either
        self.lab.access_log.write_text("")  # Envoy appends (O_APPEND): it goes on at offset 0

    def reset_backend(self) -> None:
        backend = self.lab.backend
        backend.health_status = 200
        backend.delay = 0.0
        backend.error_status = None
        backend.keepalive_idle_close = None
        backend.keepalive_race = False
        backend.strict_paths = False
        backend.paths = (self.variant.api_path,)  # what the site serves when strict_paths is on
        backend.served_hosts = ()
        backend.health_path = self.variant.health_path
        backend.sni_required = ""
        backend.set_tls(False)
        backend.up()

    # -- darc-tui -----------------------------------------------------------------------------
    def config(self, **sections: Mapping[str, Any]) -> Config:
        site = {
            "public_url": self.lab.listener_url + self.variant.api_path,
            "origin": self.base.cors_origins[0],  # the site's origin, whatever Envoy allows now
        }
        merged: dict[str, Mapping[str, Any]] = {
            "site": {**site, **sections.pop("site", {})},
            "backend": {"health_path": self.variant.health_path, **sections.pop("backend", {})},
            **sections,
        }
        return load_config(self.lab.write_config(**merged))

    def url(self, path: str) -> str:
        return self.lab.listener_url + path


async def until_top(
    engine: Engine,
    cause: str,
    *,
    started: float,
    deadline: float = ROUND_DEADLINE,
    traffic: Callable[[], Awaitable[None]] | None = None,
    accept: Callable[[Finding], bool] = lambda _finding: True,
    ready: Callable[[Snapshot], bool] = lambda _snap: True,
) -> tuple[Snapshot, float, int]:
    """Run rounds at the configured interval until `cause` is the top finding (and `accept`s it);
    return the snapshot, seconds since `started` (the fault) and the rounds it took."""
    interval = engine.config.probes.interval
    rounds = 0
    while True:
        if traffic is not None:
            await traffic()
        snap = await engine.run_round()
        rounds += 1
        on_top = snap.findings and snap.findings[0].cause == cause
        if on_top and accept(snap.findings[0]) and ready(snap):
            return snap, time.monotonic() - started, rounds
        if time.monotonic() - started > deadline:
            raise AssertionError(f"no {cause} on top after {deadline:g}s:\n{explain(snap)}")
        await asyncio.sleep(interval)  # the engine's own cadence between rounds


def _under(f: Finding) -> str:
    return f" ← {','.join(f.explained_by)}" if f.explained_by else ""


def explain(snap: Snapshot) -> str:
    lines = [
        f"  finding {f.cause} ({f.confidence:.2f}){_under(f)}: {f.summary}" for f in snap.findings
    ]
    lines += [
        f"  {e.status.value:7} {e.probe} [{e.vantage.value}] {e.detail}" for e in snap.evidence
    ]
    return "\n".join(lines) or "  (nothing)"


SETTLE_ROUNDS = 2  # rounds after the top cause appeared in which no stray finding may show up


def listed(snap: Snapshot) -> tuple[str, ...]:
    return tuple(f"↳ {f.cause}" if f.explained_by else str(f.cause) for f in snap.findings)


def assert_only(snap: Snapshot, allowed: frozenset[str]) -> None:
    """The whole set of findings: every listed id is the fault's cause or one of its consequences."""
    stray = {f.cause for f in snap.findings} - allowed
    assert not stray, f"findings {sorted(stray)} are not this fault's:\n{explain(snap)}"


def top(snap: Snapshot) -> Finding:
    return snap.findings[0]


async def burst(url: str, n: int) -> None:
    """`n` concurrent GETs through Envoy (loopback only); answers are not checked."""
    async with httpx.AsyncClient(trust_env=False, timeout=5.0) as client:

        async def one() -> None:
            try:
                await client.get(url)
            except httpx.HTTPError:
                pass

        await asyncio.gather(*(one() for _ in range(n)))


async def build(config: Config) -> Engine:
    return build_engine(config)
