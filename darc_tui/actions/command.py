"""The flow of `darc-tui reload` (parser: darc_tui.commands.reload): the reload without the console.

Prints the plan (validation, what changes, what will run), asks y/N on the terminal (default No)
unless --yes, then applies, verifies and prints the result. Exit status: 0 reloaded and verified
(or a dry run of a plan that may go ahead), 1 refused, failed, unverified or not confirmed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Mapping
from typing import TextIO

from darc_tui.actions import audit
from darc_tui.actions.plan import ReloadPlan, ReloadResult
from darc_tui.actions.reload import apply_reload, cancel_reload, prepare_reload
from darc_tui.config import Config
from darc_tui.hosts import build_hosts
from darc_tui.hosts.base import Host

Ask = Callable[[str], str]


async def reload_command(
    args: argparse.Namespace,
    config: Config,
    *,
    hosts: Mapping[str, Host] | None = None,
    ask: Ask | None = None,
    out: TextIO | None = None,
) -> int:
    """The whole flow for one invocation; `hosts` and `ask` default to the real ones."""
    out = out or sys.stdout
    own_hosts = hosts is None
    active = build_hosts(config) if hosts is None else hosts
    try:
        read_only = getattr(args, "sub_read_only", False) or getattr(args, "read_only", False)
        plan = await prepare_reload(config, active, read_only=read_only)
        _print(out, "Reload plan", *(f"  {line}" for line in plan.lines()))
        if plan.refusal and args.dry_run:
            return 1
        if args.dry_run:
            _print(out, "dry run: nothing was sent")
            return 0
        if plan.refusal or args.yes or await _confirmed(plan, ask, out):
            result = await apply_reload(plan, config, active, timeout=args.timeout)
        else:
            result = await cancel_reload(plan)
        _report(out, result)
        return 0 if result.ok else 1
    finally:
        if own_hosts:
            await asyncio.gather(*(h.close() for h in active.values()), return_exceptions=True)


async def _confirmed(plan: ReloadPlan, ask: Ask | None, out: TextIO) -> bool:
    question = f"Reload Envoy on {plan.host} ({plan.method}: {plan.action_text})? [y/N] "
    if ask is None:
        if not sys.stdin.isatty():
            _print(out, "not confirmed: no terminal to ask on (pass --yes to reload anyway)")
            return False
        ask = input
    try:
        answer = await asyncio.to_thread(ask, question)
    except (EOFError, KeyboardInterrupt):
        answer = ""
    return answer.strip().lower() in ("y", "yes")


def _report(out: TextIO, result: ReloadResult) -> None:
    _print(out, *result.lines(), f"audit log: {audit.audit_path()}")


def _print(out: TextIO, *lines: str) -> None:
    out.write("\n".join(lines) + "\n")
    out.flush()
