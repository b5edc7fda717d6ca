"""Command line: the console, check, demo, config check, logs, reload, report, envoy-wrapper."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Sequence

from darc_tui import __version__
from darc_tui.cli_types import seconds
from darc_tui.config import Config, ConfigError, load_config

EXIT_USAGE = 2
# sub-commands that live beside their package: each module has add_parser(sub) and run(args, config)
SUBCOMMAND_MODULES = {
    "logs": "darc_tui.logs.command",
    "reload": "darc_tui.actions.command",
    "report": "darc_tui.report_command",
}
# sub-commands after the shared convention: add_parser(sub) and run(args) -> int
COMMAND_MODULES = {
    "watch": "darc_tui.commands.watch",
}


def _add_config(p: argparse.ArgumentParser) -> None:
    # accepted both before and after the sub-command: `darc-tui -c F check` and `darc-tui check -c F`
    p.add_argument("-c", "--config", dest="sub_config", metavar="CONFIG", help="configuration file")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="darc-tui",
        description="Live console that finds why Envoy answers 503 while the backend is fine.",
    )
    p.add_argument("--version", action="version", version=f"darc-tui {__version__}")
    p.add_argument("-c", "--config", metavar="CONFIG", help="configuration file (TOML)")
    p.add_argument("--read-only", action="store_true", help="no host-changing action (reload)")
    p.add_argument("--no-mouse", action="store_true", help="do not enable mouse tracking")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="run every probe headless and print the diagnosis")
    _add_config(check)
    check.add_argument(
        "--json", action="store_true", help="one JSON object (per change with --watch)"
    )
    check.add_argument(
        "--watch",
        type=seconds,
        metavar="SECONDS",
        help="keep probing for SECONDS, print each change",
    )

    demo = sub.add_parser("demo", help="the console on the embedded lab (a real local Envoy)")
    demo.add_argument("--check", action="store_true", help="headless: run each fault, print check")
    demo.add_argument("--read-only", action="store_true", dest="sub_read_only")
    demo.add_argument("--no-mouse", action="store_true", dest="sub_no_mouse")

    cfg = sub.add_parser("config", help="configuration commands")
    cfg_sub = cfg.add_subparsers(dest="config_command", metavar="SUBCOMMAND")
    _add_config(cfg_sub.add_parser("check", help="validate the configuration and envoy.yaml"))

    for module in (*SUBCOMMAND_MODULES.values(), *COMMAND_MODULES.values()):
        importlib.import_module(module).add_parser(sub)
    wrapper = sub.add_parser(
        "envoy-wrapper", help="run Envoy under darc-tui's safe hot-restart wrapper", add_help=False
    )
    wrapper.add_argument("wrapper_args", nargs=argparse.REMAINDER)
    return p


def _config(args: argparse.Namespace) -> Config:
    return load_config(getattr(args, "sub_config", None) or args.config)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["envoy-wrapper"]:
        # everything after the word belongs to the wrapper (argparse would eat its options)
        from darc_tui.actions.wrapper import main as wrapper_main

        return int(wrapper_main(argv[1:]))
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except ConfigError as exc:
        print(f"darc-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    cmd = args.command
    if cmd == "demo":
        from darc_tui.demo.command import run_demo

        return run_demo(
            headless_check=args.check,
            read_only=args.read_only or args.sub_read_only,
            mouse=not (args.no_mouse or args.sub_no_mouse),
        )
    if cmd == "config":
        if args.config_command != "check":
            print("darc-tui: usage: darc-tui config check [-c CONFIG]", file=sys.stderr)
            return EXIT_USAGE
        from darc_tui.config_check import run_config_check

        return run_config_check(getattr(args, "sub_config", None) or args.config)
    if cmd == "check":
        config = _config(args)
        from darc_tui.check import run_check

        return asyncio.run(run_check(config, as_json=args.json, watch=args.watch))
    if cmd in COMMAND_MODULES:
        return int(importlib.import_module(COMMAND_MODULES[cmd]).run(args))
    if cmd in SUBCOMMAND_MODULES:
        config = _config(args)
        mod = importlib.import_module(SUBCOMMAND_MODULES[cmd])
        return int(asyncio.run(mod.run(args, config)))
    # no sub-command: the console
    config = _config(args)
    return run_console_for(config, read_only=args.read_only, mouse=not args.no_mouse)


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
