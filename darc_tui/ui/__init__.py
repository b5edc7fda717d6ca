"""The Textual console. The only package that imports Textual; it renders engine snapshots.

Nothing is imported here: `darc_tui.ui.layout` or `.keys` must not pull in the whole app (the
console's first frame imports only what it draws)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from darc_tui.ui.command import run_console

__all__ = ["run_console"]


def __getattr__(name: str) -> Any:
    if name == "run_console":
        from darc_tui.ui.command import run_console

        return run_console
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
