"""A cluster with `alt_stat_name` keeps its stats under `cluster.<alt_stat_name>.`: darc-tui finds
them there (learned from the running config, again after a restart) on a real Envoy 1.40, and the
rules cite them."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from darc_tui.hosts.local import LocalHost
from darc_tui.model import Status
from darc_tui.probes.admin import StatsProbe
from tests.lab.envoy import MakeLab
from tests.test_check import check, probes

pytestmark = pytest.mark.integration

HOST = LocalHost("local")
ALT = "app_stats"


async def test_stats_are_found_under_alt_stat_name_and_relearned_after_a_restart(
    make_lab: MakeLab,
) -> None:
    lab = make_lab(alt_stat_name=ALT)
    probe = StatsProbe(HOST, lab.admin_url, "backend_cluster", timeout=2.0)
    first = await probe.run()
    assert first.status is Status.OK, first.detail
    assert (first.facts["stat_name"], first.facts["found"]) == (ALT, True)
    assert first.facts["membership_total"] == 1
    assert f"cluster\\.{ALT}\\." in unquote(probe.command)  # the command shown filters on it
    # the config changes the name and Envoy restarts: the same probe follows at once
    lab.reconfigure(healthy=True, alt_stat_name="renamed_stats")
    after = await probe.run()
    assert after.status is Status.OK, after.detail
    assert (after.facts["stat_name"], after.facts["found"]) == ("renamed_stats", True)
    # and back to no alt_stat_name: the cluster's own name
    lab.reconfigure(healthy=True, alt_stat_name="")
    plain = await probe.run()
    assert (plain.status, plain.facts["stat_name"]) == (Status.OK, "backend_cluster"), plain.detail


def test_healthy_site_with_alt_stat_name_is_ok(make_lab: MakeLab) -> None:
    lab = make_lab(alt_stat_name=ALT)
    code, doc, _ = check(lab.write_config())
    stats = probes(doc, "envoy.stats")
    assert stats and stats[0]["status"] == "ok", stats
    assert (doc["verdict"], doc["causes"], code) == ("ok", [], 0)


def test_backend_stopped_with_alt_stat_name_cites_the_connect_failures(make_lab: MakeLab) -> None:
    # Envoy's default panic threshold: with its only host down, traffic still tries to connect
    lab = make_lab(alt_stat_name=ALT)
    lab.backend.down()
    lab.wait_unhealthy()
    code, doc, _ = check(lab.write_config())
    assert code == 1 and doc["causes"], doc["causes"]
    top = doc["causes"][0]
    assert top["id"] == "backend.down", [c["id"] for c in doc["causes"]]
    cited = str(top)
    assert f"cluster.{ALT}.upstream_cx_connect_fail +" in cited, top
    stats = probes(doc, "envoy.stats")
    assert stats and stats[0]["status"] in ("ok", "warn"), stats
    assert "upstream_cx_connect_fail" in stats[0]["detail"], stats
