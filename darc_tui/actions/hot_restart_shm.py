"""Envoy's hot-restart shared memory: read, and after a dead child clear, the INITIALIZING flag.

Every process of one hot-restart family (one base id) maps `/dev/shm/envoy_shared_memory_<10 ×
base id>`. A starting epoch sets the INITIALIZING bit and clears it only once it has taken over the
listeners; while the bit is set any newer epoch refuses to start ("previous envoy process is still
initializing"). An epoch that dies during start-up never clears it, so every later hot restart
fails until a full restart (envoyproxy/envoy#33446). The wrapper knows when its own child died that
way, and it is then the only party that can safely clear the bit.

Layout (HOT_RESTART_VERSION 11, `envoy --hot-restart-version` = "11.104", unchanged since 2019):
    uint64 size_ (= 104) | uint64 version_ (= 11) | pthread_mutex_t log_lock_ (40) |
    pthread_mutex_t access_log_lock_ (40) | atomic<uint64> flags_ (bit 0 = INITIALIZING)
Any other size or version is left alone.
"""

from __future__ import annotations

import mmap
import os
import struct
from enum import StrEnum
from pathlib import Path

SHM_DIR = Path("/dev/shm")
_SIZE = 104
_VERSION = 11
_FLAGS_OFFSET = 96
_INITIALIZING = 0x1


class ShmFlag(StrEnum):
    CLEAR = "clear"  # no epoch is initializing
    INITIALIZING = "initializing"
    UNKNOWN = "unknown"  # no such segment, unreadable, or a layout this module does not know


def shm_path(base_id: int) -> Path:
    """Envoy scales the base id by 10 so that base ids and epochs do not share socket names."""
    return SHM_DIR / f"envoy_shared_memory_{base_id * 10}"


def read_flag(base_id: int) -> ShmFlag:
    try:
        with open(shm_path(base_id), "rb") as f:
            header = f.read(_SIZE)
    except OSError:
        return ShmFlag.UNKNOWN
    if not _known_layout(header):
        return ShmFlag.UNKNOWN
    (flags,) = struct.unpack_from("<Q", header, _FLAGS_OFFSET)
    return ShmFlag.INITIALIZING if flags & _INITIALIZING else ShmFlag.CLEAR


def clear_initializing(base_id: int) -> bool:
    """Clear a stale INITIALIZING bit; True when the bit is clear afterwards.

    Only call this when no process of the family is starting up (the wrapper's own child died).
    """
    try:
        fd = os.open(shm_path(base_id), os.O_RDWR)
    except OSError:
        return False
    try:
        with mmap.mmap(fd, _SIZE) as region:
            if not _known_layout(bytes(region[:_SIZE])):
                return False
            (flags,) = struct.unpack_from("<Q", region, _FLAGS_OFFSET)
            # one aligned 8-byte store; the running parent never writes these flags
            struct.pack_into("<Q", region, _FLAGS_OFFSET, flags & ~_INITIALIZING)
            return True
    except (OSError, ValueError):
        return False
    finally:
        os.close(fd)


def remove(base_id: int) -> None:
    """Delete the segment once the whole family has exited (Envoy itself never unlinks it)."""
    try:
        shm_path(base_id).unlink()
    except OSError:
        pass


def _known_layout(header: bytes) -> bool:
    if len(header) < _SIZE:
        return False
    size, version = struct.unpack_from("<QQ", header, 0)
    return bool(size == _SIZE and version == _VERSION)
