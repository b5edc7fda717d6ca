"""Pane 6: every piece of evidence, whatever probe made it — the fallback view of everything."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.content import Content
from textual.widget import Widget
from textual.widgets import DataTable

from darc_tui.model import Evidence, Snapshot
from darc_tui.ui.panes.base import Pane
from darc_tui.ui.screens.details import DetailView
from darc_tui.ui.status import WAITING, millis, status_content
from darc_tui.ui.table import DetailsTable, sync_rows

COLUMNS = (
    ("probe", "probe"),
    ("vantage", "from"),
    ("status", "status"),
    ("ms", "ms"),
    ("detail", "detail"),
)
WAITING_KEY = "__waiting__"
# the words go in the last column: DataTable columns never shrink, and a 24-character probe
# column would squeeze the detail column to a few characters for the whole session
WAITING_ROW = ("…", "", "", "", WAITING)


class ProbesPane(Pane):
    NUMBER = 6
    TITLE = "Probes"
    DEFAULT_CSS = """
    ProbesPane DataTable { height: 1fr; background: transparent; }
    """

    def compose(self) -> ComposeResult:
        table: DataTable[Any] = DetailsTable(id="probes-table", cursor_type="row")
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#probes-table", DataTable)

    def focus_target(self) -> Widget:
        return self.table

    def on_mount(self) -> None:
        sync_rows(self.app, self.table, {WAITING_KEY: WAITING_ROW})

    def render_snapshot(self, snapshot: Snapshot | None) -> None:
        if snapshot is None or not snapshot.evidence:
            sync_rows(self.app, self.table, {WAITING_KEY: WAITING_ROW})
            return
        rows = {row_key(ev): self._row(ev) for ev in snapshot.evidence}
        sync_rows(self.app, self.table, rows)

    def _row(self, ev: Evidence) -> tuple[object, ...]:
        return (
            ev.probe,
            ev.vantage.value,
            self.palette.status(ev.status),
            millis(ev.latency_ms),
            ev.detail,
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.darc.action_details()

    def selected(self) -> Evidence | None:
        if self.snapshot is None or self.table.row_count == 0:
            return None
        key = self.table.coordinate_to_cell_key(self.table.cursor_coordinate).row_key.value
        return next((ev for ev in self.snapshot.evidence if row_key(ev) == key), None)

    def details(self) -> DetailView | None:
        ev = self.selected()
        return None if ev is None else evidence_view(ev)

    def copy_text(self) -> str | None:
        ev = self.selected()
        return ev.command if ev and ev.command else None


def row_key(ev: Evidence) -> str:
    return f"{ev.probe}|{ev.target}|{ev.vantage.value}"


def evidence_view(ev: Evidence) -> DetailView:
    rows: list[tuple[str, str | Content]] = [
        ("probe", ev.probe),
        ("target", ev.target),
        ("from", f"{ev.vantage.value}" + (f" via {ev.via}" if ev.via else "")),
        ("status", status_content(ev.status)),
        ("latency", millis(ev.latency_ms)),
        ("detail", ev.detail),
    ]
    rows.extend((k, str(v)) for k, v in ev.facts.items())
    if ev.command:
        rows.append(("command", f"$ {ev.command}"))
    return DetailView(f"Probe {ev.probe}", tuple(rows), command=ev.command)
