"""Before/after a deploy marker: 5xx rate, RESPONSE_FLAGS mix, host health and latency p50/p95 in
the window before the marker vs the window after it, from the evidence history. Pure.

Two views of the 5xx rate are combined, the worse one counts: Envoy's own counters
(`upstream_rq_5xx` / `upstream_rq_total` deltas, real traffic) and darc-tui's requests through
Envoy (every probe round; a request Envoy did not answer at all counts as failed, which is what a
user sees while Envoy restarts).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from darc_tui.config import DeployConfig
from darc_tui.ids import ProbeId
from darc_tui.model import DeployKind, DeployMarker, Evidence, Status, Vantage
from darc_tui.state import State

THROUGH_ENVOY = (ProbeId.ENVOY_LISTENER, ProbeId.BACKEND_HEALTH)
LATENCY_MIN_SAMPLES = 5  # fewer samples say nothing about p95
LATENCY_FACTOR = 3.0  # p95 after must exceed both this multiple and LATENCY_MARGIN_MS more
LATENCY_MARGIN_MS = 250.0
FLAG_MIN = 2  # a new response flag seen at least this often after the deploy
SAME_DEPLOY_S = 60.0
_RESTARTS = (DeployKind.ENVOY_RESTARTED, DeployKind.ENVOY_HOT_RESTART, DeployKind.BACKEND_RESTARTED)
_SEEN = (Status.OK, Status.WARN, Status.FAIL)


@dataclass(frozen=True, slots=True)
class WindowStats:
    """What the site looked like between `start` and `end`."""

    start: float
    end: float
    requests: int = 0  # Envoy's upstream_rq_total movement
    errors_5xx: int = 0  # Envoy's upstream_rq_5xx movement
    probe_samples: int = 0  # darc-tui's own requests through Envoy
    probe_failures: int = 0  # of which 5xx or no answer at all
    flags: Mapping[str, int] = field(default_factory=dict)  # RESPONSE_FLAGS seen
    hosts_healthy: int | None = None  # the cluster at the end of the window
    hosts_total: int | None = None
    health_flags: str = ""
    p50_ms: float | None = None
    p95_ms: float | None = None

    @property
    def rate_5xx(self) -> float | None:
        """The worse of Envoy's counters and darc-tui's requests; None without any data."""
        rates = []
        if self.requests:
            rates.append(self.errors_5xx / self.requests)
        if self.probe_samples:
            rates.append(self.probe_failures / self.probe_samples)
        return max(rates) if rates else None

    def to_json(self) -> dict[str, Any]:
        rate = self.rate_5xx
        return {
            "window_s": round(self.end - self.start, 1),
            "requests": self.requests,
            "5xx": self.errors_5xx,
            "probe_requests": self.probe_samples,
            "probe_failures": self.probe_failures,
            "rate_5xx": None if rate is None else round(rate, 4),
            "flags": dict(self.flags),
            "hosts_healthy": self.hosts_healthy,
            "hosts_total": self.hosts_total,
            "health_flags": self.health_flags,
            "p50_ms": _round(self.p50_ms),
            "p95_ms": _round(self.p95_ms),
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    markers: tuple[DeployMarker, ...]  # one deploy: markers close together, oldest first
    before: WindowStats
    after: WindowStats
    worse: tuple[str, ...]  # what got worse, one phrase each ("5xx 0.0% → 100.0%")

    @property
    def at(self) -> float:
        return self.markers[0].at

    @property
    def regressed(self) -> bool:
        return bool(self.worse)

    def describe(self) -> str:
        """ "envoy restarted, config changed" """
        return ", ".join(dict.fromkeys(m.kind.words for m in self.markers))

    def to_json(self) -> dict[str, Any]:
        return {
            "deploy_at": self.at,
            "hosts": sorted({m.host for m in self.markers}),
            "kinds": list(dict.fromkeys(m.kind.value for m in self.markers)),
            "before": self.before.to_json(),
            "after": self.after.to_json(),
            "regressed": self.regressed,
            "worse": list(self.worse),
        }


def deploys(markers: Iterable[DeployMarker]) -> list[tuple[DeployMarker, ...]]:
    """Markers grouped into deploys: each within SAME_DEPLOY_S of its deploy's first marker
    (a rollout restarts Envoy, changes its config and the backend's version within seconds)."""
    groups: list[list[DeployMarker]] = []
    for marker in sorted(markers, key=lambda m: m.at):
        if groups and marker.at - groups[-1][0].at <= SAME_DEPLOY_S:
            groups[-1].append(marker)
        else:
            groups.append([marker])
    return [tuple(g) for g in groups]


def compare(
    state: State, markers: tuple[DeployMarker, ...], windows: DeployConfig, now: float
) -> Comparison:
    """One deploy's before window [began - before, began) against [at + settle, at + after or
    now]: what happened between `began` (the old state last seen) and `at` is the deploy itself."""
    at = markers[0].at
    began = _began(markers)
    after_start = at + windows.settle
    after_end = now if windows.after <= 0 else min(now, at + windows.after)
    before = window_stats(state, began - windows.before, began)
    after = window_stats(state, after_start, max(after_start, after_end))
    return Comparison(markers, before, after, worse(before, after, windows.max_5xx_rate))


def _began(markers: tuple[DeployMarker, ...]) -> float:
    """When the old state was last seen. A restart knows it to a probe interval; a changed file
    or config only to its (slower) probe's previous read, so a restart in the deploy wins."""
    restarts = [m for m in markers if m.kind in _RESTARTS] or list(markers)
    return min(m.at if m.began is None else m.began for m in restarts)


def compare_all(state: State, windows: DeployConfig, now: float) -> list[Comparison]:
    return [compare(state, group, windows, now) for group in deploys(state.deploys)]


def window_stats(state: State, start: float, end: float) -> WindowStats:
    def inside(ev: Evidence) -> bool:
        return start <= ev.observed_at <= end

    through = [
        ev
        for ev in _history(state, THROUGH_ENVOY)
        if ev.vantage is Vantage.THROUGH_ENVOY and inside(ev) and ev.status is not Status.UNKNOWN
    ]
    stats = [ev for ev in _history(state, (ProbeId.ENVOY_STATS,)) if inside(ev)]
    clusters = [ev for ev in _history(state, (ProbeId.ENVOY_CLUSTERS,)) if inside(ev)]
    requests, errors = _counter_moves(stats)
    failures = [ev for ev in through if _failed(ev)]
    latencies = sorted(ev.latency_ms for ev in through if not _failed(ev) and ev.latency_ms)
    flags: Counter[str] = Counter(str(ev.facts["flag"]) for ev in through if ev.facts.get("flag"))
    healthy, total, health_flags = _health(clusters)
    return WindowStats(
        start=start,
        end=end,
        requests=requests,
        errors_5xx=errors,
        probe_samples=len(through),
        probe_failures=len(failures),
        flags=dict(flags),
        hosts_healthy=healthy,
        hosts_total=total,
        health_flags=health_flags,
        p50_ms=_percentile(latencies, 0.50),
        p95_ms=_percentile(latencies, 0.95),
    )


def worse(before: WindowStats, after: WindowStats, max_rate: float) -> tuple[str, ...]:
    """What got worse from `before` to `after`, one phrase each; () when the deploy held."""
    found: list[str] = []
    rate_before, rate_after = before.rate_5xx or 0.0, after.rate_5xx
    if rate_after is not None and rate_after > max_rate and rate_after > 2 * rate_before:
        found.append(f"5xx {rate_before:.1%} → {rate_after:.1%}")
    new_flags = {
        flag: n for flag, n in after.flags.items() if n >= FLAG_MIN and flag not in before.flags
    }
    if new_flags:
        found.append("new response flags " + ", ".join(f"{f}×{n}" for f, n in new_flags.items()))
    if (
        before.hosts_healthy is not None
        and after.hosts_healthy is not None
        and after.hosts_healthy < before.hosts_healthy
    ):
        found.append(
            f"healthy hosts {before.hosts_healthy}/{before.hosts_total} → "
            f"{after.hosts_healthy}/{after.hosts_total}"
            + (f" ({after.health_flags})" if after.health_flags else "")
        )
    if _slower(before, after):
        found.append(f"latency p95 {before.p95_ms:.0f} → {after.p95_ms:.0f} ms")
    return tuple(found)


def _slower(before: WindowStats, after: WindowStats) -> bool:
    enough = min(before.probe_samples, after.probe_samples) >= LATENCY_MIN_SAMPLES
    if not enough or before.p95_ms is None or after.p95_ms is None:
        return False
    return after.p95_ms > max(LATENCY_FACTOR * before.p95_ms, before.p95_ms + LATENCY_MARGIN_MS)


def _history(state: State, probes: Iterable[ProbeId]) -> list[Evidence]:
    out: list[Evidence] = []
    for probe in probes:
        for latest in state.all_latest(probe):
            out.extend(state.history(latest.probe, latest.target))
    return out


def _failed(ev: Evidence) -> bool:
    """A request through Envoy that a user would count as failed: 5xx or no answer at all."""
    code = ev.facts.get("status")
    if isinstance(code, int):
        return code >= 500
    return ev.status in (Status.FAIL, Status.ERROR)


def _counter_moves(stats: list[Evidence]) -> tuple[int, int]:
    requests = errors = 0
    for ev in stats:
        if not ev.facts.get("sampled") or ev.facts.get("restarted"):
            continue  # the first sample, or counters that went down (Envoy restarted)
        # a request that never reached a backend (connect failure → 503 UF) moves
        # upstream_rq_5xx but not upstream_rq_total
        moved_5xx = _int(ev.facts.get("delta.upstream_rq_5xx"))
        requests += max(_int(ev.facts.get("delta.upstream_rq_total")), moved_5xx)
        errors += moved_5xx
    return requests, errors


def _health(clusters: list[Evidence]) -> tuple[int | None, int | None, str]:
    seen = [ev for ev in clusters if ev.status in _SEEN and ev.facts.get("found")]
    if not seen:
        return None, None, ""
    last = max(seen, key=lambda ev: ev.observed_at)
    healthy, total = last.facts.get("healthy"), last.facts.get("hosts")
    return (
        healthy if isinstance(healthy, int) else None,
        total if isinstance(total, int) else None,
        str(last.facts.get("flags") or ""),
    )


def _percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of sorted values."""
    if not values:
        return None
    return values[max(0, math.ceil(q * len(values)) - 1)]


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
