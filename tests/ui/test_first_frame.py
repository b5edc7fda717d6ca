"""The console's first frame: drawn from light modules only, then the real panes, same screen.

The first frame (ui/app.py) is the header, a shell per pane and the footer; the panes' modules and
the engine load after it. A guard fails when a heavy module sneaks back in before that frame
(what a pane, the engine or the hosts import), and the deferred path must end on exactly the
screen the eager path (headless, as every other UI test) draws.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from darc_tui.ui.app import FIRST_TITLES, DarcApp
from tests.ui import scenarios
from tests.ui.conftest import publish, screen_text
from tests.ui.fakes import FakeEngine

REPO = Path(__file__).resolve().parents[2]
DEADLINE = 60.0  # seconds for the console to draw at all: a hang fails, never a slowness
# none of these may be imported before the first frame (each costs 5-250 ms of start-up)
HEAVY = (
    "darc_tui.engine", "darc_tui.probes", "darc_tui.diagnosis", "darc_tui.hosts", "darc_tui.logs",
    "darc_tui.ids", "darc_tui.model", "darc_tui.parse", "darc_tui.redact", "darc_tui.state",
    "darc_tui.deploy",
    "darc_tui.ui.panes.clusters", "darc_tui.ui.panes.logs", "darc_tui.ui.panes.health",
    "darc_tui.ui.panes.causes", "darc_tui.ui.screens.details",
    "httpx", "asyncssh", "yaml", "psutil", "textual.widgets._data_table",
)  # fmt: skip
# Runs the console through darc_tui.cli; at the first terminal write that holds the Causes pane
# it prints the loaded modules as JSON to fd 3 and exits.
DRIVER = """
import json, os, sys
import textual.drivers.linux_driver as ld
write = ld.LinuxDriver.write
def spy(self, data):
    write(self, data)
    if "Causes" in data:
        os.write(3, json.dumps(sorted(sys.modules)).encode())
        os._exit(0)
ld.LinuxDriver.write = spy
from darc_tui.cli import main
main(sys.argv[1:])
"""
CONFIG = """
[site]
name = "first frame"
public_url = "http://127.0.0.1:9/api/health"

[envoy]
host = "local"
admin_url = "http://127.0.0.1:9"
listener_url = "http://127.0.0.1:9"
config_path = "{dir}/envoy.yaml"
access_log = "{dir}/access.log"
error_log = "{dir}/error.log"
unit = ""

[backend]
url = "http://127.0.0.1:9"

