"""The one-line switcher that shares the lower area between panes 4–6 on small terminals."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from darc_tui.ui.repaint import show


class PaneStrip(Static):
    """`4 Clusters │ 5 Logs │ 6 Probes` with the shown pane marked (▸ and reverse, not colour)."""

    DEFAULT_CSS = """
    PaneStrip { height: 1; background: $panel; padding: 0 1; }
    """

    def __init__(self, panes: list[tuple[str, str]], *, id: str) -> None:
        super().__init__(id=id, markup=False)
        self.panes = panes  # (pane id, title)
        self.current = panes[0][0]

    def on_mount(self) -> None:
        self.select(self.current)

    def select(self, pane_id: str) -> None:
        self.current = pane_id
        parts = []
        for pid, title in self.panes:
            if pid == pane_id:
                parts.append(Content.styled(f"▸ {title} ", "bold reverse $accent"))
            else:
                parts.append(Content.styled(f"  {title} ", "$text-muted"))
        hint = Content.styled("   (4–6 switch)", "$text-muted")
        show(self, Content("│").join(parts) + hint)
