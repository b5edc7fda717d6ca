"""The recorded real Envoy 1.40 admin outputs in tests/data/envoy-1.40 (see its README)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ENVOY_DATA = Path(__file__).resolve().parents[1] / "data" / "envoy-1.40"
STATES = ("healthy", "backend_down", "hc_timeout_degraded", "pre_initializing")


def recorded(state: str, name: str) -> bytes:
    return (ENVOY_DATA / state / name).read_bytes()


def recorded_json(state: str, name: str) -> Any:
    return json.loads(recorded(state, name))


def recorded_port(state: str, cluster: str) -> int:
    """The first endpoint port of `cluster` in that capture (ports change per capture)."""
    for status in recorded_json(state, "clusters.json")["cluster_statuses"]:
        if status["name"] == cluster:
            return int(status["host_statuses"][0]["address"]["socket_address"]["port_value"])
    raise KeyError(cluster)


def json_values() -> Any:
    """A hypothesis strategy for arbitrary JSON documents (nested lists and objects)."""
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    keys = st.sampled_from(
        [
            "name",
            "value",
            "stats",
            "cluster_statuses",
            "host_statuses",
            "health_status",
            "address",
            "socket_address",
            "port_value",
            "configs",
            "@type",
            "cluster",
            "state",
        ]
    ) | st.text(max_size=10)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
        max_leaves=30,
    )
