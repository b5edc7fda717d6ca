"""CellCachedTable (cells drawn again only when their own value changed) draws every line as
Textual's DataTable draws it, through every kind of change a table sees: cells updated (to a new
value or the same), rows added, removed and sorted, columns added, the cursor moved or hidden,
zebra stripes, a theme change, a resize, focus and blur, clear()."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Button, DataTable

from darc_tui.ui.cell_cache import CellCachedTable

Step = Callable[[DataTable[Any]], None]


class Tables(App[None]):
    def compose(self) -> ComposeResult:
        for table in (DataTable(id="plain", cursor_type="row"),
                      CellCachedTable(id="cached", cursor_type="row")):  # fmt: skip
            for key, width in (("host", None), ("health", 9), ("total", 8)):
                table.add_column(key, key=key, width=width)
            yield table
        yield Button("elsewhere", id="elsewhere")


def _rows(table: DataTable[Any], n: int = 12, base: int = 0) -> None:
    for i in range(n):
        table.add_row(f"10.0.0.{i}:80", "healthy", str(base + i), key=f"h{i}")


def _update(column: str, value: Any, rows: range = range(0, 12, 2)) -> Step:
    def step(table: DataTable[Any]) -> None:
        for i in rows:
            if f"h{i}" in table.rows:
                table.update_cell(f"h{i}", column, value(i) if callable(value) else value)

    return step


def _attr(name: str, value: Any) -> Step:
    return lambda table: setattr(table, name, value)


STEPS: list[tuple[str, Step]] = [
    ("rows added", _rows),
    ("counts moved", _update("total", lambda i: str(1000 + i))),
    ("counts moved again", _update("total", lambda i: str(2000 + i), range(12))),
    ("the same values again", _update("total", lambda i: str(2000 + i), range(12))),
    ("a styled cell", _update("health", Text("failed hc", style="bold red"), range(3, 4))),
    ("the cursor moved", lambda t: t.move_cursor(row=5)),
    ("a row removed", lambda t: t.remove_row("h2")),
    ("counts moved after the removal", _update("total", "7", range(0, 12, 3))),
    ("sorted", lambda t: t.sort("total", reverse=True)),
    ("counts moved after the sort", _update("host", lambda i: f"x{i}", range(1, 12, 2))),
    ("zebra stripes", _attr("zebra_stripes", True)),
    ("the cursor by cell", _attr("cursor_type", "cell")),
    ("cursor moved by cell", lambda t: t.move_cursor(row=1, column=2)),
    ("a cell under the cursor updated", _update("total", "99", range(12))),
    ("the cursor hidden", _attr("show_cursor", False)),
    ("a column added", lambda t: t.add_column("more", key="more", width=4)),
    ("cleared and filled", lambda t: (t.clear(), _rows(t, 8, 50))),
    ("counts after the clear", _update("total", "1", range(8))),
]


async def _lines(app: Tables, pilot: Pilot[None], focus: str) -> dict[str, list[Any]]:
    drawn = {}
    for name in ("plain", "cached"):
        app.query_one(f"#{focus or name}").focus()
        await pilot.pause()
        table = app.query_one(f"#{name}", DataTable)
        drawn[name] = [table.render_line(y) for y in range(table.size.height)]
    return drawn


def _drawn(app: Tables, name: str) -> list[Any]:
    table = app.query_one(f"#{name}", DataTable)
    return [table.render_line(y) for y in range(table.size.height)]


async def _same_drawing(app: Tables, pilot: Pilot[None], step: str) -> None:
    await pilot.pause()  # first as they are (a focus change makes Textual drop its drawn cells)
    assert _drawn(app, "cached") == _drawn(app, "plain"), step
    for focus in ("", "elsewhere"):  # each table focused in turn, then neither
        drawn = await _lines(app, pilot, focus)
        assert drawn["cached"] == drawn["plain"], (step, focus or "focused")


async def test_every_line_is_drawn_as_the_plain_data_table_draws_it() -> None:
    app = Tables()
    async with app.run_test(size=(60, 30)) as pilot:
        tables = [app.query_one("#plain", DataTable), app.query_one("#cached", DataTable)]
        app.query_one("#elsewhere").focus()  # both tables drawn unfocused between the steps
        for name, step in STEPS:
            for table in tables:
                step(table)
            await _same_drawing(app, pilot, name)
        app.theme = "textual-light"
        await _same_drawing(app, pilot, "a theme change")
        await pilot.resize_terminal(50, 24)
        await _same_drawing(app, pilot, "a resize")
        for table in tables:
            _update("total", "5", range(8))(table)
        await _same_drawing(app, pilot, "counts after the resize")


async def test_only_the_updated_cells_are_drawn_again() -> None:
    app = Tables()
    async with app.run_test(size=(60, 30)) as pilot:
        table = app.query_one("#cached", CellCachedTable)
        _rows(table)
        await pilot.pause()
        table.refresh()  # drawn again once sized (its first resize moves the epoch)
        await pilot.pause()
        drawn: list[tuple[int, int]] = []
        render = DataTable._render_cell

        def counted(self: DataTable[Any], row: int, column: int, *args: Any, **kw: Any) -> Any:
            drawn.append((row, column))
            return render(self, row, column, *args, **kw)

        DataTable._render_cell = counted  # type: ignore[method-assign]
        try:
            _update("total", lambda i: str(500 + i))(table)
            table.refresh()
            await pilot.pause()
        finally:
            DataTable._render_cell = render  # type: ignore[method-assign]
        assert sorted(set(drawn)) == [(i, 2) for i in range(0, 12, 2)]
