"""Envoy `/stats?format=json` → counters and gauges by full name; counter deltas over a window.

`/stats?format=json` does not say which stat is a counter: ask with `&type=Counters` and
`&type=Gauges` (Envoy ≥ 1.21) and tell the parser which one it got. Counters are judged by how much
they moved between two samples, never by their lifetime totals.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from darc_tui.parse import load_json
from darc_tui.parse._values import items, to_int


class StatKind(StrEnum):
    COUNTER = "Counters"  # the values of Envoy's `type=` query parameter
    GAUGE = "Gauges"
    UNKNOWN = "All"


# The per-cluster stats the runbook reads (suffixes after `cluster.<name>.`), checked on 1.40.
CLUSTER_COUNTERS = (
    "upstream_cx_connect_fail",
    "upstream_cx_connect_timeout",
    "upstream_cx_none_healthy",
    "upstream_cx_overflow",
    "upstream_cx_pool_overflow",
    "upstream_cx_protocol_error",
    "upstream_cx_destroy_remote",
    "upstream_cx_destroy_remote_with_active_rq",
    "upstream_cx_destroy_local_with_active_rq",
    "upstream_cx_idle_timeout",
    "upstream_cx_total",
    "lb_healthy_panic",
    "upstream_rq_pending_overflow",
    "upstream_rq_active_overflow",
    "upstream_rq_retry_overflow",
    "upstream_rq_pending_failure_eject",
    "upstream_rq_timeout",
    "upstream_rq_rx_reset",
    "upstream_rq_tx_reset",
    "upstream_rq_total",
    "upstream_rq_completed",
    "upstream_rq_5xx",
    "upstream_rq_503",
    "upstream_rq_2xx",
    "health_check.attempt",
    "health_check.success",
    "health_check.failure",
    "health_check.network_failure",
    "health_check.passive_failure",
    "outlier_detection.ejections_enforced_total",
    "outlier_detection.ejections_overflow",
    "outlier_detection.ejections_total",
    "membership_change",
    "ssl.connection_error",
    "ssl.handshake",
)
CLUSTER_GAUGES = (
    "membership_total",
    "membership_healthy",
    "membership_degraded",
    "membership_excluded",
    "upstream_cx_active",
    "upstream_rq_active",
    "upstream_rq_pending_active",
    "health_check.healthy",
    "outlier_detection.ejections_active",
    "circuit_breakers.default.cx_open",
    "circuit_breakers.default.cx_pool_open",
    "circuit_breakers.default.rq_open",
    "circuit_breakers.default.rq_pending_open",
    "circuit_breakers.default.rq_retry_open",
)


@dataclass(frozen=True, slots=True)
class Stats:
    """One sample. Names are full (`cluster.backend_cluster.upstream_cx_connect_fail`)."""

    counters: Mapping[str, int] = field(default_factory=dict)
    gauges: Mapping[str, int] = field(default_factory=dict)
    untyped: Mapping[str, int] = field(
        default_factory=dict
    )  # from a query without `type=`: kind unknown
    text_readouts: Mapping[str, str] = field(default_factory=dict)
    error: str = ""

    def value(self, name: str) -> int | None:
        for table in (self.counters, self.gauges, self.untyped):
            if name in table:
                return table[name]
        return None

    def merged(self, other: Stats) -> Stats:
        """Two typed queries (counters, gauges) as one sample; the first error wins."""
        return Stats(
            counters={**self.counters, **other.counters},
            gauges={**self.gauges, **other.gauges},
            untyped={**self.untyped, **other.untyped},
            text_readouts={**self.text_readouts, **other.text_readouts},
            error=self.error or other.error,
        )

    def cluster(self, name: str) -> ClusterStats:
        prefix = f"cluster.{name}."

        def pick(table: Mapping[str, int]) -> Mapping[str, int]:
            return {k[len(prefix) :]: v for k, v in table.items() if k.startswith(prefix)}

        return ClusterStats(name, pick(self.counters), pick(self.gauges), pick(self.untyped))


@dataclass(frozen=True, slots=True)
class ClusterStats:
    """One cluster's stats by short name (`upstream_cx_connect_fail`)."""

    cluster: str
    counters: Mapping[str, int] = field(default_factory=dict)
    gauges: Mapping[str, int] = field(default_factory=dict)
    untyped: Mapping[str, int] = field(default_factory=dict)

    def get(self, short: str) -> int | None:
        for table in (self.counters, self.gauges, self.untyped):
            if short in table:
                return table[short]
        return None

    @property
    def found(self) -> bool:
        return bool(self.counters or self.gauges or self.untyped)


def parse_stats(body: str | bytes, kind: StatKind = StatKind.UNKNOWN) -> Stats:
    """`{"stats": [{"name", "value"}, …, {"histograms": …}]}`; histograms are skipped."""
    doc, error = load_json(body)
    if error:
        return Stats(error=error)
    if not isinstance(doc, Mapping) or not isinstance(doc.get("stats"), list):
        return Stats(error="not a /stats?format=json document: no stats list")
    numbers: dict[str, int] = {}
    readouts: dict[str, str] = {}
    for entry in items(doc.get("stats")):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            continue
        value: Any = entry.get("value")
        number = to_int(value)
        if number is not None:
            numbers[entry["name"]] = number
        elif isinstance(value, str):
            readouts[entry["name"]] = value
    if kind is StatKind.COUNTER:
        return Stats(counters=numbers, text_readouts=readouts)
    if kind is StatKind.GAUGE:
        return Stats(gauges=numbers, text_readouts=readouts)
    return Stats(untyped=numbers, text_readouts=readouts)


def cluster_filter(cluster: str, *also: str) -> str:
    """A `filter=` regex for one cluster's stats (plus other prefixes, e.g. `http.`)."""
    alternatives = [rf"cluster\.{re.escape(cluster)}\."] + [re.escape(p) for p in also]
    return "^(" + "|".join(alternatives) + ")"


# ---------------------------------------------------------------------------------------------
# deltas


@dataclass(frozen=True, slots=True)
class StatsDelta:
    """How counters moved between two samples. After a restart/reset nothing is judged."""

    deltas: Mapping[str, int] = field(default_factory=dict)  # name → increase (≥ 0)
    restarted: bool = False  # some counter went down: Envoy restarted or counters were reset
    went_down: tuple[str, ...] = ()

    def get(self, name: str) -> int | None:
        """The increase of one counter; None after a restart or when the counter is unknown."""
        return None if self.restarted else self.deltas.get(name)

    def moved(self) -> dict[str, int]:
        """Only the counters that increased."""
        return {k: v for k, v in self.deltas.items() if v > 0}


def delta(older: Stats, newer: Stats) -> StatsDelta:
    """Counter increases from `older` to `newer`.

    A counter that went down means the counters started again (restart or /reset_counters): the
    window is `restarted` and no value is reported. A counter missing from `older` counts from 0:
    Envoy creates some only when first used (`upstream_rq_503` appears with the first 503).
    """
    before = older.counters
    if not before or older.error or newer.error:
        return StatsDelta()  # nothing to compare with: every value stays unknown
    went_down = tuple(sorted(k for k, v in newer.counters.items() if v < before.get(k, 0)))
    if went_down:
        return StatsDelta(restarted=True, went_down=went_down)
    return StatsDelta({k: v - before.get(k, 0) for k, v in newer.counters.items()})
