"""The fleet screen on three real Envoys + a real Prometheus, and the drill-down into one Envoy's
single-host console over the loopback sshd (Pilot, 80x24)."""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from darc_tui.config import load_config
from darc_tui.demo.fleet_lab import FleetLab
from darc_tui.engine import build_engine
from darc_tui.fleet.drill import drill_config
from darc_tui.ids import ProbeId
from darc_tui.model import Status, Vantage
from darc_tui.ui.app import DarcApp
from darc_tui.ui.fleet_app import Drill, FleetApp
from tests.conftest import require
from tests.lab.sshd import Sshd
from tests.ui.test_console_tmux import REPO, Tmux

SIZE = (80, 24)
RUN = "import sys; from darc_tui.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    require(shutil.which("tmux") is not None, "tmux")
    t = Tmux(f"darc-fleet-{uuid.uuid4().hex[:8]}")
    try:
        yield t
    finally:
        t("kill-server")


async def until(condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.1)
    assert condition(), what


def instances(app: FleetApp) -> list[str]:
    table = app.envoys
    return [str(table.get_row_at(i)[0].plain) for i in range(table.row_count)]


async def test_fleet_screen_lists_every_envoy_and_filters_with_slash(fleet_lab: FleetLab) -> None:
    app = FleetApp(fleet_lab.config())
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.envoys.row_count == 3, "three Envoy rows")
        assert sorted(instances(app)) == sorted(e.instance for e in fleet_lab.envoys)
        assert app.spread.row_count == 1
        assert "3 Envoys" in str(app.summary.render())
        target = fleet_lab.envoys[1].instance
        await pilot.press("slash", *target.split(":")[1])
        await until(lambda: instances(app) == [target], "the filtered row")
        await pilot.press("escape")
        await until(lambda: app.envoys.row_count == 3, "every row back")
        await pilot.press("q")
    assert app.return_value == 0


async def test_enter_drills_into_that_envoy_over_ssh_and_esc_comes_back(
    fleet_lab: FleetLab, sshd: Sshd, tmp_path: Path
) -> None:
    edge = sshd.host_config("edge")
    path = fleet_lab.write_config(
        tmp_path / "fleet-ssh.toml",
        hosts={
            "edge": {
                "address": edge.address,
                "port": edge.port,
                "user": edge.user,
                "identity_file": edge.identity_file,
                "known_hosts": edge.known_hosts,
            }
        },
        fleet={"ssh_host": "edge"},
    )
    config = load_config(path)
    target = fleet_lab.envoys[2].instance
    fleet = FleetApp(config)
    async with fleet.run_test(size=SIZE) as pilot:
        await until(lambda: target in instances(fleet), "the Envoy's row")
        await pilot.press("slash", *target.split(":")[1], "enter")  # filter, then to the rows
        await until(lambda: instances(fleet) == [target], "only that row")
        await pilot.press("enter")
    assert fleet.return_value == Drill(target)

    drilled = drill_config(config, target)
    assert drilled.envoy.host == "edge" and drilled.envoy.admin_url == f"http://{target}"
    engine = build_engine(drilled, with_logs=False)
    console = DarcApp(engine, config=drilled, back="the fleet")
    async with console.run_test(size=SIZE) as pilot:

        def ready_over_ssh() -> bool:
            snap = console.snapshot
            ev = snap.get(ProbeId.ENVOY_READY) if snap else None
            return ev is not None and ev.status is Status.OK

        await until(ready_over_ssh, "envoy.ready over SSH", timeout=40)
        assert console.snapshot is not None
        ready = console.snapshot.get(ProbeId.ENVOY_READY)
        assert ready is not None
        assert ready.vantage is Vantage.ENVOY_HOST and "ssh" in ready.via
        assert target in ready.target or target in ready.command
        assert target in console.config.site.name  # the header says which Envoy this is
        await pilot.press("escape")
    assert console.went_back


async def test_demo_fleet_keys_break_and_heal_one_envoy(fleet_lab: FleetLab) -> None:
    from darc_tui.demo.fleet_demo import FleetDemoApp

    config = fleet_lab.config()
    app = FleetDemoApp(config, fleet_lab)
    broken = fleet_lab.envoys[0].instance

    def unhealthy_on() -> list[str]:
        snap = app.snapshot
        return [i for s in snap.clusters for i in s.envoys_unhealthy] if snap else []

    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(lambda: app.envoys.row_count == 3, "three Envoy rows")
            await pilot.press("1")
            await until(lambda: unhealthy_on() == [broken], "Envoy 1 unhealthy, alone", 40)
            await until(lambda: instances(app)[0] == broken, "Envoy 1 listed first")
            await pilot.press("1")
            await until(lambda: unhealthy_on() == [] and "envoy:0" not in app.broken, "healed", 40)
    finally:
        fleet_lab.heal_envoy(0)
        fleet_lab.wait_cluster(fleet_lab.envoys[0], healthy=True)


def test_console_with_fleet_opens_an_envoy_and_comes_back(
    tmux: Tmux, fleet_lab: FleetLab, tmp_path: Path
) -> None:
    status = tmp_path / "status"
    argv = [sys.executable, "-c", RUN, "-c", str(fleet_lab.config_path), "--no-mouse"]
    script = f"cd {shlex.quote(str(REPO))} && {shlex.join(argv)}; echo $? > {status}"
    env = {"TERM": "xterm-256color", "PATH": os.environ.get("PATH", "")}
    tmux("-f", "/dev/null", "new-session", "-d", "-s", "ui", "-x", "80", "-y", "24",
         *(a for k, v in env.items() for a in ("-e", f"{k}={v}")), script)  # fmt: skip
    first = fleet_lab.envoys[0].instance
    tmux.until(lambda: "fleet: 3 Envoys" in tmux.screen(), "the fleet screen")
    tmux.until(lambda: tmux.screen().count("127.0.0.1:") >= 3, "three Envoy rows")
    # filter to the first Envoy, enter to its row, enter to open it
    tmux("send-keys", "-t", "ui", "/")  # focus moves after this key is handled: wait for it
    tmux.until(lambda: "filter: instance" in tmux.screen(), "the filter line")
    tmux("send-keys", "-t", "ui", first.split(":")[1], "Enter")
    tmux.until(lambda: tmux.screen().count("127.0.0.1:") == 1, "one row left")
    tmux("send-keys", "-t", "ui", "Enter")
    tmux.until(
        lambda: "Envoy on local" in tmux.screen() and first in tmux.screen().splitlines()[0],
        "that Envoy's console (its instance in the header)",
    )
    # a probe round done: the console is up and reads keys (an esc sent while it starts is lost)
    tmux.until(lambda: "round " in tmux.screen(), "its probes reporting")
    tmux("send-keys", "-t", "ui", "Escape")
    tmux.until(lambda: "fleet: 3 Envoys" in tmux.screen(), "back on the fleet screen")
    tmux("send-keys", "-t", "ui", "q")
    tmux.until(lambda: status.exists() and status.read_text().strip() != "", "the exit status")
    assert status.read_text().strip() == "0"
