"""Keyed DataTable diffing: the cursor and scroll position survive every update (never clear())."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from textual.app import App
from textual.widgets import DataTable


def sync_rows(app: App[Any], table: DataTable[Any], rows: Mapping[str, Sequence[object]]) -> int:
    """Make `table` show `rows` (key → cells, in column order); returns how many cells changed.

    Stale keys are removed, changed cells updated in place, new keys appended, all inside one
    batch_update so the screen repaints once.
    """
    columns = [column.key for column in table.ordered_columns]
    changed = 0
    with app.batch_update():
        for row_key in list(table.rows):
            if row_key.value not in rows:
                table.remove_row(row_key)
                changed += len(columns)
        for key, cells in rows.items():
            if key not in table.rows:
                table.add_row(*cells, key=key)
                changed += len(columns)
                continue
            for column, cell in zip(columns, cells, strict=True):
                if table.get_cell(key, column) != cell:
                    table.update_cell(key, column, cell, update_width=True)
                    changed += 1
    return changed
