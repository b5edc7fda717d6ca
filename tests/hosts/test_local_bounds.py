"""LocalHost.run is bounded: endless output stops at OUTPUT_LIMIT (said so), a deadline ends a
command whose output nobody reads, and stderr never blocks a chatty command."""

from __future__ import annotations

import asyncio
import resource

from darc_tui.hosts import LocalHost
from darc_tui.hosts._common import OUTPUT_LIMIT, STDERR_LIMIT


async def test_endless_output_is_cut_at_the_limit_and_said_so() -> None:
    async with asyncio.timeout(30):  # the deadline of the test itself: a hang fails it
        result = await LocalHost().run(["cat", "/dev/zero"], timeout=20)
    assert not result.ok and "larger than 16 MiB" in result.error
    assert len(result.stdout) == OUTPUT_LIMIT
    # the old communicate() kept everything: 0.8-1.3 GB before the deadline
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 400 * 1024


async def test_a_deadline_ends_a_command_that_writes_forever_to_both_streams() -> None:
    argv = ["sh", "-c", "yes err >&2 & exec sleep 60"]
    async with asyncio.timeout(10):
        result = await LocalHost().run(argv, timeout=1)
    assert result.error == "timed out after 1s" and result.exit_status is None


async def test_a_lot_of_stderr_is_drained_and_kept_bounded() -> None:
    argv = ["sh", "-c", "head -c 5000000 /dev/zero | tr '\\0' e >&2; echo done"]
    async with asyncio.timeout(30):
        result = await LocalHost().run(argv, timeout=20)
    assert result.ok and result.stdout == b"done\n"
    assert len(result.stderr) == STDERR_LIMIT


async def test_a_deadline_holds_when_a_child_outside_the_group_keeps_the_pipe() -> None:
    argv = ["sh", "-c", "setsid sleep 4 & echo started"]  # the escaped child holds stdout open
    async with asyncio.timeout(3.5):  # ends before the child does: nobody waited for it
        result = await LocalHost().run(argv, timeout=1)
    assert result.error == "timed out after 1s"
