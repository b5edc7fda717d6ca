"""[ui] keymap remaps darc-tui's keys by binding id, and no key means two things on one screen."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.dom import DOMNode
from textual.widget import Widget

from darc_tui.config import ConfigError, load_config
from darc_tui.demo.console import fault_bindings
from darc_tui.ui.app import DarcApp
from tests.ui import scenarios
from tests.ui.fakes import FakeEngine

# a widget may take over an app key for the same meaning (enter on a cause opens its details)
SAME_MEANING = {frozenset({"details", "select"}), frozenset({"details", "select_cursor"})}


def _own_bindings(node: DOMNode) -> Iterable[Binding]:
    """The bindings darc-tui itself declares on this node's classes (not Textual's built-ins)."""
    for cls in type(node).__mro__:
        if cls.__module__.startswith("darc_tui") and "BINDINGS" in cls.__dict__:
            yield from (b for b in cls.__dict__["BINDINGS"] if isinstance(b, Binding))


def _clashes(chain: list[DOMNode], keymap: dict[str, str], extra: list[Binding]) -> list[str]:
    actions: dict[str, set[str]] = {}
    for node in chain:
        for b in [*_own_bindings(node), *(extra if node is chain[-1] else [])]:
            keys = keymap.get(b.id or "", b.key)
            for key in keys.split(","):
                actions.setdefault(key.strip(), set()).add(b.action)
    return [
        f"{key}: {sorted(acts)}"
        for key, acts in actions.items()
        if len(acts) > 1 and frozenset(acts) not in SAME_MEANING
    ]


async def _clashes_on_every_focus(app: DarcApp, extra: list[Binding]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        focusable = [w for w in app.screen.walk_children(Widget) if w.focusable]
        assert len(focusable) >= 4  # the panes and their tables/logs
        for widget in focusable:
            widget.focus()
            await pilot.pause()
            chain = list(widget.ancestors_with_self)
            assert chain[-1] is app
            clashes = _clashes(chain, dict(app._keymap), extra)
            if clashes:
                found[f"{type(widget).__name__}#{widget.id}"] = clashes
    return found


@pytest.mark.parametrize("demo", [False, True], ids=["console", "demo"])
async def test_no_two_bindings_active_on_one_screen_share_a_key(demo: bool) -> None:
    app = DarcApp(FakeEngine(scenarios.config()), clock=scenarios.clock)
    assert await _clashes_on_every_focus(app, fault_bindings() if demo else []) == {}


async def test_the_check_finds_a_clash_a_keymap_makes() -> None:
    # `k` for reload collides with the log view's "line up" once the logs are focused
    config = dataclasses.replace(
        scenarios.config(), ui=dataclasses.replace(scenarios.config().ui, keymap={"reload": "k"})
    )
    app = DarcApp(FakeEngine(config), clock=scenarios.clock)
    found = await _clashes_on_every_focus(app, [])
    assert any("k: ['reload', 'select_line(-1)']" in c for cs in found.values() for c in cs)


async def test_keymap_moves_a_key_and_unknown_ids_are_a_notice() -> None:
    config = dataclasses.replace(
        scenarios.config(),
        ui=dataclasses.replace(scenarios.config().ui, keymap={"timeline": "f6", "nope": "f7"}),
    )
    app = DarcApp(FakeEngine(config), clock=scenarios.clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        notices = [n.message for n in app._notifications]
        assert any("no binding has the id nope" in m for m in notices), notices
        await pilot.press("h")  # the old key does nothing now
        await pilot.pause()
        assert len(app.screen_stack) == 1
        await pilot.press("f6")
        await pilot.pause()
        assert len(app.screen_stack) == 2  # the timeline


def test_keymap_in_the_config_file(tmp_path: Path) -> None:
    base = '[envoy]\nadmin_url = "http://127.0.0.1:9901"\n[backend]\nurl = "http://127.0.0.1:1"\n'
    good = tmp_path / "good.toml"
    good.write_text(base + '[ui]\nkeymap = { reload = "f5", pane_1 = "f1,1" }\n')
    assert dict(load_config(good).ui.keymap) == {"reload": "f5", "pane_1": "f1,1"}
    bad = tmp_path / "bad.toml"
    bad.write_text(base + '[ui]\nkeymap = { reload = "ctrl r" }\n')
    with pytest.raises(ConfigError) as err:
        load_config(bad)
    assert str(err.value).startswith(f"{bad}:6: ui.keymap: reload: expected key names")
