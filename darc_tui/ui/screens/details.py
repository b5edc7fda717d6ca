"""`enter`: one host, finding, probe or log record in full, in a modal screen."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from darc_tui.model import TimelineEvent
from darc_tui.redact import redact_text
from darc_tui.sanitize import clean_block, is_clean
from darc_tui.ui.status import duration

Value = str | Content


@dataclass(frozen=True, slots=True)
class DetailView:
    """A titled list of label/value rows, and the command `c` copies (if any)."""

    title: str
    rows: tuple[tuple[str, Value], ...]
    command: str = ""

    def __post_init__(self) -> None:
        # rows come from parsed payloads too (cluster and host names from the admin API)
        object.__setattr__(self, "title", clean_block(self.title))
        object.__setattr__(self, "rows", tuple((clean_block(k), _safe(v)) for k, v in self.rows))

    def redacted(self) -> DetailView:
        rows = tuple(
            (label, redact_text(value) if isinstance(value, str) else value)
            for label, value in self.rows
        )
        return replace(self, title=redact_text(self.title), rows=rows)

    @property
    def label_width(self) -> int:
        return max((len(label) for label, _ in self.rows), default=0)


def _safe(value: Value) -> Value:
    if isinstance(value, str):
        return clean_block(value)
    if not is_clean(value.plain, multiline=True):
        return Content(clean_block(value.plain), list(value.spans))
    return value


class DetailScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,enter", "dismiss", "Close", id="details_close"),
        Binding("c", "copy", "Copy command", id="details_copy"),
    ]
    DEFAULT_CSS = """
    DetailScreen { align: center middle; }
    DetailScreen > Vertical {
        width: 90%; max-width: 140; height: auto; max-height: 90%;
        border: round $primary; border-title-style: bold; background: $surface; padding: 0 1;
    }
    DetailScreen VerticalScroll { height: auto; max-height: 100%; }
    DetailScreen .detail-row { height: auto; }
    DetailScreen .detail-label { width: auto; color: $text-muted; text-style: bold; padding-right: 2; }
    DetailScreen .detail-value { width: 1fr; }
    """

    def __init__(self, view: DetailView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Content(self.view.title)  # a str title would be parsed as markup
            with VerticalScroll(id="detail-body"):
                for label, value in self.view.rows:
                    with Horizontal(classes="detail-row"):
                        yield Static(label, classes="detail-label", markup=False)
                        yield Static(value, classes="detail-value", markup=False)
        yield Footer(compact=True)  # the console's footer lists its own keys, not this dialog's

    def on_mount(self) -> None:
        width = self.view.label_width + 2
        for label in self.query(".detail-label"):
            label.styles.width = width

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy":
            return bool(self.view.command)
        return True

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.view.command)
        self.notify(self.view.command, title="copied", markup=False)


def timeline_view(events: Sequence[TimelineEvent], now: float, limit: int = 200) -> DetailView:
    """The engine's timeline (state changes, causes, hosts), newest first, UTC like Envoy's logs."""
    rows: list[tuple[str, Value]] = []
    for event in list(events)[::-1][:limit]:
        stamp = time.strftime("%H:%M:%SZ", time.gmtime(event.at))
        rows.append((f"{stamp} ({duration(now - event.at)} ago)", f"{event.kind}: {event.text}"))
    if not rows:
        rows.append(("", "nothing has changed yet"))
    return DetailView(f"Timeline ({len(events)} events)", tuple(rows))
