"""Pane 4: one row per upstream host of the configured cluster — health in words, counters, panic."""

from __future__ import annotations

from typing import Any

from rich.console import JustifyMethod
from rich.text import Text
from textual.app import ComposeResult
from textual.content import Content
from textual.widget import Widget
from textual.widgets import DataTable, Static

from darc_tui.ids import ProbeId
from darc_tui.model import Evidence, Snapshot, Status
from darc_tui.parse.clusters import ClustersReport, ClusterStatus, HostStatus
from darc_tui.ui.panes.base import Pane
from darc_tui.ui.repaint import show
from darc_tui.ui.screens.details import DetailView
from darc_tui.ui.status import WAITING, Palette, number, status_content
from darc_tui.ui.table import DetailsTable, ShownValues, sync_values

PROBE = ProbeId.ENVOY_CLUSTERS
STATS_PROBE = ProbeId.ENVOY_STATS
# (key, label, width): fixed widths so a long health word cannot push "success" off an 80-column
# screen; the table has no cell padding, each column after the host brings its own leading gap.
COLUMNS = (
    ("host", "host", None),
    ("health", " health", 15),
    ("cx", " cx act", 7),
    ("rq", " rq act", 7),
    ("total", " rq total", 9),
    ("errors", " rq err", 7),
    ("fail", " cx fail", 8),
    ("sr", " success", 8),
)
# Envoy's flag words are long ("failed active health check"); the row shows these, the details
# screen (enter) the full words.
_SHORT_FLAGS = {
    "failed_active_hc": "failed hc",
    "failed_outlier_check": "ejected",
    "failed_eds_health": "eds failed",
    "degraded_active_hc": "degraded hc",
    "degraded_eds_health": "eds degraded",
    "pending_dynamic_removal": "removing",
    "pending_active_hc": "hc pending",
    "excluded_via_immediate_hc_fail": "excluded",
    "active_hc_timeout": "hc timeout",
    "eds_status_draining": "draining",
}


