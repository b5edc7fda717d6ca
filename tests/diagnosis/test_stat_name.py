"""A cluster with `alt_stat_name`: the rules read `cluster.<alt_stat_name>.…` (the name the stats
probe learned, else the running config's) and the `/stats` next step filters on it."""

from __future__ import annotations

import dataclasses

from darc_tui.diagnosis import steps
from darc_tui.diagnosis.context import Context
from darc_tui.diagnosis.rules.common import counter
from darc_tui.model import Evidence
from tests.diagnosis import builders as b

FAIL = "upstream_cx_connect_fail"


def window(name: str, **facts: str) -> list[Evidence]:
    samples = b.stats_window({f"cluster.{name}.{FAIL}": 1}, {f"cluster.{name}.{FAIL}": 4})
    return [dataclasses.replace(e, facts={**e.facts, **facts}) for e in samples]


def test_the_stat_name_the_probe_learned_is_read_and_cited() -> None:
    ctx = Context(b.state(*window("app_stats", stat_name="app_stats")), b.config(cluster="app"))
    assert ctx.stat_name == "app_stats"
    moved = counter(ctx, FAIL)
    assert moved is not None and moved[0] == 3
    assert f"cluster.app_stats.{FAIL} +3" in str(moved[1].fact)
    assert "cluster\\.app_stats\\.(upstream_cx_connect_fail)" in steps.cluster_stats(ctx, FAIL)


def test_without_the_probe_the_running_configs_alt_stat_name_is_used() -> None:
    running = b.running(b.recorded_running("shapes"))  # cluster app, alt_stat_name app_stats
    ctx = Context(b.state(running), b.config(cluster="app"))
    assert ctx.stat_name == "app_stats"
    assert "cluster\\.app_stats\\." in steps.cluster_stats(ctx, FAIL)


def test_a_cluster_without_alt_stat_name_keeps_its_own_name() -> None:
    ctx = Context(b.state(*window("backend_cluster")), b.config())
    assert ctx.stat_name == "backend_cluster"
    moved = counter(ctx, FAIL)
    assert moved is not None and f"cluster.backend_cluster.{FAIL} +3" in str(moved[1].fact)
