"""`darc-tui envoy-wrapper [WRAPPER OPTIONS] -- envoy ARGS`: run Envoy under the safe hot-restart
wrapper (darc_tui.actions.wrapper).

Every word after `envoy-wrapper` belongs to the wrapper, dashes included: the sub-parser has no
option prefix of its own (prefix_chars is a character no argument contains), so argparse hands
`--base-id`, `--help` or `--` through untouched instead of reading them as its own options.
"""

from __future__ import annotations

import argparse
from typing import Any

NO_OPTIONS = "\0"  # no command-line word can start with NUL


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "envoy-wrapper",
        help="run Envoy under darc-tui's safe hot-restart wrapper",
        add_help=False,
        prefix_chars=NO_OPTIONS,
    )
    p.add_argument("wrapper_args", nargs=argparse.REMAINDER)


def run(args: argparse.Namespace) -> int:
    from darc_tui.actions.wrapper import main

    return int(main(args.wrapper_args))
