"""Command line: the console (no sub-command) and the sub-commands of darc_tui.commands.

One tuple lists the sub-command modules; each registers its parser with `add_parser(sub)` and is
run through `run(args) -> int`. Only standard-library modules load for `--help` and usage errors.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from darc_tui import __version__
from darc_tui.commands import (
    _args,
    check,
    config,
    console,
    demo,
    envoy_wrapper,
    fleet,
    logs,
    reload,
    replay,
    report,
    watch,
)

COMMANDS: tuple[ModuleType, ...] = (
    check,
    demo,
    config,
    logs,
    reload,
    report,
    watch,
    replay,
    fleet,
    envoy_wrapper,
)
DEFAULT = console  # no sub-command
_MODULE = "command_module"  # the Namespace attribute naming the chosen module


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="darc-tui",
        description="Live console that finds why Envoy answers 503 while the backend is fine.",
    )
    p.add_argument("--version", action="version", version=f"darc-tui {__version__}")
    p.add_argument("-c", "--config", metavar="CONFIG", help="configuration file (TOML)")
    p.add_argument(
        "--log",
        metavar="FILE",
        help="append darc-tui's own log (tracebacks of internal errors) to FILE",
    )
    DEFAULT.add_arguments(p)
    p.set_defaults(**{_MODULE: DEFAULT})
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        known = set(sub.choices)
        module.add_parser(sub)
        for name in set(sub.choices) - known:  # the sub-parser(s) this module registered
            sub.choices[name].set_defaults(**{_MODULE: module})
    return p


def _glue_since(argv: Sequence[str]) -> list[str]:
    """`--since -10min` as documented: argparse takes `-10min` for an option unless glued with =."""
    out = list(argv)
    for i in range(len(out) - 1):
        if out[i] == "--since" and out[i + 1].startswith("-"):
            out[i : i + 2] = [f"--since={out[i + 1]}"]
            break
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(_glue_since(sys.argv[1:] if argv is None else argv))
    module: ModuleType = getattr(args, _MODULE)
    # after parsing: `--help` and usage errors load the standard library only (≤ 0.3 s)
    from darc_tui import applog
    from darc_tui.config import ConfigError

    try:
        applog.setup(args.log, console=module is DEFAULT or (module is demo and not args.check))
    except OSError as exc:
        print(f"darc-tui: --log {args.log}: cannot write: {exc.strerror}", file=sys.stderr)
        return _args.EXIT_USAGE
    try:
        return int(module.run(args))
    except ConfigError as exc:
        print(f"darc-tui: {exc}", file=sys.stderr)
        return _args.EXIT_USAGE
    except KeyboardInterrupt:
        return 130
