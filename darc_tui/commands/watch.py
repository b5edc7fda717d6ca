"""`darc-tui watch`: the deploy gate for pipelines — watch for a while, then one verdict.

Exit 0 when the deploy held (no regression, no cause at the end), 1 otherwise, 2 for usage or
configuration errors.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from darc_tui.commands._args import add_config, load, seconds

EXIT_HELD, EXIT_REGRESSED, EXIT_USAGE = 0, 1, 2


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a share between 0 and 1, got {text!r}"
        ) from None
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1, got {text!r}")
    return value


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "watch", help="deploy gate: watch for SECONDS, say whether the deploy held (exit 0/1)"
    )
    add_config(p)
    p.add_argument(
        "--for", dest="duration", type=seconds, required=True, metavar="SECONDS",
        help="how long to watch",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.add_argument(
        "--max-5xx-rate", type=_rate, default=None, metavar="R",
        help="a 5xx share (0..1) above this after a deploy is a regression (default: "
        "[deploy] max_5xx_rate, 0.01)",
    )  # fmt: skip
    p.add_argument("--record", metavar="FILE", help="record the run (replay with darc-tui replay)")


def run(args: argparse.Namespace) -> int:
    import asyncio
    import dataclasses

    from darc_tui.deploy.gate import watch

    config = load(args)
    if args.max_5xx_rate is not None:
        deploy = dataclasses.replace(config.deploy, max_5xx_rate=args.max_5xx_rate)
        config = dataclasses.replace(config, deploy=deploy)
    return asyncio.run(watch(config, args.duration, as_json=args.json, record=args.record))
