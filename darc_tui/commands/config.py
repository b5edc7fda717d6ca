"""`darc-tui config check [-c CONFIG]`: validate the configuration and the envoy.yaml it names."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from darc_tui.commands._args import EXIT_USAGE, add_config, config_path

USAGE = "darc-tui: usage: darc-tui config check [-c CONFIG]"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("config", help="configuration commands")
    cfg_sub = p.add_subparsers(dest="config_command", metavar="SUBCOMMAND")
    add_config(cfg_sub.add_parser("check", help="validate the configuration and envoy.yaml"))


def run(args: argparse.Namespace) -> int:
    if args.config_command != "check":
        print(USAGE, file=sys.stderr)
        return EXIT_USAGE
    from darc_tui.config_check import run_config_check

    return run_config_check(config_path(args))
