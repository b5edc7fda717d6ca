"""An SSH host (asyncssh): placeholder until the real implementation lands."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx

from darc_tui.config import HostConfig
from darc_tui.hosts.base import CommandResult, Host, HostError, LineStream, TcpResult
from darc_tui.model import HostState

_NOT_YET = "ssh support not available yet"


class SshHost(Host):
    """A host reached over SSH."""

    def __init__(self, config: HostConfig, *, jump: SshHost | None = None) -> None:
        self.name = config.name
        self.kind = "ssh"
        self.config = config
        self.jump = jump

    async def run(
        self, argv: Sequence[str], *, timeout: float, input: bytes | None = None
    ) -> CommandResult:
        return CommandResult(tuple(argv), None, error=f"host down: {_NOT_YET}")

    def stream(self, argv: Sequence[str]) -> AbstractAsyncContextManager[LineStream]:
        return _refuse()

    async def open_tcp(self, host: str, port: int, *, timeout: float) -> TcpResult:
        return TcpResult(host, port, False, error=_NOT_YET, via="ssh direct-tcpip")

    def http_transport(self) -> httpx.AsyncBaseTransport:
        raise HostError(_NOT_YET)

    def state(self) -> HostState:
        return HostState(self.name, self.kind, False, f"down: {_NOT_YET}")


@asynccontextmanager
async def _refuse() -> AsyncIterator[LineStream]:
    raise HostError(_NOT_YET)
    yield  # pragma: no cover
