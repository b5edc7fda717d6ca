"""The one interface for "where a command or connection runs": the jump box itself or an SSH host."""

from __future__ import annotations

import asyncio
import shlex
import ssl
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

import httpx

from darc_tui.errors import ErrorKind
from darc_tui.model import HostState
from darc_tui.sanitize import clean_block


class HostError(Exception):
    """The host itself cannot be used (unreachable, auth failed, host key unknown). One line."""

    error_kind = ErrorKind.HOST_DOWN  # errors.classify reads it anywhere in an exception chain


HOST_DOWN = "host down:"  # how results start when the host (not the target) was unusable


def host_down(error: str) -> bool:
    """True when a result's error means the check never ran because its host is unusable."""
    return error.startswith(HOST_DOWN)


@dataclass(frozen=True, slots=True)
class CommandResult:
    """The outcome of one command. Never raised: failures are values (`error` says why)."""

    argv: tuple[str, ...]
    exit_status: int | None  # None when the command never ran or was killed by a deadline
    stdout: bytes = b""
    stderr: bytes = b""
    error: str = ""  # "" when the command ran; else e.g. "timed out after 2.0s", "host down: …"
    duration_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.error and self.exit_status == 0

    @property
    def ran(self) -> bool:
        return not self.error

    def text(self) -> str:
        return clean_block(self.stdout.decode("utf-8", "replace"))

    def err_text(self) -> str:
        return clean_block(self.stderr.decode("utf-8", "replace").strip())

    def why(self) -> str:
        """One line saying why it failed, for evidence."""
        if self.error:
            return self.error
        msg = self.err_text().splitlines()
        tail = msg[-1] if msg else ""
        return f"exit {self.exit_status}" + (f": {tail}" if tail else "")


@dataclass(frozen=True, slots=True)
class TcpResult:
    """A plain TCP connect attempt (the runbook's `nc -zv host port`)."""

    host: str
    port: int
    ok: bool
    connect_ms: float | None = None
    error: str = ""  # "refused", "timeout", "unreachable", or the raw reason
    via: str = ""  # "socket", "ssh direct-tcpip", "remote bash /dev/tcp"
    observed_at: float = field(default_factory=time.time)
    error_kind: ErrorKind | None = None  # set where the error happened; None when ok


class LineStream(ABC):
    """Raw output of a long-running command, as bytes chunks; closing it ends the command."""

    @abstractmethod
    def __aiter__(self) -> AsyncIterator[bytes]: ...

    @abstractmethod
    async def close(self) -> None: ...

    @property
    @abstractmethod
    def stderr_text(self) -> str:
        """What the command wrote to stderr so far (bounded)."""

    @property
    def exit_status(self) -> int | None:
        """Exit status once the command ended by itself (negative: killed by that signal)."""
        return None

    @property
    def error(self) -> str:
        """Why the stream ended early ("connection lost: …", "command not found: …"), else ""."""
        return ""


def shell_join(argv: Sequence[str]) -> str:
    """argv → one POSIX shell command line where every element is a literal argument."""
    return " ".join(shlex.quote(a) for a in argv)


class Host(ABC):
    """Where commands and connections run. Implementations: LocalHost, SshHost."""

    name: str
    kind: str  # "local" | "ssh"

    @abstractmethod
    async def run(
        self, argv: Sequence[str], *, timeout: float, input: bytes | None = None
    ) -> CommandResult:
        """Run argv (each element a literal argument; never a shell string) with a deadline."""

    @abstractmethod
    def stream(self, argv: Sequence[str]) -> AbstractAsyncContextManager[LineStream]:
        """Start a long-running argv (e.g. tail -F); leaving the context always ends it, remote too."""

    @abstractmethod
    async def open_tcp(self, host: str, port: int, *, timeout: float) -> TcpResult:
        """TCP connect *from this host* to host:port, then close (nc -z)."""

    @abstractmethod
    def http_transport(
        self, ssl_context: ssl.SSLContext | None = None, *, h2c: bool = False
    ) -> httpx.AsyncBaseTransport:
        """An httpx transport whose connections originate on this host; `ssl_context` replaces
        the default (system CAs, verifying) for TLS, e.g. a listener's own CA; `h2c` speaks
        only HTTP/2 (prior knowledge on plain connections)."""

    def keepalive_transport(self) -> httpx.AsyncBaseTransport:
        """A transport that may keep connections open between requests (default: http_transport)."""
        return self.http_transport()

    def shared_client(self, *, keepalive: bool) -> httpx.AsyncClient:
        """This host's one httpx client of each kind, per event loop (callers pass per-request
        timeouts). keepalive=False still opens a connection per request, so each reports its own
        connect time; keepalive=True reuses them (admin polling: no handshake every second)."""
        loop = asyncio.get_running_loop()
        cache: dict[bool, tuple[asyncio.AbstractEventLoop, httpx.AsyncClient]]
        cache = self.__dict__.setdefault("_shared_clients", {})
        found = cache.get(keepalive)
        if found is None or found[0] is not loop or found[1].is_closed:
            transport = self.keepalive_transport() if keepalive else self.http_transport()
            client = httpx.AsyncClient(transport=transport, trust_env=False, follow_redirects=False)
            cache[keepalive] = found = (loop, client)
        return found[1]

    async def close_http(self) -> None:
        """Close the shared clients made on the running loop (their kept-alive connections)."""
        cache = self.__dict__.get("_shared_clients", {})
        loop = asyncio.get_running_loop()
        for key, (owner, client) in list(cache.items()):
            if owner is loop:
                del cache[key]
                await client.aclose()

    def http_client(self, *, timeout: float) -> httpx.AsyncClient:
        """An httpx client over this host; proxies from the environment are ignored on purpose."""
        return httpx.AsyncClient(
            transport=self.http_transport(),
            timeout=httpx.Timeout(timeout),
            trust_env=False,
            follow_redirects=False,
        )

    @abstractmethod
    def state(self) -> HostState:
        """Connection state for the header."""

    async def connect(self) -> None:  # noqa: B027 - optional for hosts that need no setup
        """Make the host usable (SSH: connect); raising HostError when it cannot be."""

    async def close(self) -> None:  # noqa: B027
        """Release connections and end every stream."""
