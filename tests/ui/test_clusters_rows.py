"""The Clusters pane's host rows built from their values (row_values → one builder per column,
diffed by sync_values) are the very cells, and the very table, the whole rows gave: every cell
built for every host and diffed by sync_rows, as the pane did before."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from darc_tui.model import Status
from darc_tui.parse.clusters import HealthFlag, HostStatus
from darc_tui.ui.panes import clusters as pane
from darc_tui.ui.status import Palette, number
from darc_tui.ui.table import ShownValues, safe_cell, same_cell, sync_rows, sync_values

PALETTES = (
    Palette.from_variables({}),
    Palette.from_variables({"success": "#00ff00", "warning": "#ffaa00", "error": "red"}),
)


def whole_row(host: HostStatus, palette: Palette) -> tuple[object, ...]:
    """The row as the pane built it before (every cell, every round)."""

    def right(value: Text | str) -> Text:
        text = Text(value, end="") if isinstance(value, str) else value
        text.justify = "right"
        return text

    def counter(value: int) -> Text:
        if isinstance(value, int) and value > 0:
            return right(Text(str(value), style=palette.styles[Status.WARN], end=""))
        return right(number(value))

    health = palette.status(Status.OK if host.healthy else Status.FAIL, pane.short_health(host))
    health.pad_left(1)
    rate = host.success_rate
    return (
        host.endpoint,
        health,
        right(number(host.cx_active)),
        right(number(host.rq_active)),
        right(number(host.rq_total)),
        counter(host.rq_error),
        counter(host.cx_connect_fail),
        right("—" if rate is None else f"{rate:.1f}%"),
    )


def built_row(host: HostStatus, palette: Palette) -> list[object]:
    return [pane._CELLS[i](v, palette) for i, v in enumerate(pane.row_values(host))]


def same_cells(a: Any, b: Any) -> bool:
    a, b = [safe_cell(c) for c in a], [safe_cell(c) for c in b]
    return len(a) == len(b) and all(same_cell(x, y) and x.justify == y.justify
                                    for x, y in zip(a, b, strict=True))  # fmt: skip


COUNTS = st.one_of(
    st.integers(-(2**70), 2**70), st.booleans(), st.none(), st.floats(allow_nan=True)
)  # what a damaged recording can put in a host
HOSTS = st.builds(
    HostStatus,
    address=st.text(max_size=12) | st.sampled_from(["10.0.0.1", "::1", "a\x1b[2Jb", "\u202eevil"]),
    port=st.none() | st.integers(0, 70000),
    flags=st.frozensets(st.sampled_from(list(HealthFlag))),
    unknown_flags=st.lists(st.text(max_size=6), max_size=2).map(tuple),
    success_rate=st.none() | st.floats(allow_nan=True, allow_infinity=True),
    cx_active=COUNTS, rq_active=COUNTS, rq_total=COUNTS, rq_error=COUNTS, cx_connect_fail=COUNTS,
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(host=HOSTS, palette=st.sampled_from(PALETTES))
def test_a_row_built_from_its_values_is_the_whole_row(host, palette):
    assert same_cells(built_row(host, palette), whole_row(host, palette))


def test_equal_values_draw_equal_cells_and_different_looks_differ():
    """The diff skips a cell whose value is equal: only safe if the value decides the cell."""
    one, other = HostStatus("a", 1, rq_error=True), HostStatus("a", 1, rq_error=1)
    assert pane.row_values(one) != pane.row_values(other)  # True draws "True", 1 draws "1"
    sick = HostStatus("a", 1, frozenset({HealthFlag.FAILED_ACTIVE_HC}), rq_error=3)
    assert not same_cells(built_row(sick, PALETTES[0]), built_row(sick, PALETTES[1]))


def _cell(palette: Palette) -> Any:
    return lambda i, v: pane._CELLS[i](v, palette)


class Tables(App[None]):
    def compose(self) -> ComposeResult:
        for name in ("whole", "values"):
            table: DataTable[Any] = DataTable(id=name, cell_padding=0)
            table.can_focus = False  # both drawn alike: no focus, no cursor highlight
            for key, label, width in pane.COLUMNS:
                table.add_column(label, key=key, width=width)
            yield table


def _host(n: int, i: int) -> HostStatus:
    rate = None if i % 2 else 99.5 - n
    return HostStatus(f"10.0.0.{i}", 8000 + i, rq_total=n * i, rq_error=(n + i) % 3,
                      cx_connect_fail=n % 2, success_rate=rate)  # fmt: skip


def _round(n: int) -> list[HostStatus]:
    """Hosts that come, go, change counts, flags and success rate, and move in the list."""
    hosts = [_host(n, i) for i in range(n % 4, 12)]
    if n % 3 == 1:
        failed = frozenset({HealthFlag.FAILED_ACTIVE_HC})
        hosts[0] = HostStatus(hosts[0].address, hosts[0].port, failed)
    if n % 5 == 2:
        hosts.reverse()
    return hosts


async def test_the_table_diffed_by_values_is_the_table_diffed_by_whole_rows():
    app = Tables()
    shown = ShownValues()
    async with app.run_test(size=(80, 20)) as pilot:
        whole, values = app.query_one("#whole", DataTable), app.query_one("#values", DataTable)
        for n in range(14):
            palette = PALETTES[n // 7]  # a theme change half way
            hosts = _round(n) if n != 9 else []  # and a round without the cluster
            sync_rows(app, whole, {h.endpoint: whole_row(h, palette) for h in hosts})
            rows = {h.endpoint: pane.row_values(h) for h in hosts}
            sync_values(app, values, rows, _cell(palette), shown, palette)
            await pilot.pause()
            assert [k.value for k in values.rows] == [k.value for k in whole.rows]
            for key in whole.rows:
                assert same_cells(values.get_row(key), whole.get_row(key)), (n, key.value)
            assert [values.render_line(y) for y in range(values.size.height)] == [
                whole.render_line(y) for y in range(whole.size.height)
            ]
