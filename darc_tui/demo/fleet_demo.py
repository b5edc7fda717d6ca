"""`darc-tui demo --fleet`: the fleet screen on the fleet lab (three real Envoys, one shared
backend, a real Prometheus scraping every second), with keys that break one Envoy or the backend.
Enter opens an Envoy's single-host console (locally: the lab has no SSH); esc comes back."""

from __future__ import annotations

import asyncio
import sys
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Static

from darc_tui.config import Config
from darc_tui.demo.fleet_lab import FleetLab
from darc_tui.ui.fleet_app import FleetApp

EXIT_USAGE = 2
# key → (action argument, bar text); pressed again, a key heals what it broke
FAULT_KEYS = {
    "b": ("backend", "shared backend down"),
    "1": ("envoy:0", "Envoy 1 wrong endpoint"),
    "2": ("envoy:1", "Envoy 2 ″"),
    "o": ("overload:1", "Envoy 2 overload"),
    "s": ("stop:2", "stop Envoy 3"),
}


class FleetDemoApp(FleetApp):
    """The fleet screen plus the fault switches of the fleet lab."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *FleetApp.BINDINGS,
        *(
            Binding(k, f"fault('{arg}')", f"Demo: {bar}", show=False)
            for k, (arg, bar) in FAULT_KEYS.items()
        ),
    ]

    def __init__(self, config: Config, lab: FleetLab, **kw: Any) -> None:
        super().__init__(config, **kw)
        self.lab = lab
        self.broken: set[str] = set()

    def compose(self) -> ComposeResult:
        parts: list[str | tuple[str, str]] = [("DEMO", "bold $warning")]
        for key, (_, bar) in FAULT_KEYS.items():
            parts += ["  ", (key, "bold $accent"), f" {bar}"]
        yield from super().compose()
        yield Static(Content.assemble(*parts), id="demo-bar")

    async def action_fault(self, which: str) -> None:
        heal = which in self.broken
        self.notify(f"{'healing' if heal else 'breaking'}: {which} …", timeout=3)
        # restarting an Envoy takes a second: off the event loop
        await asyncio.to_thread(self._switch, which, heal)
        self.broken.symmetric_difference_update({which})
        self.action_refresh()

    def _switch(self, which: str, heal: bool) -> None:
        kind, _, index = which.partition(":")
        if kind == "backend":
            self.lab.backend.up() if heal else self.lab.backend.down()
        elif kind == "envoy":
            (self.lab.heal_envoy if heal else self.lab.break_envoy)(int(index))
        elif kind == "overload":
            (self.lab.calm if heal else self.lab.overload)(int(index))
        elif kind == "stop":
            (self.lab.start_envoy if heal else self.lab.stop_envoy)(int(index))


def run_fleet_demo(*, read_only: bool, mouse: bool) -> int:
    from darc_tui.demo.command import _stop_on_signals
    from darc_tui.demo.envoy_process import EnvoyStartError
    from darc_tui.demo.lab import EnvoyMissing
    from darc_tui.demo.prometheus_process import PrometheusMissing
    from darc_tui.ui.fleet_command import run_fleet_console

    print(
        "starting the fleet lab (three real Envoys, a backend and Prometheus on loopback)…",
        file=sys.stderr,
    )
    try:
        with _stop_on_signals(), FleetLab() as lab:
            print(f"fleet lab in {lab.workdir} (config: {lab.config_path})", file=sys.stderr)
            config = lab.config()
            return run_fleet_console(
                config,
                # the lab's Envoys have no reload method of their own: look, do not reload
                read_only=True,
                mouse=mouse,
                fleet_app=lambda **kw: FleetDemoApp(config, lab, **kw),
            )
    except (EnvoyMissing, PrometheusMissing) as exc:
        print(f"darc-tui demo: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (EnvoyStartError, TimeoutError, RuntimeError) as exc:
        print(f"darc-tui demo: the fleet lab did not start: {exc}", file=sys.stderr)
        return 1
