"""The contract between the engine and the log followers, defined once for both sides."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from darc_tui.model import Evidence, LogRecord


class LogSink(Protocol):
    """Where a follower delivers (the Engine implements it)."""

    def records(self, records: Sequence[LogRecord]) -> None: ...
    def evidence(self, ev: Evidence) -> None: ...


class LogSource(Protocol):
    """A followed log (journal, access, error): runs until cancelled, reconnecting by itself."""

    name: str

    async def follow(self, sink: LogSink) -> None: ...
