"""A long-running remote command that always ends when we stop reading, even as root.

OpenSSH 7.9-9.9 ignore signal requests for root sessions, and closing a channel does not stop a
pipeline that never writes. So the command runs under a "stdin lifeline": a watcher blocks on the
channel's stdin and kills the session's process group when it reaches EOF, which happens when we
close the channel, send EOF, or the connection dies (sshd closes the pipe).
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
from collections.abc import AsyncIterator, Callable, Sequence

import asyncssh

from darc_tui.hosts._common import CLOSE_GRACE, TailBuffer, one_line
from darc_tui.hosts.base import LineStream, shell_join

READ_CHUNK = 64 * 1024

# fd 3 keeps the channel's stdin for the watcher: an async list's own stdin is /dev/null in a
# non-interactive sh. The watcher ignores TERM so it survives its own group kill and can follow
# up with KILL for anything that ignored TERM. sshd made this session its own process group.
_LIFELINE = (
    "exec 3<&0; "
    '{ trap "" TERM; cat <&3 >/dev/null 2>&1; kill -s TERM 0; sleep 1; kill -s KILL 0; } '
    ">/dev/null 2>&1 & watcher=$!; "
    "exec 0</dev/null; "
    "{command} 3<&-; status=$?; "
    'kill -s KILL "$watcher" 2>/dev/null; exit "$status"'
)


def lifeline_command(argv: Sequence[str]) -> str:
    """The remote command text: argv (each element quoted) under the stdin lifeline."""
    return "sh -c " + shlex.quote(_LIFELINE.replace("{command}", shell_join(argv)))


class SshStream(LineStream):
    """stdout chunks of one remote process; stderr collected on the side."""

    def __init__(
        self,
        process: asyncssh.SSHClientProcess[bytes] | None,
        *,
        error: str = "",
        on_close: Callable[[], None] = lambda: None,
    ) -> None:
        self._process = process
        self._error = error
        self._on_close = on_close
        self._stderr = TailBuffer()
        self._closed = False
        self._exit_status: int | None = None
        self._stderr_task: asyncio.Task[None] | None = None
        if process is not None:
            self._stderr_task = asyncio.create_task(self._drain_stderr(process.stderr))

    async def _drain_stderr(self, reader: asyncssh.SSHReader[bytes]) -> None:
        with contextlib.suppress(asyncssh.Error, OSError):
            while chunk := await reader.read(READ_CHUNK):
                self._stderr.add(chunk)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        process = self._process
        if process is None:
            return
        while not self._closed:
            try:
                chunk = await process.stdout.read(READ_CHUNK)
            except (asyncssh.Error, OSError) as exc:
                if not self._closed:
                    self._error = f"connection lost: {one_line(exc)}"
                return
            if not chunk:
                break
            yield chunk
        if not self._closed:
            await self._collect_exit(process)

    async def _collect_exit(self, process: asyncssh.SSHClientProcess[bytes]) -> None:
        with contextlib.suppress(TimeoutError, asyncssh.Error, OSError):
            async with asyncio.timeout(CLOSE_GRACE):
                await process.wait_closed()
                if self._stderr_task is not None:
                    await self._stderr_task
        if process.exit_status is None and process.exit_signal is None:
            self._error = self._error or "connection lost"
        else:
            self._exit_status = process.returncode

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        process = self._process
        try:
            if process is not None:
                # EOF on stdin is the lifeline's signal; closing the channel is the backstop
                with contextlib.suppress(asyncssh.Error, OSError):
                    process.stdin.write_eof()
                process.close()
                with contextlib.suppress(TimeoutError, asyncssh.Error, OSError):
                    async with asyncio.timeout(CLOSE_GRACE):
                        await process.wait_closed()
            if self._stderr_task is not None:
                self._stderr_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._stderr_task
        finally:
            self._on_close()

    @property
    def stderr_text(self) -> str:
        return self._stderr.text()

    @property
    def exit_status(self) -> int | None:
        return self._exit_status

    @property
    def error(self) -> str:
        return self._error
