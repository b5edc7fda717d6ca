"""A recording LogSink and polling helpers shared by the follower tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

from darc_tui.model import Evidence, LogRecord


class RecordingSink:
    """Collects what a follower delivers, in order."""

    def __init__(self) -> None:
        self.got: list[LogRecord] = []
        self.seen: list[Evidence] = []

    def records(self, records: Sequence[LogRecord]) -> None:
        self.got.extend(records)

    def evidence(self, ev: Evidence) -> None:
        self.seen.append(ev)

    def lines(self) -> list[str]:
        return [r.line for r in self.got if not r.gap]

    def gaps(self) -> list[LogRecord]:
        return [r for r in self.got if r.gap]

    def details(self) -> list[str]:
        return [e.detail for e in self.seen]


async def until(cond: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Poll `cond` until it holds; fail with `what` at the deadline (never a blind sleep)."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def running(coro_factory: Callable[[], object]) -> AsyncIterator[asyncio.Task[None]]:
    """Run a follower's follow() as a task for the block, then cancel it."""
    task: asyncio.Task[None] = asyncio.create_task(coro_factory())  # type: ignore[arg-type]
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def tails_reading(path: Path) -> list[int]:
    """Pids of `tail` processes that hold `path` open on fd 3 (our follower's shape)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() != "tail":
                continue
            if os.readlink(f"/proc/{pid}/fd/3").removesuffix(" (deleted)") in (
                str(path),
                str(path) + ".1",
            ):
                found.append(int(pid))
        except OSError:
            continue
    return found


def append(path: Path, data: bytes) -> None:
    with path.open("ab") as f:
        f.write(data)
