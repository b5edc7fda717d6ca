"""`?`: every key (the same declarations the footer and palette use) and what the glyphs mean."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from darc_tui.model import Status
from darc_tui.ui.status import status_content


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help_close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 80; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; border-title-style: bold; background: $surface; padding: 0 1;
    }
    /* max-height: at 80x24 the list is taller than the screen; it must scroll, not be cut */
    HelpScreen VerticalScroll { height: auto; max-height: 100%; }
    """

    def __init__(self, bindings: list[Binding], read_only: bool) -> None:
        super().__init__()
        self.bindings_shown = bindings
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "darc-tui keys (↑↓ scroll · esc closes)"
            with VerticalScroll():
                yield Static(self._keys(), markup=False)
        yield Footer(compact=True)

    def _rows(self) -> list[tuple[str, str]]:
        """(keys, what they do): keys bound to one action share a row; panes 1–6 share one."""
        rows: dict[str, tuple[list[str], str]] = {}
        for b in self.bindings_shown:
            action = "focus_pane" if b.action.startswith("focus_pane") else b.action
            text = b.tooltip or b.description
            if action == "focus_pane":
                text = "focus pane 1 Envoy 2 Health 3 Causes 4 Clusters 5 Logs 6 Probes"
            if action == "reload" and self.read_only:
                text += " (off: read-only)"
            keys, _ = rows.setdefault(action, ([], text))
            keys.append(self.app.get_key_display(b))
        return [
            (" ".join(keys) if len(keys) < 3 else f"{keys[0]}–{keys[-1]}", text)
            for keys, text in rows.values()
        ]

    def _keys(self) -> Content:
        rows = self._rows()
        width = max(len(key) for key, _ in rows)
        lines = [
            Content.assemble((f"{key:>{width}}", "bold $accent"), f"  {text}") for key, text in rows
        ]
        lines.append(Content(""))
        legend = Content("  ").join(status_content(s) for s in Status)
        lines.append(Content.assemble(("status  ", "bold"), legend))
        lines.append(Content("log     ✗ 5xx or error  ▲ 4xx, response flag, warning  ≈ lines lost"))
        return Content("\n").join(lines)
