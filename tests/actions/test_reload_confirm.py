"""The reload confirm modal (darc_tui/ui/screens/reload_confirm.py) driven by a Textual Pilot."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Button

from darc_tui.actions import audit
from darc_tui.actions.plan import ReloadPlan
from darc_tui.actions.target import Method
from darc_tui.actions.validate import Validation
from darc_tui.ui.screens.reload_confirm import ReloadConfirmScreen, reload_handler
from tests.actions.conftest import WrappedEnvoy, local_hosts

_UNSET = object()


def plan(refusal: str | None = None, diff: tuple[str, ...] = ()) -> ReloadPlan:
    ok = refusal is None
    return ReloadPlan(
        host="edge",
        method=Method.HOT_RESTART,
        config_path="/etc/envoy/envoy.yaml",
        config_sha256="ab" * 32,
        validation=Validation(
            ok,
            "configuration '/etc/envoy/envoy.yaml' OK" if ok else "no such field: 'port_valu'",
            "",
            "envoy --mode validate -c /etc/envoy/envoy.yaml",
        ),
        diff=diff,
        action=("kill", "-HUP", "4242"),
        refusal=refusal,
    )


class Host(App[None]):
    """An app that shows the modal at start and keeps what it returned."""

    def __init__(self, shown: ReloadPlan) -> None:
        super().__init__()
        self.shown = shown
        self.answer: Any = _UNSET

    def on_mount(self) -> None:
        self.push_screen(ReloadConfirmScreen(self.shown), self._keep)

    def _keep(self, answer: bool | None) -> None:
        self.answer = answer


@pytest.mark.parametrize(
    ("key", "answer"), [("n", False), ("escape", False), ("enter", False), ("y", True)]
)
async def test_keys_answer_the_modal_and_the_default_is_no(key: str, answer: bool) -> None:
    app = Host(plan(diff=("cluster backend_cluster health check interval 1s → 2s",)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ReloadConfirmScreen)
        assert isinstance(app.focused, Button) and app.focused.id == "no"

        await pilot.press(key)
        await pilot.pause()

        assert app.answer is answer
        assert not isinstance(app.screen, ReloadConfirmScreen)


async def test_a_refused_plan_cannot_be_confirmed_only_closed() -> None:
    app = Host(plan(refusal="envoy.yaml does not validate: no such field: 'port_valu'"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.query_one("#yes", Button).disabled

        await pilot.press("y")
        await pilot.pause()
        assert app.answer is _UNSET and isinstance(app.screen, ReloadConfirmScreen)

        await pilot.press("escape")
        await pilot.pause()
        assert app.answer is False


async def test_the_modal_shows_host_method_validation_and_changes_with_brackets_intact() -> None:
    change = "listener listener_http route prefix /[v2] → backend_cluster"
    app = Host(plan(diff=(change,)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = " ".join(str(static.render()) for static in app.screen.query("Static"))

    assert "edge" in text and "kill -HUP 4242" in text
    assert "OK: configuration '/etc/envoy/envoy.yaml' OK" in text
    assert change in text  # config text is shown literally, never read as markup


async def test_a_long_validation_error_leaves_the_buttons_on_an_80x24_screen() -> None:
    # Envoy's real message for one misspelled field, as the demo's `i` key produces it
    error = (
        "Protobuf message (type envoy.config.bootstrap.v3.Bootstrap reason INVALID_ARGUMENT: "
        "invalid JSON in envoy.config.bootstrap.v3.Bootstrap @ static_resources.clusters[0]: "
        "message envoy.config.cluster.v3.Cluster, near 1:1602 (offset 1601): no such field: "
        "'lb_polcy') has unknown fields"
    )
    refused = dataclasses.replace(
        plan(refusal=f"envoy.yaml does not validate: {error}", diff=("x",) * 12),
        validation=Validation(False, error, "", "envoy --mode validate"),
    )
    app = Host(refused)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lines = [strip.text for strip in app.screen._compositor.render_strips()]
        text = "\n".join(lines)
        assert "No (n)" in text  # docked: the plan scrolls instead of pushing the buttons away
        assert "Host    edge" in text  # and it starts at its top
        statics = " ".join(str(static.render()) for static in app.screen.query("Static"))
        assert "Refused: envoy.yaml does not validate (the error above)" in statics
        assert lines[-1].strip() == "n Cancel"  # the dialog's own keys; no "y Reload" offered


class Console(App[None]):
    """The console's shape: the reload key runs the handler in a worker."""

    def __init__(self, handler: Callable[[App[Any]], Awaitable[None]]) -> None:
        super().__init__()
        self.handler = handler

    def on_mount(self) -> None:
        self.run_worker(self.handler(self), name="reload", group="reload")


async def until(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


async def test_the_console_handler_reloads_after_y_and_audits(wrapped: WrappedEnvoy) -> None:
    wrapped.rewrite(hc_interval=0.7)
    app = Console(reload_handler(wrapped.config(), local_hosts()))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ReloadConfirmScreen), "the modal")
        modal = app.screen
        assert isinstance(modal, ReloadConfirmScreen)
        assert any("interval 0.7s" in line for line in modal.plan.diff)

        await pilot.press("y")
        await until(pilot, lambda: not app.workers, "the reload to finish")

    assert wrapped.epoch() == 1
    assert [e["outcome"] for e in audit.read()] == ["ok"]
