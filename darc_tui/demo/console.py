"""The console in demo mode: the normal app plus the fault keys, a demo bar above the footer that
lists them, and a command-palette entry for each. Built by subclassing, so the console itself needs
no demo-specific code."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.widgets import Footer, Static

from darc_tui.demo.faults import FAULTS, RESTORE, Fault, Switchboard
from darc_tui.demo.lab import DemoLab
from darc_tui.ui.app import DarcApp, ReloadHandler
from darc_tui.ui.engine_link import EngineApi
from darc_tui.ui.keys import BINDINGS as CONSOLE_BINDINGS
from darc_tui.ui.screens.help import HelpScreen

SWITCHES: tuple[Fault, ...] = (*FAULTS, RESTORE)


def fault_bindings(faults: Iterable[Fault] = SWITCHES) -> list[Binding]:
    return [
        Binding(
            f.key,
            f"fault('{f.id}')",
            f"Demo: {f.label}",
            show=False,  # the demo bar lists them; the footer keeps the console's own keys
            tooltip=f.help,
            id=f"demo_{f.id}",
        )
        for f in faults
    ]


class DemoBar(Static):
    """One line: the fault keys."""

    DEFAULT_CSS = """
    DemoBar { height: 1; padding: 0 1; background: $warning 20%; }
    Screen.-too-narrow DemoBar, Screen.-too-short DemoBar { display: none; }
    """

    def __init__(self) -> None:
        parts: list[str | tuple[str, str]] = [("DEMO", "bold $warning")]
        for f in SWITCHES:
            parts += ["  ", (f.key, "bold $accent"), f" {f.bar}"]
        super().__init__(Content.assemble(*parts), id="demo-bar")


class DemoCommands(Provider):
    """The command palette's fault switches ("Demo: Backend down", …)."""

    def _commands(self) -> Iterator[tuple[str, str, str]]:
        for f in SWITCHES:
            yield f"Demo: {f.label}", f"key: {f.key} — {f.help}", f"fault('{f.id}')"

    async def discover(self) -> Hits:
        for text, help_text, action in self._commands():
            yield DiscoveryHit(text, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, action in self._commands():
            score = matcher.match(f"{text} {help_text}")
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(text),
                    partial(self.app.run_action, action),
                    text=text,
                    help=help_text,
                )


class DemoApp(DarcApp):
    """The console on the demo lab. Fault keys work in read-only mode too: they change the
    throwaway lab, never a real host; darc-tui's own reload still obeys read-only."""

    TITLE = "darc-tui demo"
    BINDINGS: ClassVar[list[BindingType]] = list(fault_bindings())
    COMMANDS = DarcApp.COMMANDS | {DemoCommands}

    def __init__(self, engine: EngineApi, switches: Switchboard, **kwargs: Any) -> None:
        super().__init__(engine, **kwargs)
        self.switches = switches

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, Footer):
                yield DemoBar()
            yield widget

    def action_fault(self, fault_id: str) -> None:
        fault = next(f for f in SWITCHES if f.id == fault_id)
        if fault is RESTORE:
            self.notify("restoring the lab…", timeout=3)
        self.run_worker(self._switch(fault), group="demo-fault", exit_on_error=False)

    async def _switch(self, fault: Fault) -> None:
        try:
            message = await self.switches.apply(fault.id)
        except Exception as exc:  # a lab hiccup is news for the user, not a crash
            self.notify(f"{type(exc).__name__}: {exc}", title=fault.label, severity="error")
            return
        expect = f"\nexpect cause: {' or '.join(fault.expect)}" if fault.expect else ""
        self.notify(message + expect, title=f"demo: {fault.label.lower()}", timeout=6)

    def action_help(self) -> None:
        shown = [b for b in CONSOLE_BINDINGS if isinstance(b, Binding)]
        self.push_screen(HelpScreen([*shown, *fault_bindings()], self.read_only))


def run_demo_console(lab: DemoLab, *, read_only: bool, mouse: bool) -> int:
    """The console on the running lab until the user quits."""
    from darc_tui.engine import build_engine
    from darc_tui.ui.command import dev_logging

    assert lab.config is not None, "start the lab first"
    engine = build_engine(lab.config, with_logs=True)
    switches = Switchboard(lab)
    app = DemoApp(
        engine,
        switches,
        config=lab.config,
        read_only=read_only,
        on_reload=_reload_handler(lab, engine, read_only),
    )
    dev_logging()
    try:
        app.run(mouse=mouse)
    finally:
        switches.stop()
    return app.return_code or 0


def _reload_handler(lab: DemoLab, engine: Any, read_only: bool) -> ReloadHandler | None:
    try:
        from darc_tui.ui.screens.reload_confirm import reload_handler
    except ImportError:
        return None
    assert lab.config is not None
    return reload_handler(lab.config, engine.hosts, read_only=read_only)
