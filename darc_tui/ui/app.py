"""The console: renders what the engine publishes; keys act on the display, never on probing logic.

The first frame is drawn from light modules only: the header, the strip, the footer and a shell per
pane (its title and "waiting for first probe…"). The panes' own modules (tables, sparklines, log
views, the model, the rules' vocabulary) load right after that frame and replace the shells; until
then keys other than quit wait (check_action). Under `run_test` (headless) the panes are mounted
at once, so a test's first key press finds them.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.theme import Theme
from textual.widgets import Static

from darc_tui.ui import layout
from darc_tui.ui.engine_link import EngineApi, EngineLink
from darc_tui.ui.footer import KeyFooter
from darc_tui.ui.keys import BINDINGS, PANES, binding_ids
from darc_tui.ui.messages import LogsArrived, SnapshotArrived
from darc_tui.ui.palette import ConsoleCommands
from darc_tui.ui.panes.base import Pane, PaneShell
from darc_tui.ui.panes.header import HeaderBar
from darc_tui.ui.panes.strip import PaneStrip
from darc_tui.ui.signals import ExitOnSignals
from darc_tui.ui.status import Palette
from darc_tui.ui.themes import DEFAULT_THEME, FALLBACK_THEME, LoadedThemes, load_themes

if TYPE_CHECKING:
    from textual.actions import ActionParseResult
    from textual.dom import DOMNode
    from textual.timer import Timer

    from darc_tui.config import Config
    from darc_tui.model import LogRecord, Snapshot
    from darc_tui.ui.panes.logs import LogsPane

# The reload flow (screens/reload_confirm.py): called with the app, to push its confirm modal.
ReloadHandler = Callable[["DarcApp"], Awaitable[Any] | None]
LOWER_PANES = ("clusters", "logs", "probes")
# each pane's title as its class draws it before any data (tests/ui/test_first_frame.py keeps
# them equal), for the shells of the first frame
FIRST_TITLES = {
    "envoy": "1 Envoy",
    "health": "2 Health · connect/ttfb",
    "causes": "3 Causes",
    "clusters": "4 Clusters",
    "logs": "5 Logs",
    "probes": "6 Probes",
}
LOGS_EVERY = 0.1  # seconds between two drawings of a flood of log lines (at most)
FLOOD = 200  # log lines waiting that make a flood (a follower hands over ≤ 200 at a time)
# records drawn per turn of the loop: a backlog (a resume after a long pause) is drawn in turns
# of a few milliseconds each, and keys pressed meanwhile are handled between them
DRAIN_MAX = 4000
WHILE_MODAL = {"quit", "pause", "probe_now", "next_theme", "command_palette"}
TOO_SMALL = (
    "terminal too small: darc-tui needs at least {}x{} (now {}x{})\nresize, or press q to quit"
)


class DarcApp(App[int]):
    TITLE = "darc-tui"
    CSS = layout.CSS
    HORIZONTAL_BREAKPOINTS = layout.HORIZONTAL_BREAKPOINTS
    VERTICAL_BREAKPOINTS = layout.VERTICAL_BREAKPOINTS
    BINDINGS: ClassVar[list[BindingType]] = list(BINDINGS)
    COMMANDS = App.COMMANDS | {ConsoleCommands}
    ESCAPE_TO_MINIMIZE = False  # esc runs action_escape: clears the filter first, then minimizes
    ALLOW_IN_MAXIMIZED_VIEW = "HeaderBar, Footer"

    def __init__(
        self,
        engine: EngineApi,
        *,
        config: Config | None = None,
        read_only: bool = False,
        on_reload: ReloadHandler | None = None,
        clock: Callable[[], float] = time.time,
        manage_engine: bool = True,
        themes: LoadedThemes | None = None,
        back: str = "",
        defer_panes: bool | None = None,
    ) -> None:
        super().__init__()
        self.engine = engine
        self.config = config or engine.config
        self.read_only = read_only or self.config.ui.read_only
        self.on_reload = on_reload
        self.clock = clock
        self.manage_engine = manage_engine
        # opened from another screen (the fleet): esc with nothing else to undo goes back there
        self.back = back
        self.went_back = False
        self.link = EngineLink(engine, self, redact=self.config.ui.redact)
        self._logs_drained_at = 0.0  # monotonic time of the last drain of the log inbox
        self._logs_timer: Timer | None = None  # a drain scheduled for later
        self.paused = False
        self.snapshot: Snapshot | None = None  # the newest one received (shown unless paused)
        self._shown: Snapshot | None = None  # the one on screen
        self._theme_notice = ""
        self.held = 0  # snapshots received while paused
        self.loaded_themes = themes if themes is not None else load_themes()
        for theme in self.loaded_themes.themes:
            self.register_theme(theme)
        self._use_initial_theme(self._initial_theme())
        self.palette = Palette.from_variables({})
        # widgets are kept by reference: App.query_one searches the *active* screen, which is
        # a modal (help, details, palette) whenever one is open while snapshots keep arriving
        self.header = HeaderBar(self.config, self.clock, id="header")
        self.strip = PaneStrip(
            [(p, f"{PANES.index(p) + 1} {p.capitalize()}") for p in LOWER_PANES], id="strip"
        )
        # None: shells in the first frame on a terminal, the panes at once when headless
        self.defer_panes = defer_panes
        self.panes_ready = False  # the real panes are mounted (the shells are gone)
        self.logs_pane: LogsPane  # set by _mount_panes
        self.pane: dict[str, Pane] = {n: PaneShell(FIRST_TITLES[n], id=n) for n in PANES}
        self.too_small = Static("", id="too-small", markup=False)
        self.signals = ExitOnSignals(self)
        self.set_keymap(
            {
                k: ",".join(key.strip() for key in v.split(","))
                for k, v in self.config.ui.keymap.items()
            }
        )

    # -- composition -------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield self.header
        with Container(id="body"):
            yield from (self.pane[name] for name in PANES[:3])
            yield self.strip
            for name in LOWER_PANES:
                yield self.pane[name].add_class("lower")
        # before the mount, not in on_mount: styles are worked out once, not again for the class
        self.pane[LOWER_PANES[0]].add_class("-current")
        yield self.too_small
        yield KeyFooter(compact=True)

    @property
    def panes(self) -> list[Pane]:
        return [self.pane[name] for name in PANES]

    async def on_mount(self) -> None:
        self.signals.install()
        for error in self.loaded_themes.errors:
            self.notify(
                f"{error}; using theme {self.theme!r}",
                title="theme not loaded",
                severity="warning",
                timeout=15,
            )
        if self._theme_notice:
            self.notify(self._theme_notice, title="theme", severity="warning")
        unknown = sorted(set(self.config.ui.keymap) - binding_ids(self))
        if unknown:
            self.notify(
                f"[ui] keymap: no binding has the id {', '.join(unknown)} (? lists them)",
                title="keymap",
                severity="warning",
                timeout=15,
                markup=False,
            )
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.link.attach()
        if self.back:
            self.notify(f"esc: back to {self.back}", timeout=6)
        defer = self.defer_panes if self.defer_panes is not None else not self.is_headless
        if not defer:
            await self._start_panes()

    async def on_ready(self) -> None:
        """The first frame is on screen (Textual posts Ready after it): now the panes' modules."""
        if not self.panes_ready:
            await self._start_panes()

    async def _start_panes(self) -> None:
        """The panes, then the engine: no snapshot can queue up behind the mount and be shown
        after a newer one."""
        await self._mount_panes()
        if not self.panes_ready:  # quitting (a key, SIGTERM) while the panes were on their way
            return
        self._apply_palette()
        self._load_log_backlog()
        self._show(self.engine.snapshot())  # before the first round: host states, no evidence
        if self.link.inbox:  # an engine started by someone else may have sent some already
            self._add_logs(*self.link.drain(), redacted=True)
        self.panes[2].focus_target().focus()
        if self.manage_engine:
            await self.engine.start()
        if not self.is_headless:  # a real terminal's console; tests run many apps in a process
            from darc_tui.collector import quiet_collector

            quiet_collector()

    async def _mount_panes(self) -> None:
        """Replace the first frame's shells with the panes (same ids, classes and places)."""
        from darc_tui.ui.panes.causes import CausesPane
        from darc_tui.ui.panes.clusters import ClustersPane
        from darc_tui.ui.panes.envoy import EnvoyPane
        from darc_tui.ui.panes.health import HealthPane
        from darc_tui.ui.panes.logs import LogsPane
        from darc_tui.ui.panes.probes import ProbesPane

        self.logs_pane = LogsPane(id="logs")
        panes: dict[str, Pane] = {
            "envoy": EnvoyPane(id="envoy"),
            "health": HealthPane(id="health"),
            "causes": CausesPane(id="causes"),
            "clusters": ClustersPane(id="clusters"),
            "logs": self.logs_pane,
            "probes": ProbesPane(id="probes"),
        }
        body = self.query_one("#body", Container)
        if self._exit:  # Textual's own flag: mount_all mounts nothing once the app is exiting
            return
        with self.batch_update():
            shells = [self.pane[name] for name in PANES]
            for name, shell in zip(PANES, shells, strict=True):
                panes[name].add_class(*shell.classes)
            await body.remove_children(shells)
            await body.mount_all([panes[n] for n in PANES[:3]], before=self.strip)
            await body.mount_all([panes[n] for n in LOWER_PANES], after=self.strip)
        if self._exit:  # it began while the panes were mounting: some may be missing
            return
        self.pane = panes
        self.panes_ready = True

    async def on_unmount(self) -> None:
        try:
            if self.manage_engine:
                await self.engine.stop()
        finally:
            self.signals.remove()  # after the engine stopped: a hang there still ends on a signal

    def on_resize(self, event: events.Resize) -> None:
        width, height = event.size  # self.size still holds the previous size here
        self.too_small.update(TOO_SMALL.format(*layout.MIN_SIZE, width, height))

    # -- engine data -------------------------------------------------------------------------
    def on_snapshot_arrived(self, message: SnapshotArrived) -> None:
        if not self.is_running:  # shutting down: the widgets are gone, the engine not yet
            return
        snap = message.snapshot
        if self.config.ui.redact:
            from darc_tui.redact import redact_snapshot

            snap = redact_snapshot(snap)
        self.snapshot = snap
        if not self.panes_ready:  # shown when the panes are mounted
            return
        if self.paused:
            self.held += 1
            self.header.show(self._shown, paused=True, waiting=self.held)
            return
        self._show(self.snapshot)

    def on_logs_arrived(self, message: LogsArrived) -> None:
        if not self.is_running or not self.panes_ready:  # they wait in the inbox
            return
        if self.paused:
            self.logs_pane.paused_waiting = len(self.link.inbox)
            self.logs_pane.update_rate()
            return
        # a few lines are drawn at once; a flood LOGS_EVERY apart, not once per chunk read:
        # each drawing costs about the same whatever its size, and keys wait behind it
        wait = self._logs_drained_at + LOGS_EVERY - time.monotonic()
        if wait > 0 and len(self.link.inbox) >= FLOOD:
            if self._logs_timer is None:
                self._logs_timer = self.set_timer(wait, self._drain_logs)
            return
        self._drain_logs()

    def _drain_logs(self) -> None:
        self._logs_timer = None
        self._logs_drained_at = time.monotonic()
        if self.paused or not self.link.inbox or not self.is_running:
            return
        records, dropped = self.link.drain(DRAIN_MAX)
        self._add_logs(records, dropped, redacted=True)
        if self.link.inbox:
            self.call_later(self._drain_logs)

    def _show(self, snapshot: Snapshot | None) -> None:
        self._shown = snapshot
        with self.batch_update():
            self.header.show(snapshot, paused=self.paused, waiting=self.held)
            for pane in self.panes:
                pane.show_snapshot(snapshot)

    def _add_logs(
        self, records: Sequence[LogRecord], dropped: int = 0, *, redacted: bool = False
    ) -> None:
        from darc_tui.model import LogRecord
        from darc_tui.redact import redact_records
        from darc_tui.ui.panes.logs import SOURCES

        if dropped:
            sources = {r.source for r in records} or set(SOURCES)
            gaps = [
                LogRecord(
                    s, f"{dropped} lines dropped (display fell behind)", self.clock(), gap=True
                )
                for s in sorted(sources)
            ]
            records = [*gaps, *records]
        if self.config.ui.redact and not (redacted and self.link.redact):
            records = redact_records(records)
        self.logs_pane.add_records(records, self.clock())

    def _load_log_backlog(self) -> None:
        from darc_tui.ui.panes.logs import SOURCES

        backlog = [rec for source in SOURCES for rec in self.engine.state.logs(source)]
        self._add_logs(backlog)

    # -- themes ------------------------------------------------------------------------------
    def _initial_theme(self) -> str:
        wanted = self.config.ui.theme or DEFAULT_THEME
        if wanted in self.available_themes:
            return wanted
        fallback = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else FALLBACK_THEME
        self._theme_notice = f"theme {wanted!r} not found; using {fallback!r}"
        return fallback

    def _use_initial_theme(self, name: str) -> None:
        """What App.theme's watcher does, minus the stylesheet re-parse it queues (refresh_css):
        before the first frame nothing is parsed yet, and that re-parse was a sixth of the time
        to the first frame. tests/ui/test_themes.py holds the result equal to the watcher's."""
        self.set_reactive(App.theme, name)
        dark = self.current_theme.dark
        self.set_class(dark, "-dark-mode", update=False)
        self.set_class(not dark, "-light-mode", update=False)
        self.set_class(True, f"-theme-{name}", update=False)
        self._refresh_truecolor_filter(self.ansi_theme)
        self.stylesheet.set_variables(self.get_css_variables())

    def _theme_changed(self, theme: Theme) -> None:
        # published after refresh_css, so theme_variables already hold the new colours
        self._apply_palette()

    def _apply_palette(self) -> None:
        self.palette = Palette.from_variables(self.theme_variables)
        if not self.panes_ready:  # _panes_mounted applies it
            return
        from darc_tui.ui.panes.log_view import LogView

        for view in self.logs_pane.query(LogView):
            view.use_palette(self.palette.styles, self.palette.muted)
        for pane in self.panes:
            pane.redraw()

    @property
    def theme_cycle(self) -> list[str]:
        names = [t.name for t in self.loaded_themes.themes]
        return names or [FALLBACK_THEME]

    # -- actions -----------------------------------------------------------------------------
    def allows(self, action: str) -> bool:
        """Whether the console offers `action` at all (the palette asks this)."""
        return not (action == "reload" and self.read_only)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # while a dialog is open its own keys come first; pane keys wait until it closes
        return self.allows(action) and (len(self.screen_stack) == 1 or action in WHILE_MODAL)

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        # until the panes replace the first frame's shells (a fraction of a second) only quit
        # acts; check_action stays as it is, so the footer of the first frame is the real one
        name = action.split("(", 1)[0].rsplit(".", 1)[-1] if isinstance(action, str) else action[1]
        if not self.panes_ready and name != "quit":
            return False
        return await super().run_action(action, default_namespace, namespaces)

    def action_help(self) -> None:
        from darc_tui.ui.screens.help import HelpScreen

        shown = [b for b in BINDINGS if isinstance(b, Binding)]
        self.push_screen(HelpScreen(shown, self.read_only))

    def action_pause(self) -> None:
        self.paused = not self.paused
        logs = self.logs_pane
        if self.paused:
            self.held = 0
            logs.paused_waiting = len(self.link.inbox)
            self.header.show(self._shown, paused=True)
            logs.update_rate()
            return
        logs.paused_waiting = None
        self.held = 0
        self._drain_logs()
        logs.update_rate()  # "paused" goes even when nothing was waiting
        self._show(self.snapshot)

    def action_filter(self) -> None:
        self._reveal("logs")
        self.call_after_refresh(self.logs_pane.open_filter)

    def action_escape(self) -> None:
        if self.logs_pane.close_filter():
            return
        if self.screen.maximized is not None:
            self.screen.minimize()
            return
        if self.back:
            self.went_back = True
            self.exit(0)

    def action_focus_pane(self, name: str) -> None:
        pane = self._reveal(name)
        self.call_after_refresh(pane.focus_target().focus)

    def _reveal(self, name: str) -> Pane:
        """Make pane `name` visible: switch the shared lower area, move a maximized view."""
        if name in LOWER_PANES:
            self._select_lower(name)
        pane = self.pane[name]
        if self.screen.maximized is not None and self.screen.maximized is not pane:
            self.screen.maximize(pane, container=False)
        return pane

    def _select_lower(self, name: str) -> None:
        for other in LOWER_PANES:
            self.pane[other].set_class(other == name, "-current")
        self.strip.select(name)

    def focused_pane(self) -> Pane | None:
        focused = self.focused
        if focused is None:
            return None
        return next((n for n in focused.ancestors_with_self if isinstance(n, Pane)), None)

    def action_maximize_pane(self) -> None:
        pane = self.focused_pane()
        if pane is None:
            return
        if self.screen.maximized is pane:
            self.screen.minimize()
        else:
            self.screen.maximize(pane, container=False)

    def action_details(self) -> None:
        pane = self.focused_pane()
        from darc_tui.ui.screens.details import DetailScreen

        view = pane.details() if pane else None
        if view is None:
            self.notify("nothing selected to show", timeout=3)
            return
        self.push_screen(DetailScreen(view.redacted() if self.config.ui.redact else view))

    def action_copy(self) -> None:
        pane = self.focused_pane()
        text = pane.copy_text() if pane else None
        if not text:
            text = self.pane["causes"].copy_text()
        if not text:
            self.notify("nothing to copy: no next step or command here", timeout=4)
            return
        self.copy_to_clipboard(text)
        self.notify(text, title="copied to clipboard", markup=False)

    def action_follow(self) -> None:
        self.action_focus_pane("logs")
        self.call_after_refresh(self.logs_pane.follow)

    def action_next_log(self) -> None:
        self._reveal("logs")
        self.logs_pane.next_source()

    def action_probe_now(self) -> None:
        self.engine.probe_now()
        self.notify("probing now", timeout=2)

    def action_reload(self) -> None:
        if self.read_only:
            return
        if self.on_reload is None:
            self.notify("reload: not available in this build", severity="warning")
            return
        result = self.on_reload(self)
        if inspect.isawaitable(result):
            self.run_worker(result, name="reload", group="reload", exclusive=True)

    def action_timeline(self) -> None:
        from darc_tui.ui.screens.details import DetailScreen, timeline_view

        events = self._shown.timeline if self._shown else ()
        view = timeline_view(events, self.clock())
        self.push_screen(DetailScreen(view.redacted() if self.config.ui.redact else view))

    def action_next_theme(self) -> None:
        cycle = self.theme_cycle
        index = cycle.index(self.theme) + 1 if self.theme in cycle else 0
        self.theme = cycle[index % len(cycle)]
        self.notify(f"theme: {self.theme}", timeout=2)
