"""Query answers → the fleet snapshot (rows worst first, cluster pivot, warnings). Pure."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from darc_tui.fleet.model import (
    ClusterHealth,
    ClusterSpread,
    EnvoyRow,
    FleetAlert,
    FleetSnapshot,
    Scrape,
)
from darc_tui.fleet.prometheus import Alert, Sample, Target
from darc_tui.fleet.queries import CLUSTER, CLUSTER_RATES

_MEMBERSHIP = "envoy_cluster_membership_"
_MANGLED_SUFFIXES = ("_membership_healthy", "_membership_total")


@dataclass(frozen=True, slots=True)
class RawFleet:
    """Everything one sample asked Prometheus, as answered."""

    up: Sequence[Sample]
    server: Sequence[Sample] = ()
    membership: Sequence[Sample] = ()
    cluster_rates: Mapping[str, Sequence[Sample]] = field(default_factory=dict)
    downstream_5xx: Sequence[Sample] = ()
    mangled: Sequence[Sample] = ()
    targets: Sequence[Target] | None = None  # None: the API has no /api/v1/targets
    alerts: Sequence[Alert] = ()


def assemble(
    raw: RawFleet, *, instance_label: str, job: str, max_5xx_per_s: float, taken_at: float
) -> FleetSnapshot:
    """Rows (worst first) and the cluster pivot; findings are added by `diagnose`."""
    parts = _split(raw, instance_label, job)
    empty = RawFleet(up=())
    rows = [
        _row(i, parts.get(i, empty), instance_label) for i in _instances(raw, instance_label, job)
    ]
    rows.sort(key=lambda r: (r.severity(max_5xx_per_s), -(r.rq_5xx_per_s or 0), r.instance))
    return FleetSnapshot(
        taken_at=taken_at,
        envoys=tuple(rows),
        clusters=pivot(rows),
        warnings=tuple(mangled_warnings(raw.mangled, instance_label)),
        alerts=tuple(_alerts(raw.alerts, instance_label, job, {r.instance for r in rows})),
    )


def _split(raw: RawFleet, label: str, job: str) -> dict[str, RawFleet]:
    """Each instance's own share of the answers (one pass; rows then never scan the fleet)."""

    def group(samples: Iterable[Sample]) -> dict[str, list[Sample]]:
        out: dict[str, list[Sample]] = defaultdict(list)
        for s in samples:
            out[s.labels.get(label, "")].append(s)
        return out

    up, server, membership = group(raw.up), group(raw.server), group(raw.membership)
    downstream, mangled = group(raw.downstream_5xx), group(raw.mangled)
    rates = {name: group(samples) for name, samples in raw.cluster_rates.items()}
    targets: dict[str, list[Target]] = defaultdict(list)
    for t in raw.targets or ():
        if t.labels.get("job") == job:  # /api/v1/targets lists every job's targets
            targets[t.labels.get(label, "")].append(t)
    names = up.keys() | targets.keys()
    return {
        name: RawFleet(
            up=up.get(name, ()),
            server=server.get(name, ()),
            membership=membership.get(name, ()),
            cluster_rates={k: v.get(name, []) for k, v in rates.items()},
            downstream_5xx=downstream.get(name, ()),
            mangled=mangled.get(name, ()),
            targets=targets.get(name, []) if raw.targets is not None else None,
        )
        for name in names
    }


def _instances(raw: RawFleet, label: str, job: str) -> list[str]:
    names = {s.labels.get(label, "") for s in raw.up}
    for t in raw.targets or ():
        if t.labels.get("job") == job:
            names.add(t.labels.get(label, ""))
    names.discard("")
    return sorted(names)


def _row(instance: str, raw: RawFleet, label: str) -> EnvoyRow:
    scrape, error = _scrape_state(instance, raw, label)
    gauges = {
        s.labels.get("__name__", "").removeprefix("envoy_server_"): s.value
        for s in raw.server
        if s.labels.get(label) == instance
    }
    clusters = _clusters(instance, raw, label)
    live = gauges.get("live")
    return EnvoyRow(
        instance=instance,
        scrape=scrape,
        scrape_error=error,
        live=None if live is None or scrape is not Scrape.UP else live == 1,
        state=_int(gauges.get("state")),
        epoch=_int(gauges.get("hot_restart_epoch")),
        uptime_s=gauges.get("uptime"),
        version=gauges.get("version"),
        clusters=clusters,
        rq_5xx_per_s=_first(s.value for s in raw.downstream_5xx if s.labels.get(label) == instance),
        connect_fail_per_s=_sum(c.connect_fail_per_s for c in clusters),
        overflow_per_s=_sum(c.overflow_per_s for c in clusters),
        panic_per_s=_sum(c.panic_per_s for c in clusters),
    )


