"""sync_rows: keyed DataTable diffing draws exactly what re-measuring every updated cell drew."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from darc_tui.ui.table import sync_rows

# an auto-width column (measured) beside fixed-width ones (never measured)
COLUMNS = (("host", None), ("health", 9), ("total", 8))
ROUNDS: list[dict[str, tuple[object, ...]]] = [
    {"a": ("10.0.0.1:80", "healthy", "1"), "b": ("10.0.0.22:8080", "failed hc", "20")},
    {"a": ("10.0.0.1:80", "ejected", "100000"), "b": ("10.0.0.22:8080", "healthy", "3")},
    {"a": ("a-much-longer-host-name:80", "healthy", "7"), "b": ("b:1", "healthy", "3")},
    {"a": ("a:1", Text("excluded", style="red"), "7"), "b": ("b:1", "healthy", "3")},
    {"b": ("b:1", "healthy", "4"), "c": ("10.0.0.3:9", "removing", "12345678901")},
]


class Tables(App[None]):
    def compose(self) -> ComposeResult:
        for name in ("ours", "measured"):
            table: DataTable[Any] = DataTable(id=name, cell_padding=0)
            for key, width in COLUMNS:
                table.add_column(key, key=key, width=width)
            yield table


def _every_cell_measured(app: App[Any], table: DataTable[Any], rows: dict[str, Any]) -> None:
    """sync_rows before it skipped measuring fixed-width columns."""
    with app.batch_update():
        for row_key in list(table.rows):
            if row_key.value not in rows:
                table.remove_row(row_key)
        for key, cells in rows.items():
            shown = [Text(c) if isinstance(c, str) else c for c in cells]
            if key not in table.rows:
                table.add_row(*shown, key=key)
                continue
            for (column, _), cell in zip(COLUMNS, shown, strict=True):
                table.update_cell(key, column, cell, update_width=True)


def _drawn(table: DataTable[Any]) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_fixed_width_columns_unmeasured_draw_the_same_table() -> None:
    app = Tables()
    async with app.run_test(size=(60, 12)) as pilot:
        ours, measured = app.query_one("#ours", DataTable), app.query_one("#measured", DataTable)
        for rows in ROUNDS:
            sync_rows(app, ours, rows)
            _every_cell_measured(app, measured, rows)
            await pilot.pause()
            widths = [c.get_render_width(ours) for c in ours.ordered_columns]
            assert widths == [c.get_render_width(measured) for c in measured.ordered_columns]
            assert _drawn(ours) == _drawn(measured)
            assert ours.virtual_size == measured.virtual_size
        # the auto-width column still follows its content both ways
        assert ours.ordered_columns[0].content_width == len("10.0.0.3:9")
