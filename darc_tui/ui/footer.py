"""The key footer, rebuilt only when the keys it lists change.

Textual's Footer recomposes (about a dozen widgets mounted, styled and laid out) every time the
screen's bindings are refreshed, which is every focus change, even when the keys it shows stay the
same: moving between the Logs pane's sources did it two to four times per key press.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Footer


class KeyFooter(Footer):
    """A Footer that skips a recompose when the keys it would list are the ones on screen."""

    def __init__(self, *, compact: bool = False) -> None:
        super().__init__(compact=compact)
        self._listed: tuple[Any, ...] | None = None

    def _listing(self) -> tuple[Any, ...]:
        """Everything Footer.compose reads: the shown bindings and the footer's own options."""
        palette = self.app.COMMAND_PALETTE_BINDING
        keys = tuple(
            (binding, self.app.get_key_display(binding), enabled, tooltip)
            for key, (_, binding, enabled, tooltip) in self.screen.active_bindings.items()
            if binding.show or key == palette
        )
        return (
            keys,
            self.compact,
            self.show_command_palette,
            self.combine_groups,
            self.app.ENABLE_COMMAND_PALETTE,
        )

    async def recompose(self) -> None:
        if not self.is_attached:
            return
        listing = self._listing()
        if listing == self._listed:
            return
        self._listed = listing
        await super().recompose()
