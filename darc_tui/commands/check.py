"""`darc-tui check [-c CONFIG] [--json] [--watch SECONDS]`: every probe headless, then the
diagnosis (exit 1 when a cause was found)."""

from __future__ import annotations

import argparse
from typing import Any

from darc_tui.commands._args import add_config, load, seconds


def add_parser(sub: Any) -> None:
    p = sub.add_parser("check", help="run every probe headless and print the diagnosis")
    add_config(p)
    p.add_argument("--json", action="store_true", help="one JSON object (per change with --watch)")
    p.add_argument(
        "--watch",
        type=seconds,
        metavar="SECONDS",
        help="keep probing for SECONDS, print each change",
    )
    p.add_argument("--record", metavar="FILE", help="record the run (replay with darc-tui replay)")


def run(args: argparse.Namespace) -> int:
    import asyncio

    from darc_tui.check import run_check

    config = load(args)
    return asyncio.run(run_check(config, as_json=args.json, watch=args.watch, record=args.record))
