"""Command palette (`:` / ctrl+p): the console's key bindings, searchable by what they do."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.actions import parse as parse_action
from textual.command import DiscoveryHit, Hit, Hits, Provider

from darc_tui.ui.keys import BINDINGS

_NOT_IN_PALETTE = {"command_palette", "escape", "app.focus_next", "app.focus_previous"}


class ConsoleCommands(Provider):
    """One hit per bound action that is allowed right now (reload hides when read-only)."""

    def _commands(self) -> Iterator[tuple[str, str, str]]:
        seen: set[str] = set()
        for binding in BINDINGS:
            if binding.action in _NOT_IN_PALETTE or binding.action in seen:
                continue
            seen.add(binding.action)
            _, name, params = parse_action(binding.action)
            # the palette itself is a screen on top, so ask what the console offers, not
            # what the keys may do while a dialog is open
            allows = getattr(self.app, "allows", None)
            if not (allows(name) if allows else self.app.check_action(name, params)):
                continue
            key = self.app.get_key_display(binding)
            yield binding.description, f"key: {key}", binding.action

    async def discover(self) -> Hits:
        for text, help_text, action in self._commands():
            yield DiscoveryHit(text, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, action in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(text),
                    partial(self.app.run_action, action),
                    text=text,
                    help=help_text,
                )
