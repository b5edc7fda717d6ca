"""`darc-tui fleet [-c CONFIG] [--json]`: the fleet verdict from Prometheus (two samples)."""

from __future__ import annotations

import argparse

EXIT_OK, EXIT_CAUSES, EXIT_USAGE = 0, 1, 2


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("fleet", help="the Envoy fleet from Prometheus: worst first, causes")
    p.add_argument("-c", "--config", dest="sub_config", metavar="CONFIG", help="configuration file")
    p.add_argument("--json", action="store_true", help="one JSON object")


def run(args: argparse.Namespace) -> int:
    import asyncio
    import sys

    from darc_tui.config import ConfigError, load_config
    from darc_tui.fleet.report import one_shot

    try:
        config = load_config(getattr(args, "sub_config", None) or getattr(args, "config", None))
    except ConfigError as exc:
        print(f"darc-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if config.fleet is None:
        where = config.source or "the configuration"
        print(
            f"darc-tui: fleet: {where} has no [fleet] section (prometheus_url, job, …; "
            "see config.example.toml)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return asyncio.run(one_shot(config, as_json=args.json, out=sys.stdout, err=sys.stderr))
