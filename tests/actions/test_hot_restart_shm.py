"""Envoy's hot-restart shared memory flag, on segments with Envoy 1.40's layout (and others)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from darc_tui.actions import hot_restart_shm as shm

BASE_ID = 4242


def segment(directory: Path, *, flags: int, size: int = 104, version: int = 11) -> Path:
    """A segment laid out like HOT_RESTART_VERSION 11: size, version, two mutexes, flags."""
    data = bytearray(size if size >= 104 else 104)
    struct.pack_into("<QQ", data, 0, size, version)
    struct.pack_into("<Q", data, 96, flags)
    path = directory / f"envoy_shared_memory_{BASE_ID * 10}"
    path.write_bytes(bytes(data))
    return path


@pytest.fixture
def shm_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(shm, "SHM_DIR", tmp_path)
    return tmp_path


def test_segment_name_is_the_base_id_times_ten() -> None:
    assert shm.shm_path(90580144).name == "envoy_shared_memory_905801440"


def test_a_stale_initializing_flag_is_cleared_and_other_bits_kept(shm_dir: Path) -> None:
    path = segment(shm_dir, flags=0b101)
    assert shm.read_flag(BASE_ID) is shm.ShmFlag.INITIALIZING

    assert shm.clear_initializing(BASE_ID)

    assert shm.read_flag(BASE_ID) is shm.ShmFlag.CLEAR
    assert struct.unpack_from("<Q", path.read_bytes(), 96)[0] == 0b100


@pytest.mark.parametrize(("size", "version"), [(104, 12), (112, 11)])
def test_an_unknown_layout_is_left_alone(shm_dir: Path, size: int, version: int) -> None:
    path = segment(shm_dir, flags=1, size=size, version=version)
    before = path.read_bytes()

    assert shm.read_flag(BASE_ID) is shm.ShmFlag.UNKNOWN
    assert not shm.clear_initializing(BASE_ID)
    assert path.read_bytes() == before


def test_a_missing_segment_is_unknown(shm_dir: Path) -> None:
    assert shm.read_flag(BASE_ID) is shm.ShmFlag.UNKNOWN
    assert not shm.clear_initializing(BASE_ID)
    shm.remove(BASE_ID)  # nothing to remove: no error
