"""`darc-tui demo [--check]`: the console (or the headless fault tour) on the embedded lab."""

from __future__ import annotations

import argparse
from typing import Any

from darc_tui.commands import _args


def add_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help="the console on the embedded lab (a real local Envoy)")
    p.add_argument("--check", action="store_true", help="headless: run each fault, print check")
    p.add_argument(
        "--fleet",
        action="store_true",
        help="the fleet screen: three real Envoys and a real Prometheus (needs prometheus)",
    )
    p.add_argument("--read-only", action="store_true", dest="sub_read_only")
    p.add_argument("--no-mouse", action="store_true", dest="sub_no_mouse")


def run(args: argparse.Namespace) -> int:
    if args.fleet:
        from darc_tui.demo.fleet_demo import run_fleet_demo

        return run_fleet_demo(read_only=_args.read_only(args), mouse=_args.mouse(args))
    from darc_tui.demo.command import run_demo

    return run_demo(
        headless_check=args.check, read_only=_args.read_only(args), mouse=_args.mouse(args)
    )
