"""The Textual console. The only package that imports Textual; it renders engine snapshots."""

from darc_tui.ui.command import run_console

__all__ = ["run_console"]
