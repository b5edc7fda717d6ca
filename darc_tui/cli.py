"""Command line: the console, check, demo, config check, logs, reload, report."""

from __future__ import annotations

import argparse
import sys

from darc_tui import __version__
from darc_tui.config import ConfigError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="darc-tui", description=__doc__)
    p.add_argument("--version", action="version", version=f"darc-tui {__version__}")
    p.add_argument("-c", "--config", help="configuration file (TOML)")
    sub = p.add_subparsers(dest="command")
    check = sub.add_parser("check", help="run every probe headless and print the diagnosis")
    check.add_argument("-c", "--config", dest="sub_config")
    check.add_argument("--json", action="store_true")
    check.add_argument("--watch", type=float, metavar="SECONDS")
    cfg = sub.add_parser("config", help="configuration commands")
    cfg_sub = cfg.add_subparsers(dest="config_command", required=True)
    cfg_check = cfg_sub.add_parser("check", help="validate the configuration")
    cfg_check.add_argument("-c", "--config", dest="sub_config")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command is None:
            print("the console is not built yet", file=sys.stderr)
            return 2
        return 2
    except ConfigError as exc:
        print(f"darc-tui: {exc}", file=sys.stderr)
        return 2
