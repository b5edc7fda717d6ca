"""Messages that carry engine data into the app (the only way data enters the UI)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from darc_tui.model import Snapshot


class SnapshotArrived(Message):
    """A new snapshot from the engine. A queued one is replaced, so a lagging UI draws the newest."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotArrived)


class LogsArrived(Message):
    """New log records wait in the engine link's inbox; one message per burst, never one per line."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, LogsArrived)
