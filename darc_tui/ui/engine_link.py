"""The UI's only contact with the engine: subscriptions in, messages out, plus the log inbox."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from textual.message_pump import MessagePump

from darc_tui.ui.messages import LogsArrived, SnapshotArrived

if TYPE_CHECKING:
    from darc_tui.config import Config
    from darc_tui.model import LogRecord, Snapshot

INBOX = 20_000  # log records held while the UI is paused or busy; older ones are dropped


class EngineLogs(Protocol):
    def logs(self, source: str) -> list[LogRecord]: ...


class EngineApi(Protocol):
    """What the console needs of darc_tui.engine.core.Engine (tests pass a fake with the same shape)."""

    @property
    def config(self) -> Config: ...
    @property
    def state(self) -> EngineLogs: ...

    def subscribe(self, callback: Callable[[Snapshot], None]) -> None: ...
    def subscribe_logs(self, callback: Callable[[Sequence[LogRecord]], None]) -> None: ...
    def snapshot(self) -> Snapshot: ...
    def probe_now(self) -> None: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class EngineLink:
    """Turns engine callbacks (on the asyncio loop Textual shares) into messages for `target`.

    Snapshots go out as replaceable messages. Log records collect in a bounded inbox and one
    LogsArrived message announces a burst, so a flood of lines costs one repaint, not thousands.
    """

    def __init__(self, engine: EngineApi, target: MessagePump, *, redact: bool = False) -> None:
        self.engine = engine
        self.target = target
        # records are masked as they arrive, while each batch still carries what was proven about
        # it (darc_tui.sinks.RecordBatch): only its suspect records are redacted one by one
        self.redact = redact
        self.inbox: deque[LogRecord] = deque(maxlen=INBOX)
        self.dropped = 0
        self._announced = False
        self._attached = False

    def attach(self) -> None:
        if not self._attached:
            self.engine.subscribe(self._on_snapshot)
            self.engine.subscribe_logs(self._on_logs)
            self._attached = True

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        self.target.post_message(SnapshotArrived(snapshot))

    def _on_logs(self, records: Sequence[LogRecord]) -> None:
        if self.redact:
            from darc_tui.redact import redact_records

            records = redact_records(records)
        overflow = len(self.inbox) + len(records) - INBOX
        if overflow > 0:
            self.dropped += overflow
        self.inbox.extend(records)
        if not self._announced:
            self._announced = True
            self.target.post_message(LogsArrived())

    def drain(self, limit: int | None = None) -> tuple[list[LogRecord], int]:
        """The oldest `limit` records waiting (all of them by default), and how many records
        were dropped since the last drain."""
        inbox = self.inbox
        if limit is None or len(inbox) <= limit:
            records = list(inbox)
            inbox.clear()
        else:
            records = [inbox.popleft() for _ in range(limit)]
        dropped, self.dropped = self.dropped, 0
        self._announced = False
        return records, dropped
