"""Keyed DataTable diffing: the cursor and scroll position survive every update (never clear())."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.content import Content
from textual.widgets import DataTable

from darc_tui.sanitize import clean, is_clean

# OptionList's and DataTable's own enter (select, show=False) shadows the console's "⏎ Details"
# in the footer; the panes open the details on that selection, so the footer should say so.
DETAILS_ON_ENTER = Binding("enter", "select_cursor", "Details", key_display="⏎", id="details_row")


class DetailsTable(DataTable[Any]):
    """A DataTable whose enter (select the row → the pane opens its details) shows as Details."""

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
    changed = 0
    with app.batch_update():
        for row_key in list(table.rows):
            if row_key.value not in rows:
                table.remove_row(row_key)
                changed += len(columns)
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
