"""What the fleet screen shows, as cells and lines (pure): rows worst first, the blast radius."""

from __future__ import annotations

import time

from rich.text import Text

from darc_tui.fleet.model import ClusterSpread, EnvoyRow, FleetSnapshot, Scrape, Severity
from darc_tui.fleet.report import envoy_cells

# (header, width): fixed widths so the table never scrolls sideways; the worst cluster's name
# (last) takes what the terminal has left (see `cluster_width`)
ENVOY_COLUMNS = (("instance", 18), ("state", 5), ("ep", 2), ("5xx/s", 5), ("hlth", 5),
                 ("cxf/s", 5), ("ovf/s", 5), ("pnc/s", 5), ("worst cluster", 11))  # fmt: skip
CELL_PADDING = 1  # DataTable's default, each side


def cluster_width(total: int) -> int:
    """The worst-cluster column's width on a `total`-column terminal (1 for the scrollbar)."""
    fixed = sum(w for _, w in ENVOY_COLUMNS[:-1]) + 2 * CELL_PADDING * len(ENVOY_COLUMNS)
    return max(8, total - fixed - 1)


SPREAD_COLUMNS = ("cluster", "unhealthy", "blast radius", "on")
BAR_WIDTH = 10
# the state word comes first in every row, so colour is never the only signal
_STYLE = {
    Severity.DOWN: "bold red",
    Severity.NOT_LIVE: "bold red",
    Severity.CLUSTER_UNHEALTHY: "red",
    Severity.ERRORS: "yellow",
    Severity.OVERFLOW: "yellow",
    Severity.PANIC: "yellow",
    Severity.OK: "",
    Severity.NO_DATA: "dim",
}


def state_word(e: EnvoyRow) -> str:
    """Scrape and server state in one word: DOWN (not scraped), live, drain, init, ?."""
    if e.scrape is Scrape.DOWN:
        return "DOWN"
    if e.live is None:
        return "?"
    if e.live:
        return "live"
    return "drain" if e.state == 1 else "init"


def envoy_row(e: EnvoyRow, max_5xx_per_s: float) -> tuple[Text, ...]:
    style = _STYLE[e.severity(max_5xx_per_s)]
    instance, _scrape, _live, *rest = envoy_cells(e)
    cells = (instance, state_word(e), *rest)
    return tuple(Text(cell, style=style, no_wrap=True, overflow="ellipsis") for cell in cells)


def matches(e: EnvoyRow, needle: str) -> bool:
    """The `/` filter: a substring of the instance, a cluster name or the scrape state."""
    if not needle:
        return True
    needle = needle.lower()
    haystack = [e.instance, e.scrape.value, *(c.name for c in e.clusters)]
    return any(needle in text.lower() for text in haystack)


def spread_row(s: ClusterSpread) -> tuple[Text, ...]:
    n, total = len(s.envoys_unhealthy), s.envoys_total
    filled = round(BAR_WIDTH * n / total) if total else 0
    if n and not filled:
        filled = 1  # one Envoy of hundreds still shows
    style = "red" if s.everywhere else ("yellow" if n else "")
    names = ", ".join(s.envoys_unhealthy[:3]) + (" …" if n > 3 else "")
    where = "all" if s.everywhere and total > 1 else (names or "-")
    return (
        Text(s.name, style=style),
        Text(f"{n}/{total}", style=style),
        Text("█" * filled + "░" * (BAR_WIDTH - filled), style=style or "dim"),
        Text(where, style=style),
    )


def summary(snap: FleetSnapshot | None, now: float | None = None) -> Text:
    """The fleet header line: how many Envoys, how many in trouble, causes, age."""
    if snap is None:
        return Text("fleet: asking Prometheus …")
    if snap.error:
        return Text(f"fleet: Prometheus cannot be read — {snap.error}", style="bold red")
    age = max(0.0, (now or time.time()) - snap.taken_at)
    down = sum(1 for e in snap.envoys if not e.up)
    causes = len(snap.findings)
    text = Text(f"fleet: {len(snap.envoys)} Envoys")
    if down:
        text.append(f" · {down} down", style="bold red")
    text.append(f" · {causes} cause{'s' if causes != 1 else ''}", style="red" if causes else "")
    firing = sum(1 for a in snap.alerts if a.state == "firing")
    if firing:
        text.append(f" · {firing} alert{'s' if firing != 1 else ''} firing", style="yellow")
    text.append(f" · {age:.0f}s ago · took {snap.took_s:.2f}s", style="dim")
    return text


def findings_text(snap: FleetSnapshot | None) -> Text:
    if snap is None or snap.error:
        return Text("")
    if not snap.findings and not snap.warnings:
        return Text("no fleet cause found", style="dim")
    text = Text()
    for f in snap.findings:
        text.append(f"[{f.cause}] ", style="bold")
        text.append(f.summary + "\n")
    for warning in snap.warnings:
        text.append("warning: ", style="yellow")
        text.append(warning + "\n")
    text.rstrip()
    return text
