"""What every pane is: a titled, maximizable box that renders the snapshot it is given."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.containers import Vertical
from textual.content import Content
from textual.widget import Widget

from darc_tui.ui.status import WAITING

if TYPE_CHECKING:  # the first frame draws panes before these modules load (ui/app.py)
    from darc_tui.ids import ProbeId
    from darc_tui.model import Evidence, Snapshot
    from darc_tui.ui.app import DarcApp
    from darc_tui.ui.screens.details import DetailView
    from darc_tui.ui.status import Palette


class Pane(Vertical):
    """A pane never fetches: the app hands it snapshots; hidden panes defer the work until shown."""

    ALLOW_MAXIMIZE = True
    NUMBER: ClassVar[int] = 0
    TITLE: ClassVar[str] = ""
    DEFAULT_CSS = """
    Pane {
        border: round $border-blurred;
        border-title-color: $text-muted;
        border-title-style: bold;
        padding: 0 1;
        &:focus-within { border: round $border; border-title-color: $text; }
    }
    """

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self.border_title = f"{self.NUMBER} {self.TITLE}"
        self.snapshot: Snapshot | None = None
        self._stale = False

    @property
    def darc(self) -> DarcApp:
        return self.app  # type: ignore[return-value]

    @property
    def palette(self) -> Palette:
        return self.darc.palette

    def show_snapshot(self, snapshot: Snapshot | None) -> None:
        """Remember the snapshot; draw it now if visible, else when the pane is next shown."""
        self.snapshot = snapshot
        if self.display and self.is_mounted:
            self._stale = False
            self.render_snapshot(snapshot)
        else:
            self._stale = True

    def redraw(self) -> None:
        """Draw the current snapshot again (theme change, pane shown)."""
        self._stale = False
        self.render_snapshot(self.snapshot)

    def on_show(self, event: events.Show) -> None:
        if self._stale:
            self.redraw()

    @property
    def waiting(self) -> bool:
        """Nothing observed yet (no snapshot, or one from before the first probe answered)."""
        return self.snapshot is None or not self.snapshot.evidence

    def render_snapshot(self, snapshot: Snapshot | None) -> None:
        """Draw `snapshot` (None = nothing has arrived yet)."""

    def focus_target(self) -> Widget:
        """The widget that takes focus for this pane (keys 1–6)."""
        return self

    def details(self) -> DetailView | None:
        """What `enter` opens: the selected row/finding/record in full."""
        return None

    def copy_text(self) -> str | None:
        """What `c` copies: the selected next step or command."""
        return None

    def evidence(self, *probes: ProbeId) -> list[Evidence]:
        """Latest evidence of the named probes, in the given order."""
        if self.snapshot is None:
            return []
        return [ev for name in probes for ev in self.snapshot.evidence if ev.probe == name]


class PaneShell(Pane):
    """A pane's place in the console's first frame: its title and "waiting", drawn before the
    pane's own modules load; ui/app.py replaces it with the pane right after that frame."""

    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(id=id)
        self.border_title = title

    def render(self) -> Content:
        return Content(WAITING)  # itself, not a child Static: one node less to style per pane
