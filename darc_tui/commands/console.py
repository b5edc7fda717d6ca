"""`darc-tui` with no sub-command: the console on an engine built from the configuration."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from darc_tui.commands import _args

if TYPE_CHECKING:
    from darc_tui.config import Config


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The console's options live on the top-level parser (`darc-tui --read-only`)."""
    p.add_argument("--read-only", action="store_true", help="no host-changing action (reload)")
    p.add_argument("--no-mouse", action="store_true", help="do not enable mouse tracking")


def run(args: argparse.Namespace) -> int:
    config = _args.load(args)
    if config.fleet is not None:  # many Envoys: the fleet screen first, enter opens one
        from darc_tui.ui.fleet_command import run_fleet_console

        return run_fleet_console(
            config, read_only=_args.read_only(args), mouse=_args.mouse(args) and config.ui.mouse
        )
    return run_console_for(config, read_only=_args.read_only(args), mouse=_args.mouse(args))


def run_console_for(config: Config, *, read_only: bool, mouse: bool) -> int:
    """The console on a fresh engine, with the reload flow unless read-only."""
    from darc_tui.engine import build_engine
    from darc_tui.ui.command import run_console

    read_only = read_only or config.ui.read_only
    engine = build_engine(config, with_logs=True)
    on_reload = None
    if not read_only:
        from darc_tui.ui.screens.reload_confirm import reload_handler

        on_reload = reload_handler(config, engine.hosts)
    return int(
        run_console(
            config,
            read_only=read_only,
            mouse=mouse and config.ui.mouse,
            engine=engine,
            on_reload=on_reload,
        )
    )
