"""Commands and streams on their own exec sessions: the route for hosts without python3 (busybox),
or after the multiplexer ended. Every session is taken from the link's `max_sessions` budget."""

from __future__ import annotations

import asyncio

import asyncssh

from darc_tui.hosts._common import (
    CLOSE_GRACE,
    OUTPUT_LIMIT,
    STDERR_LIMIT,
    elapsed_ms,
    one_line,
    read_capped,
    timed_out,
    too_large,
)
from darc_tui.hosts.base import CommandResult, shell_join
from darc_tui.hosts.ssh_link import Link
from darc_tui.hosts.ssh_mux import Mux, MuxResult
from darc_tui.hosts.ssh_stream import SshStream, lifeline_command

REMOTE_KILL_AFTER = 1  # seconds between the remote timeout's TERM and its KILL


def busy(timeout: float, max_sessions: int) -> str:
    return f"{timed_out(timeout)} waiting for a free SSH session ({max_sessions} in use)"


async def run_over_mux(
    mux: Mux, args: tuple[str, ...], timeout: float, input: bytes | None, start: float
) -> CommandResult:
    try:
        result: MuxResult = await mux.run(args, timeout=timeout, input=input)
    except Exception as exc:  # MuxError: the helper went away mid-command
        return CommandResult(
            args, None, error=f"connection lost: {exc}", duration_ms=elapsed_ms(start)
        )
    duration = elapsed_ms(start)
    if result.truncated:  # the helper kept the first OUTPUT_LIMIT bytes: say so, never use half
        error = too_large(OUTPUT_LIMIT)
        return CommandResult(args, None, result.stdout, result.stderr, error, duration)
    if result.timed_out:
        return CommandResult(args, None, result.stdout, result.stderr, timed_out(timeout), duration)
    return CommandResult(args, result.status, result.stdout, result.stderr, duration_ms=duration)


async def run_in_session(
    link: Link, args: tuple[str, ...], timeout: float, input: bytes | None, start: float
) -> CommandResult:
    """One exec session; the remote `timeout` (when the host has it) ends the command by itself:
    asyncssh's timeout alone would leave it running and holding a MaxSessions slot."""
    command = shell_join(args)
    if link.caps.has("timeout"):
        command = f"timeout -k {REMOTE_KILL_AFTER} {timeout:g} {command}"
    error = ""
    try:
        async with asyncio.timeout(timeout + REMOTE_KILL_AFTER + CLOSE_GRACE):
            status, out, err, cut = await _run_process(link.conn, command, input)
    except TimeoutError:
        error = timed_out(timeout)
    except asyncssh.ChannelOpenError as exc:
        error = f"cannot open an SSH session: {exc.reason}"
    except (asyncssh.Error, OSError) as exc:
        error = f"connection lost: {one_line(exc)}"
    duration = elapsed_ms(start)
    if error:
        return CommandResult(args, None, error=error, duration_ms=duration)
    if cut:  # e.g. `cat` of a remote /dev/zero: bounded, and said so
        return CommandResult(args, None, out, err, too_large(OUTPUT_LIMIT), duration)
    if status in (124, 128 + 9) and duration >= timeout * 1000 * 0.9:
        return CommandResult(args, None, out, err, timed_out(timeout), duration)
    return CommandResult(args, status, out, err, duration_ms=duration)


async def _run_process(
    conn: asyncssh.SSHClientConnection, command: str, input: bytes | None
) -> tuple[int | None, bytes, bytes, bool]:
    """(exit status, stdout up to OUTPUT_LIMIT, stderr's head, whether stdout was cut)."""
    async with conn.create_process(command, encoding=None) as process:
        if input:
            process.stdin.write(input)
        process.stdin.write_eof()  # commands that read stdin must not wait for more

        async def read_stdout() -> tuple[bytes, bool]:
            out, cut = await read_capped(process.stdout, OUTPUT_LIMIT)
            if cut:  # stop the remote side now (communicate() kept everything: GBs)
                process.close()
            return out, cut

        (out, cut), (err, _) = await asyncio.gather(
            read_stdout(), read_capped(process.stderr, STDERR_LIMIT, drain=True)
        )
        if not cut:
            await process.wait_closed()
        return process.returncode, out, err, cut


async def stream_in_session(link: Link, argv: tuple[str, ...], wait: float) -> SshStream:
    """A follower on its own session (under the stdin lifeline), or an ended stream saying why."""
    if not await link.acquire(wait):
        return SshStream(None, error=f"no free SSH session ({link.sessions_total} in use)")
    try:
        async with asyncio.timeout(wait):
            process = await link.conn.create_process(lifeline_command(argv), encoding=None)
    except (TimeoutError, asyncssh.Error, OSError) as exc:
        link.release()
        reason = exc.reason if isinstance(exc, asyncssh.ChannelOpenError) else one_line(exc)
        return SshStream(None, error=f"cannot start: {reason}")
    return SshStream(process, on_close=link.release)
