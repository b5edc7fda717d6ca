"""`darc-tui` with no sub-command: the console on an engine built from the configuration."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from darc_tui.commands import _args

if TYPE_CHECKING:
    from collections.abc import Mapping

    from darc_tui.config import Config
    from darc_tui.hosts.base import Host


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The console's options live on the top-level parser (`darc-tui --read-only`)."""
    p.add_argument("--read-only", action="store_true", help="no host-changing action (reload)")
    p.add_argument("--no-mouse", action="store_true", help="do not enable mouse tracking")
    p.add_argument(
        "--record", metavar="FILE", help="record what the console sees (darc-tui replay FILE)"
    )


def run(args: argparse.Namespace) -> int:
    config = _args.load(args)
    if config.fleet is not None:  # many Envoys: the fleet screen first, enter opens one
        from darc_tui.ui.fleet_command import run_fleet_console

        return run_fleet_console(
            config, read_only=_args.read_only(args), mouse=_args.mouse(args) and config.ui.mouse
        )
    return run_console_for(
        config,
        read_only=_args.read_only(args),
        mouse=_args.mouse(args),
        record=getattr(args, "record", None),
    )


def run_console_for(
    config: Config, *, read_only: bool, mouse: bool, record: str | None = None
) -> int:
    """The console on a fresh engine, with the reload flow unless read-only. The engine is
    built once the first frame is drawn (ui/deferred_engine.py)."""
    from darc_tui.ui.command import run_console
    from darc_tui.ui.deferred_engine import DeferredEngine

    read_only = read_only or config.ui.read_only

    def build() -> Any:
        # the hosts too: darc_tui.hosts imports httpx (a tenth of a second). A bad [hosts] table
        # (unknown or looping jump host) is already one line and exit 2 from load_config.
        from darc_tui.engine import build_engine

        return build_engine(config, with_logs=True)

    engine = DeferredEngine(config, build)
    on_reload = None if read_only else _reload_key(config, engine.hosts)
    recorder = None
    if record:
        from darc_tui.recording.writer import open_recorder

        recorder = open_recorder(record, config, "console")
        if recorder is None:
            return _args.EXIT_USAGE
        engine.subscribe(recorder.snapshot)
    try:
        return int(
            run_console(
                config,
                read_only=read_only,
                mouse=mouse and config.ui.mouse,
                engine=engine,
                on_reload=on_reload,
            )
        )
    finally:
        if recorder is not None:
            recorder.close()


def _reload_key(config: Config, hosts: Mapping[str, Host]) -> Any:
    """The reload key's handler, its modules imported when the key is first pressed."""

    async def handle(app: Any) -> None:
        from darc_tui.ui.screens.reload_confirm import reload_handler

        await reload_handler(config, hosts)(app)

    return handle
