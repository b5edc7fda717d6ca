"""The console in a real terminal (tmux, 80x24) on a real Envoy lab: draws, honours --no-mouse, quits.

tmux's `#{mouse_any_flag}` says whether the program in the pane turned mouse tracking on, which
is exactly what `--no-mouse` must prevent (a dropped SSH session would leave it on).
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import require
from tests.lab.lab import Lab

REPO = Path(__file__).resolve().parents[2]
DEADLINE = 30.0
RUN = (
    "import sys; from darc_tui.config import load_config; from darc_tui.ui import run_console; "
    "sys.exit(run_console(load_config(sys.argv[1]), read_only=True, mouse=sys.argv[2] == 'on'))"
)


class Tmux:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def __call__(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                             timeout=10, check=False)  # fmt: skip
        return out.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "ui")

    def until(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + DEADLINE
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}; screen:\n{self.screen()}")
            time.sleep(0.1)


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    require(shutil.which("tmux") is not None, "tmux")
    t = Tmux(f"darc-ui-{uuid.uuid4().hex[:8]}")
    try:
        yield t
    finally:
        t("kill-server")


def start(tmux: Tmux, lab: Lab, mouse: str, status_file: Path, *, linger: bool = False) -> None:
    """The console in a tmux pane; `linger` keeps the pane open after it exits (to inspect it)."""
    config = lab.write_config()
    argv = [sys.executable, "-c", RUN, str(config), mouse]
    script = f"cd {shlex.quote(str(REPO))} && {shlex.join(argv)}; echo $? > {status_file}"
    if linger:
        script += "; sleep 60"
    env = {"TERM": "xterm-256color", "PATH": os.environ.get("PATH", "")}
    tmux("-f", "/dev/null", "new-session", "-d", "-s", "ui", "-x", "80", "-y", "24",
         *(a for k, v in env.items() for a in ("-e", f"{k}={v}")), script)  # fmt: skip


@pytest.mark.parametrize("mouse", ["off", "on"])
def test_console_draws_in_80x24_honours_mouse_setting_and_quits(
    tmux: Tmux, lab: Lab, tmp_path: Path, mouse: str
) -> None:
    status_file = tmp_path / "status"
    start(tmux, lab, mouse, status_file)
    tmux.until(lambda: "1/1 healthy" in tmux.screen(), "the clusters pane to show the lab host")
    screen = tmux.screen()
    assert "✓ OK" in screen and "● LIVE" in screen and "q Quit" in screen
    assert "Reload" not in screen  # read-only
    flag = tmux("display-message", "-p", "-t", "ui", "#{mouse_any_flag}").strip()
    assert flag == ("1" if mouse == "on" else "0")
    tmux("send-keys", "-t", "ui", "q")
    tmux.until(status_file.exists, "the console to exit")
    assert status_file.read_text().strip() == "0"


def test_sigterm_restores_the_terminal_and_exits_143(tmux: Tmux, lab: Lab, tmp_path: Path) -> None:
    """`kill <pid>` ends the console like q: alternate screen and mouse tracking off again."""
    status_file = tmp_path / "status"
    start(tmux, lab, "on", status_file, linger=True)
    tmux.until(lambda: "1/1 healthy" in tmux.screen(), "the clusters pane to show the lab host")
    assert tmux("display-message", "-p", "-t", "ui", "#{mouse_any_flag}").strip() == "1"
    shell = tmux("display-message", "-p", "-t", "ui", "#{pane_pid}").strip()
    console = subprocess.run(["pgrep", "-P", shell], capture_output=True, text=True, check=False)
    os.kill(int(console.stdout.split()[0]), signal.SIGTERM)
    tmux.until(status_file.exists, "the console to exit")
    assert status_file.read_text().strip() == "143"
    flags = tmux("display-message", "-p", "-t", "ui", "#{mouse_any_flag} #{alternate_on}")
    assert flags.strip() == "0 0"
