"""Every key of the console, declared once: the footer, `?` help and the command palette read this.

Ids let a user keymap remap around tmux/screen. No action depends only on a chord that terminal
multiplexers eat (ctrl+a, ctrl+b, ctrl+s, ctrl+z, …): the palette has `:` beside ctrl+p.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode

PANES = ("envoy", "health", "causes", "clusters", "logs", "probes")


def _key(
    key: str,
    action: str,
    text: str,
    help_text: str,
    *,
    show: bool = True,
    display: str | None = None,
    priority: bool = False,
    id_: str | None = None,
) -> Binding:
    """A binding whose tooltip is the longer help text (shown by `?` and the palette)."""
    return Binding(
        key,
        action,
        text,
        show=show,
        key_display=display,
        priority=priority,
        tooltip=help_text,
        id=id_ or action,
    )


BINDINGS: list[Binding] = [
    _key("question_mark", "help", "Help", "every key and what the glyphs mean", display="?"),
    _key("p", "pause", "Pause", "freeze the display; collection continues"),
    _key("slash", "filter", "Filter", "show only log lines containing text", display="/"),
    _key(
        "enter",
        "details",
        "Details",
        "the selected host, cause, probe or log line in full",
        display="⏎",
    ),
    _key("c", "copy", "Copy cmd", "copy the selected next-step command to the clipboard"),
    _key("M", "maximize_pane", "Max", "maximize the focused pane (again: restore)"),
    _key("ctrl+r", "probe_now", "Probe", "run every probe now"),
    _key("r", "reload", "Reload", "reload Envoy (validates and asks first)"),
    _key("q", "quit", "Quit", "leave darc-tui"),
    _key("ctrl+c", "quit", "Quit", "leave darc-tui", show=False, priority=True, id_="quit_ctrl_c"),
    _key(
        "f",
        "follow",
        "Follow log",
        "jump to the newest log line and keep following (Logs: ↑↓ or k j pick a line for ⏎)",
        show=False,
    ),
    _key(
        "end",
        "follow",
        "Follow log",
        "jump to the newest log line and keep following",
        show=False,
        id_="follow_end",
    ),
    _key(
        "l",
        "next_log",
        "Next log",
        "Logs pane: show the next source (access → error → journal)",
        show=False,
    ),
    _key("h", "timeline", "Timeline", "what changed and when, newest first", show=False),
    _key("t", "next_theme", "Next theme", "switch to the next colour theme", show=False),
    _key(
        "colon",
        "command_palette",
        "Palette",
        "search every command (also ctrl+p)",
        show=False,
        display=":",
        id_="palette",
    ),
    _key(
        "escape",
        "escape",
        "Back",
        "clear the filter, restore a maximized pane, close a dialog",
        show=False,
        display="esc",
    ),
    _key(
        "tab",
        "app.focus_next",
        "Next pane",
        "move focus to the next pane",
        show=False,
        id_="focus_next",
    ),
    _key(
        "shift+tab",
        "app.focus_previous",
        "Previous pane",
        "move focus to the previous pane",
        show=False,
        id_="focus_previous",
    ),
    *(
        _key(
            str(n),
            f"focus_pane('{pane}')",
            f"{pane.capitalize()} pane",
            f"focus the {pane.capitalize()} pane",
            show=False,
            id_=f"pane_{n}",
        )
        for n, pane in enumerate(PANES, start=1)
    ),
]


def binding_ids(app: App[Any]) -> set[str]:
    """Every binding id the running app knows, its own and its widgets' ([ui] keymap names these)."""
    nodes: list[DOMNode] = [app, app.screen, *app.screen.walk_children()]
    return {
        binding.id
        for node in nodes
        for bindings in node._bindings.key_to_bindings.values()
        for binding in bindings
        if binding.id
    }
