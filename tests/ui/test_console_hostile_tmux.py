"""The console in a real terminal (tmux) on a real Envoy lab whose backend and access log are
hostile: nothing reaches the terminal raw (no clipboard write, no retitled window), the console
stays alive through every pane, quits on q, and ends when its tmux session is killed (SIGHUP)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests import test_hostile_e2e as hostile
from tests.lab.lab import Lab
from tests.ui import test_console_tmux as base
from tests.ui.test_console_tmux import Tmux, start

tmux = base.tmux  # the fixtures, shared with those modules
hostile_backend = hostile.hostile_backend

pytestmark = pytest.mark.integration


def console_pid(tmux: Tmux) -> int:
    shell = tmux("display-message", "-p", "-t", "ui", "#{pane_pid}").strip()
    found = subprocess.run(["pgrep", "-P", shell], capture_output=True, text=True, check=False)
    return int(found.stdout.split()[0])


def alive(pid: int) -> bool:
    return (
        subprocess.run(["kill", "-0", str(pid)], capture_output=True, check=False).returncode == 0
    )


def open_console(tmux: Tmux, lab: Lab, tmp_path: Path) -> tuple[Path, Path]:
    hostile.hostile_access_log(lab)
    raw, status = tmp_path / "raw", tmp_path / "status"
    start(tmux, lab, "on", status)
    tmux("set-option", "-g", "set-clipboard", "on")  # OSC 52 from the pane would fill a buffer
    tmux("pipe-pane", "-o", "-t", "ui", f"cat >> {raw}")
    tmux.until(lambda: "cause" in tmux.screen(), "the console to show the causes")
    return raw, status


def test_hostile_text_never_drives_the_terminal_and_q_quits(
    tmux: Tmux,
    lab: Lab,
    hostile_backend: str,
    tmp_path: Path,
) -> None:
    raw, status = open_console(tmux, lab, tmp_path)
    for key in ("5", "M", "M", "6", "M", "enter", "escape", "M", "3", "enter", "escape"):
        tmux("send-keys", "-t", "ui", key)
        time.sleep(0.3)  # not a timing assertion: lets each key's repaint reach the pane
    tmux.until(lambda: raw.exists() and raw.stat().st_size > 0, "the pane output to be recorded")
    data = raw.read_bytes()
    assert b"\x1b]52;" not in data and b"\x1b]0;pwned" not in data and b"\x1b[2J\x1b[H" not in data
    assert "\u009b" not in data.decode("utf-8", "replace")
    assert tmux("list-buffers").strip() == ""  # no clipboard write reached tmux
    assert "pwned" not in tmux("display-message", "-p", "-t", "ui", "#{pane_title}")
    # on a loaded machine the last escape may reach the app before its details dialog opened
    for _ in range(10):
        if "q Quit" in tmux.screen():
            break
        tmux("send-keys", "-t", "ui", "escape")
        time.sleep(0.5)
    assert "q Quit" in tmux.screen()
    tmux("send-keys", "-t", "ui", "q")
    tmux.until(status.exists, "the console to exit on q")
    assert status.read_text().strip() == "0"


def test_killing_the_tmux_session_ends_the_console(
    tmux: Tmux,
    lab: Lab,
    tmp_path: Path,
) -> None:
    status = tmp_path / "status"
    start(tmux, lab, "on", status)
    tmux.until(lambda: "1/1 healthy" in tmux.screen(), "the clusters pane to show the lab host")
    pid = console_pid(tmux)
    tmux("kill-session", "-t", "ui")  # the pty goes away: SIGHUP
    deadline = time.monotonic() + 30
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(pid), "the console outlived its terminal"
