"""Argument helpers shared by the sub-commands' parsers (standard library only)."""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from darc_tui.config import Config

EXIT_USAGE = 2


def seconds(text: str) -> float:
    """A duration in seconds: a finite number above zero (argparse turns the error into exit 2)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value


def add_config(p: argparse.ArgumentParser) -> None:
    """`-c CONFIG` after the sub-command; `darc-tui -c F check` and `darc-tui check -c F` both work
    (the sub-command's own wins)."""
    p.add_argument("-c", "--config", dest="sub_config", metavar="CONFIG", help="configuration file")


def config_path(args: argparse.Namespace) -> str | None:
    """The configuration file named on the command line, if any (sub-command's -c first)."""
    path = getattr(args, "sub_config", None) or getattr(args, "config", None)
    return str(path) if path else None


def load(args: argparse.Namespace) -> Config:
    """The configuration named on the command line (or found in the default places).

    Raises darc_tui.config.ConfigError; `darc_tui.cli.main` turns it into one line and exit 2."""
    from darc_tui.config import load_config

    return load_config(config_path(args))


def read_only(args: argparse.Namespace) -> bool:
    """`--read-only` given before or after the sub-command."""
    return bool(getattr(args, "read_only", False) or getattr(args, "sub_read_only", False))


def mouse(args: argparse.Namespace) -> bool:
    """False when `--no-mouse` was given before or after the sub-command."""
    return not (getattr(args, "no_mouse", False) or getattr(args, "sub_no_mouse", False))
