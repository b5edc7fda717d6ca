"""The console with [fleet]: the fleet screen, and the single-host console of the Envoy the
operator opens (over SSH, as [fleet] ssh_host maps it); esc there comes back to the fleet."""

from __future__ import annotations

from collections.abc import Callable

from darc_tui.config import Config
from darc_tui.fleet.drill import DrillError, drill_config
from darc_tui.fleet.model import FleetSnapshot
from darc_tui.ui.fleet_app import Drill, FleetApp


def run_fleet_console(
    config: Config,
    *,
    read_only: bool,
    mouse: bool,
    fleet_app: Callable[..., FleetApp] | None = None,
) -> int:
    """Alternate between the fleet app and a drilled-down console until the operator quits.
    `fleet_app(last=…, notice=…)` builds the fleet screen (the demo adds its fault keys)."""
    last: FleetSnapshot | None = None
    notice = ""
    make = fleet_app or (lambda **kw: FleetApp(config, **kw))
    while True:
        fleet = make(last=last, notice=notice)
        result = fleet.run(mouse=mouse)
        last, notice = fleet.snapshot, ""
        if not isinstance(result, Drill):
            return int(fleet.return_code or result or 0)
        try:
            drilled = drill_config(config, result.instance)
        except DrillError as exc:
            notice = str(exc)
            continue
        code, went_back = run_single_host(drilled, read_only=read_only, mouse=mouse)
        if not went_back:
            return code


def run_single_host(config: Config, *, read_only: bool, mouse: bool) -> tuple[int, bool]:
    """The single-host console for one Envoy of the fleet: (exit status, went back to fleet)."""
    from darc_tui.engine import build_engine
    from darc_tui.ui.app import DarcApp

    read_only = read_only or config.ui.read_only
    engine = build_engine(config, with_logs=True)
    on_reload = None
    if not read_only:
        from darc_tui.ui.screens.reload_confirm import reload_handler

        on_reload = reload_handler(config, engine.hosts)
    app = DarcApp(engine, config=config, read_only=read_only, on_reload=on_reload, back="the fleet")
    app.run(mouse=mouse and config.ui.mouse)
    return (app.return_code or 0), app.went_back
