"""The wrapper's status file: its path next to the pid file, and a faithful JSON round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from darc_tui.actions.wrapper_status import (
    LastReload,
    ReloadOutcome,
    WrapperState,
    WrapperStatus,
    parse_status,
    status_path_for,
    write_status,
)


@pytest.mark.parametrize(
    ("pid_file", "status_file"),
    [
        ("/run/envoy-wrapper.pid", "/run/envoy-wrapper.status.json"),
        ("/run/envoy/wrapper", "/run/envoy/wrapper.status.json"),
        ("wrapper.pid", "wrapper.status.json"),
    ],
)
def test_status_file_sits_next_to_the_pid_file(pid_file: str, status_file: str) -> None:
    assert status_path_for(pid_file) == status_file


def test_status_survives_a_write_and_read(tmp_path: Path) -> None:
    status = WrapperStatus(
        wrapper_pid=10,
        epoch=3,
        pid=11,
        state=WrapperState.LIVE,
        hup_seq=4,
        base_id=123,
        admin_url="http://127.0.0.1:9901",
        last_reload=LastReload(4, 4, ReloadOutcome.FAILED, 12, 1.5, "cannot bind\nstderr"),
        last_error="cannot bind\nstderr",
        epochs=((3, 11),),
        updated_at=2.5,
    )
    path = tmp_path / "w.status.json"

    write_status(str(path), status)

    assert parse_status(path.read_text()) == status
    assert json.loads(path.read_text())["epochs"] == [{"epoch": 3, "pid": 11}]
    assert [p.name for p in tmp_path.iterdir()] == ["w.status.json"]  # no temporary file left


@pytest.mark.parametrize(
    "text", ["", "{", "[]", '{"epoch": 1}', '{"wrapper_pid": 1, "epoch": 0, "state": "odd"}']
)
def test_anything_else_is_not_a_status(text: str) -> None:
    assert parse_status(text) is None
