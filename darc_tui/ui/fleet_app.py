"""The fleet screen: one row per Envoy (worst first), the cluster × Envoys blast radius, the fleet
causes. `/` filters, enter drills into the selected Envoy (the app exits with `Drill(instance)` and
the single-host console takes over; esc there comes back), q quits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import events, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable, Footer, Input, Static
from textual.widgets.data_table import ColumnKey

from darc_tui.config import Config
from darc_tui.fleet.collect import FleetSource
from darc_tui.fleet.model import FleetSnapshot
from darc_tui.ui import fleet_view
from darc_tui.ui.signals import ExitOnSignals
from darc_tui.ui.table import sync_rows

QUIT = 0


@dataclass(frozen=True, slots=True)
class Drill:
    """The fleet app's result when the operator opened one Envoy."""

    instance: str


class FleetArrived(Message):
    """A new fleet sample; a queued one is replaced (a lagging screen draws the newest)."""

    def __init__(self, snapshot: FleetSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FleetArrived)


CSS = """
#fleet-summary { height: 1; padding: 0 1; }
#envoys { height: 1fr; min-height: 5; }
#spread { height: auto; max-height: 7; border-top: solid $panel; }
#causes { height: auto; max-height: 5; padding: 0 1; border-top: solid $panel; }
#filter { display: none; height: 1; border: none; padding: 0 1; }
#filter.-open { display: block; }
"""


class FleetApp(App[Drill | int]):
    TITLE = "darc-tui fleet"
    CSS = CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "drill", "Open Envoy", key_display="⏎", priority=True),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("escape", "escape", "Clear filter", show=False),
        Binding("r", "refresh", "Refresh"),
        Binding("q", "quit_fleet", "Quit"),
    ]

    def __init__(
        self,
        config: Config,
        *,
        last: FleetSnapshot | None = None,
        notice: str = "",
        source_factory: Callable[[], FleetSource] | None = None,
        clock: Callable[[], float] = time.time,
        sample: bool = True,
    ) -> None:
        super().__init__()
        assert config.fleet is not None
        self.config = config
        self.fleet = config.fleet
        self.snapshot = last
        self.clock = clock
        self.sample_enabled = sample
        self._source_factory = source_factory or (lambda: FleetSource(self.fleet))
        self._wake = asyncio.Event()
        self.filter_text = ""
        self.notice = notice
        self.summary = Static(fleet_view.summary(last, clock()), id="fleet-summary", markup=False)
        self.filter_input = Input(placeholder="filter: instance, cluster or state", id="filter")
        self.envoys: DataTable[Any] = DataTable(id="envoys", cursor_type="row", zebra_stripes=True)
        self.spread: DataTable[Any] = DataTable(id="spread", cursor_type="none")
        self.causes = Static("", id="causes", markup=False)
        self.signals = ExitOnSignals(self)  # SIGTERM/SIGHUP end it like q, terminal restored

    def compose(self) -> ComposeResult:
        yield self.summary
        yield self.filter_input
        yield self.envoys
        yield self.spread
        yield self.causes
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.signals.install()
        for column, width in fleet_view.ENVOY_COLUMNS:
            self.envoys.add_column(column, key=column, width=width)
        for column in fleet_view.SPREAD_COLUMNS:
            self.spread.add_column(column, key=column)
        self.envoys.focus()
        if self.notice:
            self.notify(self.notice, title="cannot open that Envoy", severity="error", timeout=10)
        if self.snapshot is not None:
            self._show(self.snapshot)
        if self.sample_enabled:
            self._sample_loop()
        self.set_interval(1.0, self._tick_summary)

    def on_resize(self, event: events.Resize) -> None:
        column = self.envoys.columns.get(ColumnKey(fleet_view.ENVOY_COLUMNS[-1][0]))
        if column is not None:
            column.width = fleet_view.cluster_width(event.size.width)
            self.envoys.refresh()

    def on_unmount(self) -> None:
        self.signals.remove()

    # -- sampling ------------------------------------------------------------------------------

    @work(exclusive=True, group="fleet-sample")
    async def _sample_loop(self) -> None:
        """One sample, then the next `refresh` after it finished (rounds never overlap)."""
        source = self._source_factory()
        try:
            while True:
                self.post_message(FleetArrived(await source.sample()))
                self._wake.clear()
                try:
                    async with asyncio.timeout(self.fleet.refresh):
                        await self._wake.wait()
                except TimeoutError:
                    pass
        finally:
            await source.aclose()

    def on_fleet_arrived(self, message: FleetArrived) -> None:
        self.snapshot = message.snapshot
        self._show(message.snapshot)

    def _tick_summary(self) -> None:
        self.summary.update(fleet_view.summary(self.snapshot, self.clock()))

    # -- rendering -----------------------------------------------------------------------------

    def _show(self, snap: FleetSnapshot) -> None:
        self._tick_summary()
        limit = self.fleet.max_5xx_per_s
        shown = [e for e in snap.envoys if fleet_view.matches(e, self.filter_text)]
        rows = {e.instance: fleet_view.envoy_row(e, limit) for e in shown}
        sync_rows(self, self.envoys, rows)
        order = {e.instance: i for i, e in enumerate(shown)}
        if [r.value for r in self._row_keys()] != list(order):
            self.envoys.sort(key=lambda row: order.get(row[0].plain, len(order)))
        sync_rows(self, self.spread, {s.name: fleet_view.spread_row(s) for s in snap.clusters})
        self.causes.update(fleet_view.findings_text(snap))

    def _row_keys(self) -> list[Any]:
        return [
            self.envoys.coordinate_to_cell_key(Coordinate(i, 0)).row_key
            for i in range(self.envoys.row_count)
        ]

    # -- actions -------------------------------------------------------------------------------

    def selected_instance(self) -> str | None:
        if self.envoys.row_count == 0:
            return None
        key = self.envoys.coordinate_to_cell_key(self.envoys.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None

    def action_drill(self) -> None:
        if self.focused is self.filter_input:
            self.envoys.focus()  # enter in the filter: keep the filter, go to the rows
            return
        instance = self.selected_instance()
        if instance is not None:
            self.exit(Drill(instance))

    def action_filter(self) -> None:
        self.filter_input.add_class("-open")
        self.filter_input.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        if self.snapshot is not None:
            self._show(self.snapshot)

    def action_escape(self) -> None:
        if self.filter_input.has_class("-open"):
            self.filter_input.value = ""
            self.filter_input.remove_class("-open")
            self.envoys.focus()

    def action_refresh(self) -> None:
        self._wake.set()

    def action_quit_fleet(self) -> None:
        self.exit(QUIT)