class ClustersPane(Pane):
    NUMBER = 4
    TITLE = "Clusters"
    DEFAULT_CSS = """
    ClustersPane #clusters-summary { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    ClustersPane DataTable { height: 1fr; background: transparent; }
    """

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self._shown = ShownValues()

    def compose(self) -> ComposeResult:
        yield Static(WAITING, id="clusters-summary", markup=False)
        table: DataTable[Any] = DetailsTable(id="clusters-table", cursor_type="row", cell_padding=0)
        for key, label, width in COLUMNS:
            justify: JustifyMethod = "left" if key in ("host", "health") else "right"
            table.add_column(Text(label, justify=justify), key=key, width=width)
        yield table

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#clusters-table", DataTable)

    def focus_target(self) -> Widget:
        return self.table

    def render_snapshot(self, snapshot: Snapshot | None) -> None:
        ev = snapshot.get(PROBE) if snapshot else None
        summary = self.query_one("#clusters-summary", Static)
        if ev is None:
            show(summary, WAITING if self.waiting else status_content(Status.UNKNOWN))
            self._sync_rows({})
            return
        cluster = cluster_of(ev.data, self.darc.config.envoy.cluster)
        hosts = cluster.hosts if cluster else ()
        stats = snapshot.get(STATS_PROBE) if snapshot else None
        show(summary, _summary(ev, stats, cluster, hosts))
        self._sync_rows({h.endpoint: row_values(h) for h in hosts})

    def _sync_rows(self, rows: dict[str, tuple[object, ...]]) -> None:
        palette = self.palette
        sync_values(
            self.app, self.table, rows, lambda i, v: _CELLS[i](v, palette), self._shown, palette
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.darc.action_details()

    def selected_host(self) -> HostStatus | None:
        ev = self.snapshot.get(PROBE) if self.snapshot else None
        if ev is None or self.table.row_count == 0:
            return None
        key = self.table.coordinate_to_cell_key(self.table.cursor_coordinate).row_key.value
        cluster = cluster_of(ev.data, self.darc.config.envoy.cluster)
        return next((h for h in cluster.hosts if h.endpoint == key), None) if cluster else None

    def details(self) -> DetailView | None:
        ev = self.snapshot.get(PROBE) if self.snapshot else None
        if ev is None:
            return None
        host = self.selected_host()
        rows: list[tuple[str, str | Content]]
        if host is None:
            rows = [("status", status_content(ev.status) + Content(f"  {ev.detail}"))]
            rows += [(k, str(v)) for k, v in ev.facts.items()]
            return DetailView("Cluster", tuple(rows), command=ev.command)
        rows = [
            ("host", host.endpoint),
            ("health", host.flag_words()),
            *((name, number(value)) for name, value in _host_fields(host)),
            ("cluster", status_content(ev.status) + Content(f"  {ev.detail}")),
            ("command", ev.command),
        ]
        return DetailView(f"Host {host.endpoint}", tuple(rows), command=ev.command)

    def copy_text(self) -> str | None:
        ev = self.snapshot.get(PROBE) if self.snapshot else None
        return ev.command if ev else None


def _host_fields(h: HostStatus) -> tuple[tuple[str, str | int | float | None], ...]:
    return (
        ("hostname", h.hostname), ("weight", h.weight), ("priority", h.priority),
        ("success_rate", h.success_rate), ("local_origin_success_rate", h.local_origin_success_rate),
        ("cx_active", h.cx_active), ("cx_connect_fail", h.cx_connect_fail),
        ("cx_total", h.cx_total), ("rq_active", h.rq_active),
        ("rq_pending_active", h.rq_pending_active), ("rq_error", h.rq_error),
        ("rq_success", h.rq_success), ("rq_timeout", h.rq_timeout), ("rq_total", h.rq_total),
    )  # fmt: skip


def cluster_of(data: object, name: str) -> ClusterStatus | None:
    """The configured cluster from the probe's payload (a ClustersReport or one ClusterStatus)."""
    if isinstance(data, ClusterStatus):
        return data
    if isinstance(data, ClustersReport):
        return next((c for c in data.clusters if c.name == name), None)
    return None


def _summary(
    ev: Evidence,
    stats: Evidence | None,
    cluster: ClusterStatus | None,
    hosts: tuple[HostStatus, ...],
) -> Content:
    if cluster is None or ev.status is Status.ERROR:
        return status_content(ev.status) + Content(f" {ev.detail}")
    healthy = sum(1 for h in hosts if h.healthy)
    name = cluster.name or "cluster"
    text = Content(f" {name} · {healthy}/{len(hosts)} healthy")
    return status_content(ev.status) + text + _panic(ev, stats)


def _panic(clusters: Evidence, stats: Evidence | None) -> Content:
    """Panic as the engine saw it: lb_healthy_panic moving in the stats window (or a fact)."""
    moved = stats.facts.get("delta.lb_healthy_panic") if stats else None
    if isinstance(moved, int) and moved > 0:
        window = stats.facts.get("window_s") if stats else None
        during = f" in {window:.0f}s" if isinstance(window, int | float) else ""
        word = f"PANIC: {moved} requests sent to all hosts{during}"
        return Content(" · ") + status_content(Status.FAIL, word)
    if clusters.facts.get("panic") is True:
        return Content(" · ") + status_content(Status.FAIL, "PANIC: routing to all hosts")
    if moved == 0 or clusters.facts.get("panic") is False:
        return Content(" · no panic")
    return Content("")


def row_values(host: HostStatus) -> tuple[object, ...]:
    """What each cell of a host's row shows (its text, and what picks its colour): a cell is
    built from its value alone (`_CELLS`), so equal values draw the same cell."""
    rate = host.success_rate
    return (
        host.endpoint,
        (host.healthy, short_health(host)),
        number(host.cx_active),
        number(host.rq_active),
        number(host.rq_total),
        _counted(host.rq_error),
        _counted(host.cx_connect_fail),
        "—" if rate is None else f"{rate:.1f}%",
    )


def _counted(value: int) -> tuple[str, bool]:
    """A counter's text, and whether it is drawn as a warning (above 0)."""
    warn = isinstance(value, int) and value > 0
    return (str(value) if warn else number(value)), warn


def _health(value: Any, palette: Palette) -> Text:
    healthy, words = value
    health = palette.status(Status.OK if healthy else Status.FAIL, words)
    health.pad_left(1)
    return health


def _warn(value: Any, palette: Palette) -> Text:
    text, warn = value
    return _right(Text(text, style=palette.styles[Status.WARN], end="")) if warn else _right(text)


def _host(value: Any, palette: Palette) -> object:
    return value


def _plain(value: Any, palette: Palette) -> Text:
    return _right(value)


# one builder per column of COLUMNS, from the value `row_values` gives it
_CELLS = (_host, _health, _plain, _plain, _plain, _warn, _warn, _plain)


def short_health(host: HostStatus) -> str:
    """ "healthy", or the first flag in a few letters plus how many more ("failed hc +1")."""
    order = list(_SHORT_FLAGS)  # Envoy's own order: failed before degraded before pending
    flags = sorted((str(f) for f in host.flags),
                   key=lambda f: order.index(f) if f in order else len(order))  # fmt: skip
    words = [_SHORT_FLAGS.get(f, f) for f in flags]
    words += list(host.unknown_flags)
    if not words:
        return "healthy" if host.healthy else "unhealthy"
    more = f" +{len(words) - 1}" if len(words) > 1 else ""
    return f"{words[0]}{more}"


def _right(value: Text | str) -> Text:
    text = Text(value, end="") if isinstance(value, str) else value
    text.justify = "right"
    return text
