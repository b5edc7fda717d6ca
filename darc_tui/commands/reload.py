"""`darc-tui reload [-c CONFIG] [--dry-run] [--yes]`: the reload flow without the console.

Prints the plan (validation, what changes, what will run), asks y/N on the terminal (default No)
unless --yes, then applies, verifies and prints the result. Exit status: 0 reloaded and verified
(or a dry run of a plan that may go ahead), 1 refused, failed, unverified or not confirmed.
"""

from __future__ import annotations

import argparse
from typing import Any

from darc_tui.commands._args import add_config, load

VERIFY_TIMEOUT = 30.0  # darc_tui.actions.reload.VERIFY_TIMEOUT (a test keeps the two equal)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "reload",
        help="validate envoy.yaml, show what changes, reload Envoy, verify it, audit it",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    add_config(p)
    p.add_argument("--dry-run", action="store_true", help="print the plan and stop")
    p.add_argument("-y", "--yes", action="store_true", help="reload without asking")
    p.add_argument(
        "--read-only",
        action="store_true",
        dest="sub_read_only",  # a subparser default would overwrite `darc-tui --read-only reload`
        help="refuse, as the console's read-only mode",
    )
    p.add_argument(
        "--timeout", type=float, default=VERIFY_TIMEOUT, help="seconds to verify the reload"
    )


def run(args: argparse.Namespace) -> int:
    import asyncio

    from darc_tui.actions.command import reload_command

    config = load(args)
    return asyncio.run(reload_command(args, config))
