"""How a status looks: a glyph and a word always, a theme colour on top (NO_COLOR stays readable)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.content import Content

from darc_tui.outcome import Status, Verdict

GLYPH = {
    Status.OK: "✓",
    Status.WARN: "▲",
    Status.FAIL: "✗",
    Status.ERROR: "⚠",
    Status.UNKNOWN: "…",
}
WORD = {
    Status.OK: "ok",
    Status.WARN: "warn",
    Status.FAIL: "FAIL",
    Status.ERROR: "ERROR",
    Status.UNKNOWN: "no data",
}
# the theme variable that colours each status (see darc_tui.ui.themes)
VARIABLE = {
    Status.OK: "success",
    Status.WARN: "warning",
    Status.FAIL: "error",
    Status.ERROR: "error",
    Status.UNKNOWN: "text-muted",
}
VERDICT_STATUS = {Verdict.OK: Status.OK, Verdict.DEGRADED: Status.WARN, Verdict.DOWN: Status.FAIL}
VERDICT_WORD = {Verdict.OK: "OK", Verdict.DEGRADED: "DEGRADED", Verdict.DOWN: "DOWN"}
WAITING = "waiting for first probe…"


@dataclass(frozen=True, slots=True)
class Palette:
    """Rich styles for each status, taken from the current theme (DataTable cells need Rich styles)."""

    styles: Mapping[Status, Style]
    muted: Style
    accent: Style

    @classmethod
    def from_variables(cls, variables: Mapping[str, str]) -> Palette:
        def style(name: str, bold: bool = False) -> Style:
            color = variables.get(name) or None
            try:
                return Style(color=color, bold=bold)
            except Exception:  # a theme colour Rich cannot parse (e.g. "ansi_default")
                return Style(bold=bold)

        styles = {
            status: style(var, bold=status in (Status.FAIL, Status.ERROR))
            for status, var in VARIABLE.items()
        }
        return cls(styles, style("text-muted"), style("accent", bold=True))

    def status(self, status: Status, text: str | None = None) -> Text:
        """`✗ FAIL` (or `✗ <text>`) in the status colour."""
        label = f"{GLYPH[status]} {WORD[status] if text is None else text}"
        return Text(label, style=self.styles[status], no_wrap=True, end="")


def status_label(status: Status) -> str:
    return f"{GLYPH[status]} {WORD[status]}"


def status_content(status: Status, text: str | None = None) -> Content:
    """`✗ FAIL` (or `✗ <text>`) styled with the theme variable, for Static and Label."""
    label = f"{GLYPH[status]} {WORD[status] if text is None else text}"
    weight = "bold " if status in (Status.FAIL, Status.ERROR) else ""
    return Content.styled(label, f"{weight}${VARIABLE[status]}")


def duration(seconds: float | None) -> str:
    """Compact human duration: 42s, 5m12s, 3h04m, 2d05h."""
    if seconds is None:
        return "—"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def millis(ms: float | None) -> str:
    if ms is None:
        return "—"
    if ms >= 10000:
        return f"{ms / 1000:.0f}s"
    if ms >= 1000:
        return f"{ms / 1000:.1f}s"
    if ms >= 10:
        return f"{ms:.0f}ms"
    return f"{ms:.1f}ms"


def number(value: object) -> str:
    """Counters as short text; missing values as an em dash (never as 0)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)
