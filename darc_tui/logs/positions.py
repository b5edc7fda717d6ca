"""Where each follower got to: file (inode, offset) and journal cursors, in memory and on disk.

The file is JSON, written with write-to-temp + rename so a crash never leaves half a file, and
from a thread so the event loop never waits on the disk.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

FLUSH_EVERY = 2.0  # seconds: positions reach the disk at most this often (and on close)
TAIL_BYTES = 256  # bytes before the offset kept to recognise our file after a rotation


def default_positions_path() -> Path:
    return Path(platformdirs.user_state_dir("darc-tui")) / "positions.json"


@dataclass(frozen=True, slots=True)
class FilePosition:
    """How far a file was read: its inode, the byte offset after the last complete line, the
    bytes just before that offset, and the largest size seen (so a real loss can be told)."""

    inode: int
    offset: int
    tail: bytes = b""
    seen_size: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "inode": self.inode,
            "offset": self.offset,
            "tail": self.tail.hex(),
            "seen_size": self.seen_size,
        }

    @classmethod
    def from_json(cls, obj: Any) -> FilePosition | None:
        try:
            return cls(
                int(obj["inode"]),
                int(obj["offset"]),
                bytes.fromhex(str(obj.get("tail", ""))),
                int(obj.get("seen_size", 0)),
            )
        except (KeyError, TypeError, ValueError):
            return None


class Positions:
    """Key → JSON value (a FilePosition's dict or a journal cursor), optionally persisted."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._values: dict[str, Any] = {}
        self._dirty = False
        self._flushed_at = 0.0
        if path is not None:
            self._values = _load(path)

    def get(self, key: str) -> Any:
        return self._values.get(key)

    def set(self, key: str, value: Any) -> None:
        if self._values.get(key) != value:
            self._values[key] = value
            self._dirty = True

    def file(self, key: str) -> FilePosition | None:
        return FilePosition.from_json(self._values.get(key))

    def set_file(self, key: str, pos: FilePosition) -> None:
        self.set(key, pos.to_json())

    async def maybe_flush(self) -> None:
        if self._dirty and time.monotonic() - self._flushed_at >= FLUSH_EVERY:
            await self.flush()

    async def flush(self) -> None:
        if self.path is None or not self._dirty:
            return
        self._dirty = False
        self._flushed_at = time.monotonic()
        snapshot = dict(self._values)
        try:
            await asyncio.to_thread(_write_atomic, self.path, snapshot)
        except OSError:
            self._dirty = True  # try again next time; positions in memory still work


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_atomic(path: Path, values: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".positions-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(values, f, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