def _scrape_state(instance: str, raw: RawFleet, label: str) -> tuple[Scrape, str]:
    target = next((t for t in raw.targets or () if t.labels.get(label) == instance), None)
    up = next((s.value for s in raw.up if s.labels.get(label) == instance), None)
    if target is not None:
        state = {"up": Scrape.UP, "down": Scrape.DOWN}.get(target.health, Scrape.UNKNOWN)
        return state, target.last_error
    if up is None:
        return Scrape.UNKNOWN, ""
    return (Scrape.UP, "") if up == 1 else (Scrape.DOWN, "scrape failed (up == 0)")


def _clusters(instance: str, raw: RawFleet, label: str) -> tuple[ClusterHealth, ...]:
    gauges: dict[str, dict[str, float]] = defaultdict(dict)
    for s in raw.membership:
        if s.labels.get(label) == instance and s.labels.get(CLUSTER):
            kind = s.labels.get("__name__", "").removeprefix(_MEMBERSHIP)
            gauges[s.labels[CLUSTER]][kind] = s.value
    # a dotted name cut apart (envoy#5239) still says how healthy the cluster is
    for s in raw.mangled:
        cut = _mangled(s)
        if cut and s.labels.get(label) == instance:
            (head, middle, kind) = cut
            gauges[f"{head}.{middle}"][kind] = s.value
    rates: dict[str, dict[str, float]] = defaultdict(dict)
    for name, samples in raw.cluster_rates.items():
        for s in samples:
            if s.labels.get(label) == instance and s.labels.get(CLUSTER):
                rates[s.labels[CLUSTER]][name] = s.value
    out = []
    # the gauges say which clusters exist now; a rate window still holds a removed cluster's past
    for cluster in sorted(gauges):
        g, r = gauges.get(cluster, {}), rates.get(cluster, {})
        out.append(
            ClusterHealth(
                cluster,
                _int(g.get("healthy")),
                _int(g.get("total")),
                **{name: r.get(name) for name in CLUSTER_RATES},
            )
        )
    return tuple(out)


def pivot(rows: Iterable[EnvoyRow]) -> tuple[ClusterSpread, ...]:
    """cluster × Envoys: for each cluster, the Envoys that see it unhealthy, of those that have it.
    Widest blast radius first."""
    seen: dict[str, list[str]] = defaultdict(list)
    bad: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if not row.up:
            continue
        for c in row.clusters:
            seen[c.name].append(row.instance)
            if c.unhealthy:
                bad[c.name].append(row.instance)
    spreads = [ClusterSpread(n, tuple(sorted(bad[n])), len(seen[n])) for n in seen]
    spreads.sort(key=lambda s: (-len(s.envoys_unhealthy), -s.envoys_total, s.name))
    return tuple(spreads)


def mangled_warnings(samples: Iterable[Sample], label: str) -> list[str]:
    """One line per dotted cluster name that Envoy's tag extraction cut apart (envoy#5239)."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for s in samples:
        cut = _mangled(s)
        if cut:
            found[cut[:2]].add(s.labels.get(label, "?"))
    out = []
    for (head, middle), instances in sorted(found.items()):
        where = ", ".join(sorted(instances)[:3]) + (" …" if len(instances) > 3 else "")
        out.append(
            f"a dotted cluster name ({head}.{middle.replace('_', '?')} — '?' is '.' or '_') is "
            f"cut apart by Envoy's stats tag extraction (envoy#5239) on {len(instances)} "
            f'Envoy(s) ({where}): its stats arrive as envoy_cluster_{middle}_*{{{CLUSTER}="{head}"}}'
            " and the fleet view misses them; give the cluster an alt_stat_name without dots"
        )
    return out


def _mangled(s: Sample) -> tuple[str, str, str] | None:
    """(first name part, rest of the metric name, "healthy"|"total") of a cut-apart gauge."""
    metric, head = s.labels.get("__name__", ""), s.labels.get(CLUSTER, "")
    for suffix in _MANGLED_SUFFIXES:
        if metric.endswith(suffix) and head:
            middle = metric.removeprefix("envoy_cluster_").removesuffix(suffix)
            return (head, middle, suffix.removeprefix("_membership_")) if middle else None
    return None


def _alerts(alerts: Iterable[Alert], label: str, job: str, instances: set[str]) -> list[FleetAlert]:
    out = []
    for a in alerts:
        instance = a.labels.get(label, "")
        if a.labels.get("job") == job or instance in instances:
            out.append(FleetAlert(a.name, a.state, instance))
    return sorted(out, key=lambda a: (a.state != "firing", a.name, a.instance))


def _int(value: float | None) -> int | None:
    if value is None or math.isnan(value):
        return None
    return int(value)


def _first(values: Iterable[float]) -> float | None:
    return next(iter(values), None)


def _sum(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None and not math.isnan(v)]
    return sum(present) if present else None
