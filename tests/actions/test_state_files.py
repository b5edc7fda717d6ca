"""Pid and state files never follow a symlink planted at their path, and are replaced atomically."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from darc_tui.actions import audit
from darc_tui.actions.wrapper import Wrapper, parse_args


def test_the_wrapper_pid_file_replaces_a_planted_symlink_instead_of_truncating_its_target(
    tmp_path: Path,
) -> None:
    victim = tmp_path / "victim.conf"
    victim.write_text("precious\n", encoding="utf-8")
    pid_file = tmp_path / "envoy.pid"
    pid_file.symlink_to(victim)
    wrapper = Wrapper(parse_args(["--pid-file", str(pid_file), "--", "envoy", "-c", "x"]))
    try:
        wrapper._write_pid_file()
    finally:
        shutil.rmtree(wrapper._workdir, ignore_errors=True)
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert not pid_file.is_symlink() and pid_file.read_text(encoding="utf-8").strip().isdigit()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")] == []


def test_the_audit_log_refuses_a_planted_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n", encoding="utf-8")
    log = tmp_path / "audit.jsonl"
    log.symlink_to(victim)
    with pytest.raises(OSError):
        audit.append({"action": "reload"}, log)
    assert victim.read_text(encoding="utf-8") == "precious\n"
