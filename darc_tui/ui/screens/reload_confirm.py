"""The confirm modal before an Envoy reload: host, method, validation, what changes. Default No.

`y` confirms (only a plan that may go ahead), `n`, escape or Enter on the focused No cancel; the
screen returns True or False. `reload_handler(config, hosts)` is the console's `on_reload`: it
prepares the plan, asks with this modal, applies (or records the cancellation) and notifies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from darc_tui.actions.plan import Outcome, ReloadPlan
from darc_tui.actions.reload import apply_reload, cancel_reload, prepare_reload
from darc_tui.config import Config
from darc_tui.hosts.base import Host

CHROME_ROWS = 6  # thick border 2, buttons 3, footer 1
_SEVERITY: dict[Outcome, SeverityLevel] = {
    Outcome.OK: "information",
    Outcome.CANCELLED: "information",
    Outcome.UNVERIFIED: "warning",
}


class ReloadConfirmScreen(ModalScreen[bool]):
    # Enter right away means No. (Textual's default would focus the changes list first and
    # scroll the plan to it, hiding host, method and config.)
    AUTO_FOCUS = "#no"
    BINDINGS = [
        Binding("y", "confirm", "Reload", id="reload_confirm"),
        Binding("n,escape", "cancel", "Cancel", id="reload_cancel"),
    ]
    DEFAULT_CSS = """
    ReloadConfirmScreen { align: center middle; }
    ReloadConfirmScreen > Vertical {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        border: thick $warning; border-title-style: bold; background: $surface; padding: 0 1;
    }
    /* at 80x24 a long validation error must not push the buttons off the screen: the plan
       scrolls (its max-height is set from the screen height), the buttons stay docked */
    ReloadConfirmScreen #plan { height: auto; }
    ReloadConfirmScreen #changes { height: auto; max-height: 12; border: round $panel; }
    ReloadConfirmScreen .failed { color: $error; text-style: bold; }
    ReloadConfirmScreen .ok { color: $success; }
    ReloadConfirmScreen #buttons { dock: bottom; height: auto; align-horizontal: right; }
    ReloadConfirmScreen Button { margin-left: 2; }
    """

    def __init__(self, plan: ReloadPlan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        plan = self.plan
        with Vertical() as box:
            box.border_title = "Reload Envoy?" if plan.ready else "Reload refused"
            with VerticalScroll(id="plan", can_focus=False):
                yield Static(
                    f"Host    {plan.host}\nMethod  {plan.method}: {plan.action_text}", markup=False
                )
                yield Static(
                    f"Config  {plan.config_path} (sha256 {plan.config_sha256[:12] or '-'})",
                    markup=False,
                )
                yield self._validation()
                with VerticalScroll(id="changes") as changes:
                    changes.border_title = f"changes ({len(plan.diff)})"
                    yield Static(
                        "\n".join(plan.diff) or "none found in clusters, listeners, admin",
                        markup=False,
                    )
                if plan.refusal:
                    yield Static(f"Refused: {self._refusal()}", classes="failed", markup=False)
            with Horizontal(id="buttons"):
                yield Button("No (n)", id="no", variant="primary")
                yield Button("Yes, reload (y)", id="yes", variant="error", disabled=not plan.ready)
        yield Footer(compact=True)  # the console's footer lists its own keys, not y/n

    def _refusal(self) -> str:
        """The refusal, without repeating a validation error shown just above it."""
        refusal, validation = self.plan.refusal or "", self.plan.validation
        if validation is not None and not validation.ok and validation.summary:
            refusal = refusal.replace(f": {validation.summary}", " (the error above)")
        return refusal

    def _validation(self) -> Static:
        validation = self.plan.validation
        if validation is None:
            return Static("Validation  not run", markup=False)
        word, css = ("OK", "ok") if validation.ok else ("FAILED", "failed")
        text = Content.assemble(("Validation  ", "bold"), f"{word}: {validation.summary}")
        return Static(text, classes=css)

    def on_mount(self) -> None:
        self._fit(self.size.height)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.height)

    def _fit(self, height: int) -> None:
        # a percentage of an auto-height box does not bound it: give the plan the rows left
        # after the box border, the buttons and the footer
        self.query_one("#plan").styles.max_height = max(3, height - CHROME_ROWS)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "yes":
            self.action_confirm()
        else:
            self.dismiss(False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # a refused plan offers no "y Reload" in the footer
        return not (action == "confirm" and not self.plan.ready)

    def action_confirm(self) -> None:
        if self.plan.ready:
            self.dismiss(True)
        else:
            self.app.bell()

    def action_cancel(self) -> None:
        self.dismiss(False)


def reload_handler(
    config: Config, hosts: Mapping[str, Host], *, read_only: bool = False
) -> Callable[[App[Any]], Awaitable[None]]:
    """The console's reload key: plan → this modal → apply or record the cancellation → notify."""

    async def handle(app: App[Any]) -> None:
        app.notify("reload: validating envoy.yaml on the Envoy host…", timeout=3)
        plan = await prepare_reload(config, hosts, read_only=read_only)
        confirmed = await app.push_screen_wait(ReloadConfirmScreen(plan))
        if confirmed or not plan.ready:
            result = await apply_reload(plan, config, hosts)  # a refused plan is audited as such
        else:
            result = await cancel_reload(plan)
        severity = _SEVERITY.get(result.outcome, "error")
        app.notify(
            "\n".join(result.lines()[:6]), title=f"reload {result.outcome}", severity=severity
        )

    return handle
