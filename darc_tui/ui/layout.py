"""Screen layout, designed at 80x24 first.

80x24 (compact, anything below 140 columns or 40 rows): header 2 lines, footer 1, body 21:

    ╭1 Envoy ─────────────╮╭2 Health ───────────────────╮   5 rows
    ╰─────────────────────╯╰────────────────────────────╯
    ╭3 Causes ──────────────────────────────────────────╮   6 rows: one finding in full
    ▸ 4 Clusters │ 5 Logs │ 6 Probes                       1 row: which lower pane is shown
    lower pane (4, 5 or 6; keys 4–6 switch)                 9 rows

Compact panes draw only a top border (the title line) to save rows. From 30 rows on, Causes gets
10 rows (two findings) and the lower pane the rest.

160x48 (wide: ≥140 columns and ≥40 rows): every pane visible, full borders:

    Envoy    | Health   | Causes (half the width, two rows tall)
    Clusters (half)     |
    Logs (half)         | Probes (half)

Below 80x24 the body is replaced by a "terminal too small" message.
"""

from __future__ import annotations

HORIZONTAL_BREAKPOINTS = [(0, "-too-narrow"), (80, "-narrow"), (140, "-wide")]
VERTICAL_BREAKPOINTS = [(0, "-too-short"), (24, "-short"), (30, "-medium"), (40, "-tall")]
MIN_SIZE = (80, 24)

CSS = """
Toast {
    max-width: 44;
}
#body {
    layout: grid;
    grid-size: 2;
    grid-columns: 38 1fr;
    grid-rows: 5 6 1 1fr;
}
#body Pane { border: none; border-top: round $border-blurred; padding: 0 1; }
#body Pane:focus-within { border: none; border-top: round $border; }
#causes, #strip, .lower { column-span: 2; }
#body .lower, #body .lower:focus-within { display: none; border: none; padding: 0 1; }
#body .lower.-current { display: block; }
#body Pane.-maximized, #body .lower.-maximized { border: round $border; display: block; }
#body Pane * { scrollbar-size-vertical: 1; }

/* 30-39 rows (e.g. 100x30): the extra rows go to Causes first, so a second finding shows */
Screen.-medium #body { grid-rows: 5 10 1 1fr; }

Screen.-wide.-tall #body {
    grid-size: 4;
    grid-columns: 40 44 1fr 1fr;
    grid-rows: 6 12 1fr;
}
Screen.-wide.-tall #body Pane { border: round $border-blurred; }
Screen.-wide.-tall #body Pane:focus-within { border: round $border; }
Screen.-wide.-tall #body .lower { display: block; padding: 0 1; }
Screen.-wide.-tall #strip { display: none; }
Screen.-wide.-tall #causes { column-span: 2; row-span: 2; }
Screen.-wide.-tall .lower { column-span: 2; }
Screen.-wide.-tall #causes OptionList, #causes.-maximized OptionList { text-wrap: wrap; }
Screen.-wide.-tall HealthPane .reading { width: 60%; }

#too-small {
    display: none; width: 100%; height: 100%;
    content-align: center middle; text-align: center; text-style: bold;
}
Screen.-too-narrow #too-small, Screen.-too-short #too-small { display: block; }
Screen.-too-narrow #body, Screen.-too-short #body,
Screen.-too-narrow HeaderBar, Screen.-too-short HeaderBar,
Screen.-too-narrow Footer, Screen.-too-short Footer { display: none; }
"""
