"""Keyed DataTable diffing: the cursor and scroll position survive every update (never clear())."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.content import Content
from textual.widgets import DataTable

from darc_tui.sanitize import clean, is_clean
from darc_tui.ui.cell_cache import CellCachedTable

# OptionList's and DataTable's own enter (select, show=False) shadows the console's "⏎ Details"
# in the footer; the panes open the details on that selection, so the footer should say so.
DETAILS_ON_ENTER = Binding("enter", "select_cursor", "Details", key_display="⏎", id="details_row")


class DetailsTable(CellCachedTable):
    """A DataTable whose enter (select the row → the pane opens its details) shows as Details,
    drawing again only the cells that changed (see `cell_cache`)."""

    BINDINGS = [DETAILS_ON_ENTER]


def sync_rows(app: App[Any], table: DataTable[Any], rows: Mapping[str, Sequence[object]]) -> int:
    """Make `table` show `rows` (key → cells, in column order); returns how many cells changed.

    Stale keys are removed, changed cells updated in place, new keys appended, all inside one
    batch_update so the screen repaints once.
    """
    columns = [column.key for column in table.ordered_columns]
    # A fixed-width column never uses its measured width; measuring it is not free: Textual 8.2
    # re-measures the whole column for every updated cell narrower than its widest (or its label),
    # 10 000 measures a round for a 100-host cluster whose counts change.
    measured = {column.key: column.auto_width for column in table.ordered_columns}
    with app.batch_update():
        changed = _drop_stale(table, rows, len(columns))
        for key, raw_cells in rows.items():
            cells = [safe_cell(cell) for cell in raw_cells]
            if key not in table.rows:
                table.add_row(*cells, key=key)
                changed += len(columns)
                continue
            for column, cell in zip(columns, cells, strict=True):
                if not same_cell(table.get_cell(key, column), cell):
                    table.update_cell(key, column, cell, update_width=measured[column])
                    changed += 1
    return changed


def _drop_stale(table: DataTable[Any], rows: Mapping[str, object], width: int) -> int:
    """Remove the rows whose key is not in `rows`; the number of cells that went."""
    stale = [row_key for row_key in table.rows if row_key.value not in rows]
    for row_key in stale:
        table.remove_row(row_key)
    return len(stale) * width


@dataclass(slots=True)
class ShownValues:
    """What `sync_values` last put in a table: for each row key, the values its cells were built
    from, and the look (palette) they were built with."""

    look: object = None
    rows: dict[str, tuple[object, ...]] = field(default_factory=dict)


def sync_values(
    app: App[Any],
    table: DataTable[Any],
    rows: Mapping[str, tuple[object, ...]],
    cell: Callable[[int, object], object],
    shown: ShownValues,
    look: object,
) -> int:
    """`sync_rows(app, table, {key: [cell(i, v) for i, v in enumerate(values)]})`, building and
    comparing only the cells whose value changed since the last call with the same `shown`:
    `cell(i, value)` must depend on nothing but its arguments and `look` (a 100-host cluster
    whose request counts move each round: 100 cells built and compared, not 800)."""
    if look != shown.look:  # a theme change: every cell built again, compared with the table's
        shown.look, shown.rows = look, {}
    before = shown.rows
    if not rows:
        shown.rows = {}
        return sync_rows(app, table, {})
    columns = [column.key for column in table.ordered_columns]
    measured = {column.key: column.auto_width for column in table.ordered_columns}
    with app.batch_update():
        changed = _drop_stale(table, rows, len(columns))
        for key, values in rows.items():
            old = before.get(key) if key in table.rows else None
            if old == values:
                continue
            if key not in table.rows:
                table.add_row(*(safe_cell(cell(i, v)) for i, v in enumerate(values)), key=key)
                changed += len(columns)
                continue
            for i, (column, value) in enumerate(zip(columns, values, strict=True)):
                if old is not None and old[i] == value:
                    continue
                new = safe_cell(cell(i, value))
                if not same_cell(table.get_cell(key, column), new):
                    table.update_cell(key, column, new, update_width=measured[column])
                    changed += 1
    shown.rows = dict(rows)
    return changed


def same_cell(old: object, new: object) -> bool:
    """Equal content and look (rich Text's own == ignores its base style, e.g. a theme colour)."""
    if isinstance(old, Text) and isinstance(new, Text):
        return old.plain == new.plain and old.style == new.style and old.spans == new.spans
    return type(old) is type(new) and old == new


def safe_cell(cell: object) -> object:
    """A cell that can neither be parsed as markup nor carry a terminal control code.

    DataTable parses a plain `str` cell as Textual markup: `[/]` from a backend's Location header
    raised MarkupError, `[@click=app.quit]` quit on click. A `Text` is never parsed.
    """
    if isinstance(cell, str):
        return Text(clean(cell))
    if isinstance(cell, Text) and not is_clean(cell.plain):
        return Text(clean(cell.plain), style=cell.style, spans=list(cell.spans))
    if isinstance(cell, Content) and not is_clean(cell.plain):
        return Content(clean(cell.plain), list(cell.spans))
    return cell
