"""The fleet screen's image at 80x24 and 120x36, from answers recorded from the real Prometheus
(replayed), with a fixed clock. Regenerate after an intended change with
`pytest tests/ui/test_fleet_snapshots.py --snapshot-update` and review the SVGs."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from darc_tui.config import parse_config
from darc_tui.ui.fleet_app import FleetApp
from tests.fleet.test_recorded import sample
from tests.lab.fake_prometheus import FakePrometheus

SnapCompare = Callable[..., bool]
TAKEN_AT = 1_796_300_000.0
BASE = '[envoy]\nadmin_url = "http://127.0.0.1:9901"\n[backend]\nurl = "http://127.0.0.1:1"\n'


def fleet_app(state: str) -> FleetApp:
    with FakePrometheus(state) as prom:
        snap = sample(prom)
    snap = dataclasses.replace(snap, taken_at=TAKEN_AT, took_s=0.25)
    config = parse_config(BASE + '[fleet]\nprometheus_url = "http://127.0.0.1:9"\n')
    return FleetApp(config, last=snap, sample=False, clock=lambda: TAKEN_AT + 3)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
@pytest.mark.parametrize("state", ["one_wrong_endpoint", "one_stopped"])
def test_fleet_screen(snap_compare: SnapCompare, state: str, size: tuple[int, int]) -> None:
    assert snap_compare(fleet_app(state), terminal_size=size)


def test_fleet_screen_filtered(snap_compare: SnapCompare) -> None:
    app = fleet_app("backend_down")
    assert snap_compare(app, terminal_size=(80, 24), press=["slash", "b", "colon"])