[hosts.edge]
address = "127.0.0.1"
port = 9
"""


def _modules_at_first_frame(config: Path) -> list[str]:
    read, write = os.pipe()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24",
           "DARC_TUI_STATE_DIR": str(config.parent)}  # fmt: skip
    pid, fd = pty.fork()
    if pid == 0:  # the child: fd 3 is the pipe's write end
        os.dup2(write, 3)
        os.execve(sys.executable, [sys.executable, "-c", DRIVER, "-c", str(config)], env)
    os.close(write)
    out, end = b"", time.monotonic() + DEADLINE
    try:
        while time.monotonic() < end:
            ready, _, _ = select.select([read, fd], [], [], 0.1)
            if fd in ready:
                try:
                    os.read(fd, 65536)  # the terminal: keep it drained
                except OSError:
                    pass
            if read in ready:
                chunk = os.read(read, 1 << 20)
                if not chunk:
                    break
                out += chunk
    finally:
        if os.waitpid(pid, os.WNOHANG) == (0, 0):
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)
        os.close(read)
    assert out, "the console drew no frame holding the Causes pane"
    modules: list[str] = json.loads(out)
    return modules


def test_no_heavy_module_before_the_first_frame(tmp_path: Path) -> None:
    config = tmp_path / "darc-tui.toml"
    config.write_text(CONFIG.format(dir=tmp_path))
    modules = _modules_at_first_frame(config)
    assert "darc_tui.ui.app" in modules  # the frame came from the console, not something else
    early = sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))
    assert early == []


def test_sigterm_at_the_first_frame_exits_cleanly(tmp_path: Path) -> None:
    """SIGTERM while the panes replace the shells: exit 143, no traceback on the terminal."""
    config = tmp_path / "darc-tui.toml"
    config.write_text(CONFIG.format(dir=tmp_path))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24",
           "DARC_TUI_STATE_DIR": str(tmp_path)}  # fmt: skip
    argv = [sys.executable, "-m", "darc_tui", "-c", str(config)]
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(sys.executable, argv, env)
    seen, end = b"", time.monotonic() + DEADLINE
    try:
        while b"Causes" not in seen and time.monotonic() < end:
            if select.select([fd], [], [], 0.1)[0]:
                seen += os.read(fd, 65536)
        assert b"Causes" in seen, "the console drew no frame holding the Causes pane"
        os.kill(pid, signal.SIGTERM)  # at once: the panes are on their way in
        after = _read_until_closed(fd, end)
    finally:
        status = _reap(pid, time.monotonic() + 10)
        os.close(fd)
    assert b"Traceback" not in after and b"Error" not in after, after.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 128 + signal.SIGTERM


def _reap(pid: int, end: float) -> int:
    """The child's wait status; SIGKILL when it is still there at `end` (a hang fails the test,
    never blocks the suite)."""
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


def _read_until_closed(fd: int, end: float) -> bytes:
    out = b""
    while time.monotonic() < end:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: every end of the terminal is closed, the console is gone
                break
            if not chunk:
                break
            out += chunk
    return out


def test_shell_titles_are_the_panes_titles() -> None:
    """A shell shows the title its pane shows before any data, so the swap does not flicker."""
    from darc_tui.ui.panes.causes import CausesPane
    from darc_tui.ui.panes.clusters import ClustersPane
    from darc_tui.ui.panes.envoy import EnvoyPane
    from darc_tui.ui.panes.health import HealthPane
    from darc_tui.ui.panes.logs import LogsPane
    from darc_tui.ui.panes.probes import ProbesPane

    panes = [EnvoyPane, HealthPane, CausesPane, ClustersPane, LogsPane, ProbesPane]
    titles = {
        name: cls(id=name).border_title for name, cls in zip(FIRST_TITLES, panes, strict=True)
    }
    assert titles == FIRST_TITLES


async def _screens(defer: bool, kind: str, size: tuple[int, int]) -> list[str]:
    """The screen (text and SVG) before and after data, panes mounted eagerly or after the frame."""
    engine = FakeEngine(scenarios.config())
    app = DarcApp(engine, clock=scenarios.clock, defer_panes=defer)
    shots: list[str] = []
    async with app.run_test(size=size) as pilot:
        await _ready(pilot)
        await pilot.pause()
        assert app.panes_ready
        shots += [screen_text(app), app.export_screenshot()]
        await publish(pilot, engine, *scenarios.history(kind))
        engine.publish_logs(scenarios.log_records())
        await publish(pilot, engine)
        await pilot.press("5")  # keys act on the real panes
        await pilot.pause()
        await pilot.pause()  # the shown log view writes its waiting lines on Show: one more turn
        shots += [screen_text(app), app.export_screenshot()]
    return shots


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
@pytest.mark.parametrize("kind", ["healthy", "faulted"])
async def test_deferred_panes_end_on_the_eager_screen(kind: str, size: tuple[int, int]) -> None:
    eager = await _screens(False, kind, size)
    deferred = await _screens(True, kind, size)
    assert deferred == eager


async def _ready(pilot: Any) -> None:
    for _ in range(200):
        if pilot.app.panes_ready:
            return
        await pilot.pause(0.01)
    raise AssertionError("the panes never replaced the shells")


async def test_keys_wait_for_the_panes_but_quit_does_not() -> None:
    engine = FakeEngine(scenarios.config())
    app = DarcApp(engine, clock=scenarios.clock, defer_panes=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await _ready(pilot)
        app.panes_ready = False  # as during the fraction of a second before the swap
        assert await app.run_action("focus_pane('logs')") is False
        assert await app.run_action("pause") is False
        assert not app.paused
        app.panes_ready = True
        assert await app.run_action("pause") is True
        assert app.paused
        app.panes_ready = False
        await app.run_action("quit")
        await pilot.pause()
    assert app.return_code == 0


def test_console_help_stays_light() -> None:
    """`darc-tui --help` loads neither Textual nor the app (cli.py: standard library only)."""
    code = "import sys; from darc_tui.cli import main\ntry: main(['--help'])\nexcept SystemExit: pass\n"
    code += "print([m for m in sys.modules if m.startswith(('textual', 'darc_tui.ui'))], file=sys.stderr)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=True, timeout=DEADLINE)  # fmt: skip
    assert "usage: darc-tui" in out.stdout
    assert out.stderr.strip() == "[]"


async def test_the_first_frame_is_the_console_layout_with_waiting_panes() -> None:
    """What the shells draw (the swap held back): header, every pane's title and 'waiting', the
    pane strip and the footer's keys, where the panes will be."""
    engine = FakeEngine(scenarios.config())
    app = DarcApp(engine, clock=scenarios.clock, defer_panes=True)

    async def held_back() -> None:
        return None

    app._start_panes = held_back  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.panes_ready
        lines = screen_text(app).splitlines()
    assert "waiting for first probe" in lines[0] and "▸ Envoy on edge" in lines[0]
    assert "● LIVE" in lines[1]
    assert lines[2].startswith("─1 Envoy") and "2 Health · connect/ttfb" in lines[2]
    assert lines[3].split() == ["waiting", "for", "first", "probe…"] * 2
    assert lines[7].startswith("─3 Causes") and "waiting for first probe" in lines[8]
    assert "▸ 4 Clusters" in lines[13] and "waiting for first probe" in lines[14]
    assert "q Quit" in lines[23]
