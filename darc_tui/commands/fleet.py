"""`darc-tui fleet [-c CONFIG] [--json]`: the fleet verdict from Prometheus (two samples one
refresh apart; exit 1 when a fleet cause was found, 2 without [fleet] or Prometheus)."""

from __future__ import annotations

import argparse
from typing import Any

from darc_tui.commands._args import EXIT_USAGE, add_config, load


def add_parser(sub: Any) -> None:
    p = sub.add_parser("fleet", help="the Envoy fleet from Prometheus: worst first, causes")
    add_config(p)
    p.add_argument("--json", action="store_true", help="one JSON object")


def run(args: argparse.Namespace) -> int:
    import asyncio
    import sys

    from darc_tui.fleet.report import one_shot

    config = load(args)
    if config.fleet is None:
        where = config.source or "the configuration"
        print(
            f"darc-tui: fleet: {where} has no [fleet] section (prometheus_url, job, …; "
            "see config.example.toml)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return asyncio.run(one_shot(config, as_json=args.json, out=sys.stdout, err=sys.stderr))
