"""Small pieces both host kinds share: deadlines in words, bounded stderr, TCP error wording."""

from __future__ import annotations

import errno
import time
from typing import Protocol

from darc_tui.sanitize import clean_block

OUTPUT_LIMIT = 16 * 1024 * 1024  # bytes of stdout one command may return; more ends the command
STDERR_LIMIT = 16 * 1024  # bytes of stderr kept per stream: enough for the reason, bounded
CLOSE_GRACE = 2.0  # seconds a process or channel gets to end after we asked it to


def elapsed_ms(start: float) -> float:
    return (time.monotonic() - start) * 1000.0


def timed_out(timeout: float) -> str:
    return f"timed out after {timeout:g}s"


class TailBuffer:
    """Keeps the last `limit` bytes written to it (stderr of a long-running command)."""

    def __init__(self, limit: int = STDERR_LIMIT) -> None:
        self.limit = limit
        self._data = bytearray()

    def add(self, chunk: bytes) -> None:
        self._data += chunk
        if len(self._data) > self.limit:
            del self._data[: len(self._data) - self.limit]

    def text(self) -> str:
        return clean_block(self._data.decode("utf-8", "replace"))


_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}


def classify_os_error(exc: BaseException) -> str:
    """OSError from a TCP connect → "refused" | "timeout" | "unreachable" | one-line reason."""
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, OSError) and exc.errno in _UNREACHABLE:
        return "unreachable"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return one_line(exc)


def one_line(exc: BaseException) -> str:
    """An exception as one short line: its message, else its type name."""
    text = " ".join(str(exc).split())
    return text[:300] if text else type(exc).__name__


class _Reader(Protocol):
    async def read(self, n: int = -1, /) -> bytes: ...


async def read_capped(reader: _Reader, limit: int, *, drain: bool = False) -> tuple[bytes, bool]:
    """(up to `limit` bytes, True when there was more). With `drain`, the rest is read and dropped
    (a writer blocked on a full pipe never ends); without, reading stops at the limit."""
    data = bytearray()
    cut = False
    while chunk := await reader.read(64 * 1024):
        room = limit - len(data)
        if len(chunk) > room:
            data += chunk[:room]
            cut = True
            if not drain:
                break
        elif not cut:
            data += chunk
    return bytes(data), cut


def too_large(limit: int) -> str:
    return f"output larger than {limit // (1024 * 1024)} MiB: stopped reading"
