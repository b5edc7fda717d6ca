"""Polling helpers for host tests: wait for a condition with a deadline, find processes by marker."""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable


async def wait_until(
    condition: Callable[[], bool | Awaitable[bool]], *, timeout: float = 10.0, what: str = ""
) -> None:
    """Poll `condition` every 50 ms until it holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if not isinstance(value, bool):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {what}")
        await asyncio.sleep(0.05)


def marker_seconds() -> str:
    """A unique, valid `sleep` argument that makes the process findable with pgrep -f."""
    return f"{1000 + uuid.uuid4().int % 100000}.{uuid.uuid4().int % 10**6:06d}"


def pids_matching(pattern: str) -> list[int]:
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]
