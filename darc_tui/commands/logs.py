"""`darc-tui logs [-c CONFIG] SOURCE [--json] [--since WHEN]`: follow one log source headless."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from darc_tui.commands._args import add_config, load

if TYPE_CHECKING:
    from darc_tui.config import Config

# the followed sources (darc_tui.logs.sources.SOURCES; a test keeps the two equal)
SOURCES = ("access", "error", "journal")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("logs", help="follow one log source headless (access, error or journal)")
    add_config(p)
    p.add_argument("source", choices=SOURCES, help="which log to follow")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument(
        "--since",
        default="",
        metavar="WHEN",
        help="start earlier: -10min, -2h, or '2026-11-25 16:00' (files are read from their "
        "first byte and filtered by each line's own time)",
    )


def run(args: argparse.Namespace) -> int:
    import asyncio

    return asyncio.run(_follow(args, load(args)))


async def _follow(args: argparse.Namespace, config: Config) -> int:
    from darc_tui.hosts import build_hosts
    from darc_tui.logs.command import follow_command

    hosts = build_hosts(config)
    try:
        return await follow_command(args, config, hosts)
    finally:
        for host in hosts.values():
            await host.close()
