"""A DataTable that draws again only the cells whose value changed.

Textual 8.2's DataTable keys its drawn cells by a counter that every `update_cell` bumps: one
changed cell throws away every drawn cell of the table, and each visible cell goes through Rich
again (a 100-host cluster whose request counts move each round: every visible cell re-rendered,
the most expensive part of showing a snapshot). Here a drawn cell is also kept under a key that
names the cell's own version instead: an `update_cell` changes that one cell's version, and any
other change (rows added, removed or sorted, columns, a resize) moves an epoch that all keys
share, so everything is drawn again as before. Whenever Textual drops its own drawn cells (a
style, theme or option change), these go too. Each miss is drawn by Textual itself.
"""

from __future__ import annotations

import itertools
from typing import Any

from rich.style import Style
from textual.cache import LRUCache
from textual.widgets import DataTable
from textual.widgets.data_table import CellType, ColumnKey, RowKey

_CellKey = tuple[RowKey, ColumnKey]


class CellCachedTable(DataTable[Any]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # before DataTable's own __init__: its reactives' watchers already clear the caches
        self._cell_updates = 0  # how many of `_update_count`'s bumps were update_cell's
        self._epoch = 0
        self._versions: dict[_CellKey, int] = {}  # cells updated in this epoch
        self._version_numbers = itertools.count(1)
        self._drawn: LRUCache[tuple[object, ...], Any] = LRUCache(4096)  # visible cells × looks
        super().__init__(*args, **kwargs)

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: CellType,
        *,
        update_width: bool = False,
    ) -> None:
        super().update_cell(row_key, column_key, value, update_width=update_width)
        self._cell_updates += 1  # only once the cell exists (super raises otherwise)
        row = RowKey(row_key) if isinstance(row_key, str) else row_key
        column = ColumnKey(column_key) if isinstance(column_key, str) else column_key
        self._versions[row, column] = next(self._version_numbers)

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> Any:
        epoch = self._update_count - self._cell_updates  # moves on any change but update_cell
        if epoch != self._epoch:
            self._epoch = epoch
            self._versions.clear()
        version = 0
        if row_index >= 0 and column_index >= 0:
            row = self._row_locations.get_key(row_index)
            column = self._column_locations.get_key(column_index)
            version = self._versions.get((row, column), 0) if row and column else 0
        key = (row_index, column_index, base_style, width, cursor, hover, self._show_hover_cursor,
               self._pseudo_class_state, self.show_cursor, epoch, version)  # fmt: skip
        drawn = self._drawn.get(key)
        if drawn is None:
            drawn = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
            self._drawn[key] = drawn
        return drawn

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self._drawn.clear()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drawn.clear()
