"""Record a real run (`check --watch --record`, a backend stopped midway), then `replay --json`,
`report --from` and the replay console at 80x24 in tmux on that recording."""

from __future__ import annotations

import itertools
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from darc_tui.recording import RecordingError, read_frames
from tests.lab.envoy import MakeLab
from tests.lab.lab import wait_for
from tests.ui.test_console_tmux import REPO, Tmux, tmux  # noqa: F401 - the tmux fixture

pytestmark = pytest.mark.integration
Run = Callable[..., subprocess.CompletedProcess[str]]


def darc_tui(*argv: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "darc_tui", *argv], capture_output=True,
                          text=True, timeout=120, cwd=REPO)  # fmt: skip
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture(scope="module")
def recording(make_module_lab: MakeLab, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real recording: healthy for a few recorded seconds, then the backend stops."""
    lab = make_module_lab()
    path = tmp_path_factory.mktemp("rec") / "incident.jsonl.gz"
    argv = [sys.executable, "-m", "darc_tui", "check", "-c", str(lab.write_config()), "--watch",
            "12", "--json", "--record", str(path)]  # fmt: skip
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # the recording is readable while it is written (sync-flushed every second)
        wait_for(lambda: _recorded_s(path) >= 3.0, 60, "3 recorded seconds")
        lab.backend.down()
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 1 and b"Traceback" not in stderr, stderr
    return path


def _recorded_s(path: Path) -> float:
    try:
        frames = read_frames(path)
    except RecordingError:
        return 0.0
    return frames[-1].t if frames else 0.0


def test_replay_json_prints_each_change_of_the_findings(recording: Path) -> None:
    proc = darc_tui("replay", str(recording), "--json")
    assert proc.returncode == 0 and proc.stderr == ""
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines[0] == {"t": 0.0, "causes": []}
    assert "backend.down" in lines[-1]["causes"], lines
    assert all(a["causes"] != b["causes"] for a, b in itertools.pairwise(lines))
    assert 3.0 <= lines[1]["t"] < 10.0  # the backend stopped 3 recorded seconds in


def test_a_cut_recording_replays_up_to_the_cut_and_says_so(recording: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.jsonl.gz"
    data = recording.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    proc = darc_tui("replay", str(cut), "--json")
    assert proc.returncode == 0
    assert "ends mid-stream" in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert json.loads(proc.stdout.splitlines()[0]) == {"t": 0.0, "causes": []}


def test_report_from_a_recording_is_the_incident_report(recording: Path) -> None:
    proc = darc_tui("report", "--from", str(recording))
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("# Incident report — lab")
    assert "backend.down" in proc.stdout
    as_json = darc_tui("report", "--from", str(recording), "--format", "json")
    assert "backend.down" in {c["id"] for c in json.loads(as_json.stdout)["causes"]}


def test_not_a_recording_is_one_line_and_exit_2(tmp_path: Path) -> None:
    junk = tmp_path / "junk.gz"
    junk.write_text("not gzip")
    for argv in (("replay", str(junk), "--json"), ("replay", str(junk)),
                 ("report", "--from", str(junk))):  # fmt: skip
        proc = darc_tui(*argv)
        assert proc.returncode == 2
        assert proc.stderr.strip().endswith("not a darc-tui recording"), proc.stderr


def test_replay_console_at_80x24_in_tmux_plays_steps_and_quits(
    tmux: Tmux,  # noqa: F811 - the fixture imported above
    recording: Path,
    tmp_path: Path,
) -> None:
    status = tmp_path / "status"
    argv = [sys.executable, "-m", "darc_tui", "replay", str(recording), "--speed", "4"]
    script = f"cd {shlex.quote(str(REPO))} && {shlex.join(argv)}; echo $? > {status}"
    env = {"TERM": "xterm-256color", "PATH": os.environ.get("PATH", "")}
    tmux("-f", "/dev/null", "new-session", "-d", "-s", "ui", "-x", "80", "-y", "24",
         *(a for k, v in env.items() for a in ("-e", f"{k}={v}")), script)  # fmt: skip
    tmux.until(lambda: "REPLAY" in tmux.screen(), "the replay header")
    assert "● LIVE" not in tmux.screen() and "^r" not in tmux.screen()
    # played at 4x, the recorded backend stop shows up on the same panes as live
    tmux.until(lambda: "backend.down" in tmux.screen() or "Nothing listens" in tmux.screen(),
               "the recorded cause")  # fmt: skip
    tmux.until(lambda: "■ END" in tmux.screen(), "the end of the recording")
    # the Clusters pane draws its host rows from the recorded /clusters payload, as live
    rows = tmux.screen().splitlines()
    assert any(row.startswith(" 127.0.0.1:") for row in rows), tmux.screen()
    print("\n" + tmux.screen())
    tmux("send-keys", "-t", "ui", ",")
    tmux.until(lambda: "⏸ REPLAY" in tmux.screen(), "a step back pauses")
    tmux("send-keys", "-t", "ui", "q")
    tmux.until(status.exists, "the replay to exit")
    assert status.read_text().strip() == "0"
