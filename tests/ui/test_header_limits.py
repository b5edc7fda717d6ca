"""A minimal remote host (no curl, no python3, …) says so in the header at 80x24: `edge ✓ up
(limited: no …)`, from the limits `check --json` lists for it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from darc_tui.hosts.ssh_link import Capabilities
from darc_tui.model import HostState
from darc_tui.ui.app import DarcApp
from darc_tui.ui.panes.header import limits_words
from tests.ui import scenarios
from tests.ui.conftest import screen_text
from tests.ui.fakes import FakeEngine

MakeApp = Callable[..., tuple[DarcApp, FakeEngine]]


def busybox_limits() -> tuple[str, ...]:
    """What the SSH layer reports for a busybox-like host: forwarding on, no python3/curl/bash."""
    return Capabilities(forwarding=True, tools=frozenset({"ss", "iptables", "journalctl"})).limits()


def test_limit_sentences_become_the_missing_tools() -> None:
    bare = Capabilities(forwarding=False, tools=frozenset({"ss"})).limits()
    assert limits_words(bare) == "no python3/forwarding/curl/bash/iptables/nft/journalctl"
    assert limits_words(busybox_limits()) == "no python3"
    assert limits_words(bare, most=2) == "no python3/forwarding +5"
    assert limits_words(()) == ""


async def test_header_shows_what_a_limited_host_cannot_do(make_app: MakeApp) -> None:
    app, engine = make_app()
    limits = Capabilities(forwarding=False, tools=frozenset({"bash", "ss", "iptables"})).limits()
    hosts = (HostState("edge", "ssh", True, limits=limits),)
    engine.publish(dataclasses.replace(scenarios.healthy(), hosts=hosts))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "edge ✓ up (limited: no python3/forwarding +2)" in text, text


async def test_a_host_without_limits_is_just_up(make_app: MakeApp) -> None:
    app, engine = make_app()
    engine.publish(
        dataclasses.replace(scenarios.healthy(), hosts=(HostState("edge", "ssh", True),))
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "edge ✓ up" in text and "limited" not in text, text
