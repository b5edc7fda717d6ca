"""Fleet findings from one fleet snapshot (pure): each says how many Envoys it reaches."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable

from darc_tui.diagnosis.catalog import CATALOG, finding
from darc_tui.fleet.model import ClusterHealth, ClusterSpread, EnvoyRow, FleetSnapshot, Scrape
from darc_tui.ids import CauseId, ProbeId
from darc_tui.model import EvidenceRef, Finding, Vantage, Verdict

PROBE = ProbeId.FLEET_PROMETHEUS


def diagnose(snap: FleetSnapshot, *, max_5xx_per_s: float) -> list[Finding]:
    """Findings ordered as the catalog ranks them (specificity, then confidence)."""
    if snap.error:
        return []
    found = [
        *_envoys_down(snap),
        *_clusters_unhealthy(snap),
        *_overflow(snap),
        *_errors(snap, max_5xx_per_s),
        *_config_skew(snap),
    ]
    # not diagnosis.rank: that keeps one finding per cause, the fleet has one per cluster
    return sorted(found, key=lambda f: (-CATALOG[f.cause].specificity, -f.confidence))


def _ref(snap: FleetSnapshot, instance: str, fact: str) -> EvidenceRef:
    return EvidenceRef(PROBE, instance, Vantage.JUMP, snap.taken_at, fact)


def _of(part: int, whole: int) -> str:
    return f"{part}/{whole} Envoy{'s' if whole != 1 else ''}"


def _names(rows: Iterable[str], limit: int = 4) -> str:
    names = list(rows)
    return ", ".join(names[:limit]) + (
        f" and {len(names) - limit} more" if len(names) > limit else ""
    )


def _severity(part: int, whole: int) -> Verdict:
    return Verdict.DOWN if part == whole else Verdict.DEGRADED


def _envoys_down(snap: FleetSnapshot) -> list[Finding]:
    down = [e for e in snap.envoys if e.scrape is Scrape.DOWN]
    not_live = [e for e in snap.envoys if e.up and e.live is False]
    bad = down + not_live
    if not bad:
        return []
    total = len(snap.envoys)
    refs = [_ref(snap, e.instance, f"scrape down: {e.scrape_error or 'up == 0'}") for e in down]
    refs += [_ref(snap, e.instance, f"server.live 0 (state {e.state_name})") for e in not_live]
    what = []
    if down:
        what.append(f"not scraped: {_names(e.instance for e in down)}")
    if not_live:
        what.append(f"not live: {_names(f'{e.instance} ({e.state_name})' for e in not_live)}")
    first = bad[0].instance
    return [
        finding(
            CauseId.FLEET_ENVOY_DOWN,
            0.9 if down else 0.8,
            f"{_of(len(bad), total)} down — " + "; ".join(what),
            refs,
            next_steps=(
                f"curl -sS {shlex.quote(f'http://{first}/ready')}",
                f"darc-tui  # fleet screen: select {first}, enter: its own probes over SSH",
            ),
            severity=_severity(len(bad), total),
        )
    ]


def _clusters_unhealthy(snap: FleetSnapshot) -> list[Finding]:
    rows = {e.instance: e for e in snap.envoys}
    out = []
    for spread in snap.clusters:
        if not spread.envoys_unhealthy:
            continue
        seen = [(i, _cluster(rows[i], spread.name)) for i in spread.envoys_unhealthy]
        refs = [_ref(snap, i, _health_fact(c)) for i, c in seen if c is not None]
        out.append(
            finding(
                CauseId.FLEET_CLUSTER_UNHEALTHY,
                0.9 if spread.everywhere else 0.85,
                _spread_summary(spread, seen),
                refs,
                ruled_out=_spread_ruled_out(spread),
                next_steps=_spread_steps(spread),
                severity=_severity(len(spread.envoys_unhealthy), spread.envoys_total),
            )
        )
    return out


def _cluster(row: EnvoyRow, name: str) -> ClusterHealth | None:
    return next((c for c in row.clusters if c.name == name), None)


def _health_fact(c: ClusterHealth | None) -> str:
    if c is None:
        return "no sample"
    fact = f"{c.name}: {c.healthy}/{c.total} hosts healthy"
    if c.panic_per_s:
        fact += f", in panic ({c.panic_per_s:.2f}/s routed to any host)"
    return fact


def _spread_summary(spread: ClusterSpread, seen: list[tuple[str, ClusterHealth | None]]) -> str:
    n, total = len(spread.envoys_unhealthy), spread.envoys_total
    counts = ", ".join(f"{i} {c.healthy}/{c.total}" for i, c in seen[:4] if c is not None) + (
        " …" if len(seen) > 4 else ""
    )
    if spread.everywhere and total > 1:
        where = "every Envoy sees it — the shared backend, not the Envoys"
    elif n == 1:
        where = f"only {spread.envoys_unhealthy[0]} sees it — that Envoy's host or config"
    else:
        where = "some Envoys see it — their hosts, network path or config differ"
    return f"{spread.name} unhealthy on {_of(n, total)} ({counts}): {where}"


def _spread_ruled_out(spread: ClusterSpread) -> list[str]:
    healthy = spread.envoys_total - len(spread.envoys_unhealthy)
    if healthy:
        return [f"the backend as a whole: {_of(healthy, spread.envoys_total)} see it healthy"]
    return []


def _spread_steps(spread: ClusterSpread) -> list[str]:
    first = spread.envoys_unhealthy[0]
    clusters = shlex.quote(f"http://{first}/clusters")
    steps = [f"curl -sS {clusters} | grep -F {shlex.quote(spread.name + '::')}"]
    if spread.everywhere and spread.envoys_total > 1:
        steps.append("check the backend itself: is it up, does its health path answer 200?")
    steps.append(f"darc-tui  # fleet screen: select {first}, enter: its own probes over SSH")
    return steps


def _overflow(snap: FleetSnapshot) -> list[Finding]:
    bad = [e for e in snap.envoys if (e.overflow_per_s or 0) > 0]
    if not bad:
        return []
    refs = [_ref(snap, e.instance, f"upstream_rq_pending/active_overflow {e.overflow_per_s:.2f}/s")
            for e in bad]  # fmt: skip
    return [
        finding(
            CauseId.FLEET_OVERFLOW,
            0.85,
            f"circuit breakers overflow on {_of(len(bad), len(snap.envoys))} "
            f"({_names(f'{e.instance} {e.overflow_per_s:.2f}/s' for e in bad)}): 503 UO",
            refs,
            next_steps=(
                f"curl -sS {shlex.quote(f'http://{bad[0].instance}/stats')} | grep overflow",
            ),
            severity=Verdict.DEGRADED,
        )
    ]


def _errors(snap: FleetSnapshot, limit: float) -> list[Finding]:
    bad = [e for e in snap.envoys if (e.rq_5xx_per_s or 0) > limit]
    if not bad:
        return []
    refs = [_ref(snap, e.instance, f"downstream 5xx {e.rq_5xx_per_s:.2f}/s") for e in bad]
    return [
        finding(
            CauseId.FLEET_ERRORS,
            0.8,
            f"5xx above {limit:g}/s on {_of(len(bad), len(snap.envoys))} "
            f"({_names(f'{e.instance} {e.rq_5xx_per_s:.2f}/s' for e in bad)})",
            refs,
            next_steps=(
                f"darc-tui  # fleet screen: select {bad[0].instance}, enter: its access log",
            ),
            severity=_severity(len(bad), len(snap.envoys)),
        )
    ]


def _config_skew(snap: FleetSnapshot) -> list[Finding]:
    live = [e for e in snap.envoys if e.up and e.live]
    if len(live) < 2:
        return []
    aspects: dict[str, Callable[[EnvoyRow], object]] = {
        "hot-restart epoch": lambda e: e.epoch,
        "server version": lambda e: e.version,
        "clusters": lambda e: tuple(c.name for c in e.clusters),
    }
    refs, what = [], []
    for label, key in aspects.items():
        groups: dict[object, list[str]] = {}
        for e in live:
            groups.setdefault(key(e), []).append(e.instance)
        if len(groups) < 2:
            continue
        # the odd ones out: every group but the largest
        ordered = sorted(groups.items(), key=lambda kv: -len(kv[1]))
        odd = [(value, i) for value, members in ordered[1:] for i in members]
        what.append(f"{label} differs on {_names(i for _, i in odd)} (most: {ordered[0][0]!r})")
        refs += [_ref(snap, i, f"{label} {value!r}") for value, i in odd]
    if not what:
        return []
    return [
        finding(
            CauseId.FLEET_CONFIG_SKEW,
            0.6,
            f"{len(live)} live Envoys disagree: " + "; ".join(what),
            refs,
            next_steps=("compare the envoy.yaml of the odd Envoy(s) with the others",),
        )
    ]
