"""The contract between the engine and the log followers, defined once for both sides."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from darc_tui.model import Evidence, LogRecord


class RecordBatch(list[LogRecord]):
    """The records of one chunk of a log, with what was proven about all of them at once."""

    __slots__ = ("suspects",)

    def __init__(
        self, records: Iterable[LogRecord] = (), *, suspects: frozenset[int] | None = None
    ) -> None:
        super().__init__(records)
        # the indexes of the records darc_tui.redact.redact_record may change; every other one
        # it returns unchanged (proven). None: any of them may hold a secret.
        self.suspects = suspects


class LogSink(Protocol):
    """Where a follower delivers (the Engine implements it)."""

    def records(self, records: Sequence[LogRecord]) -> None: ...
    def evidence(self, ev: Evidence) -> None: ...


class LogSource(Protocol):
    """A followed log (journal, access, error): runs until cancelled, reconnecting by itself."""

    name: str

    async def follow(self, sink: LogSink) -> None: ...
