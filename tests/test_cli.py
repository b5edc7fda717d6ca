"""The command line: usage mistakes are one line on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def darc_tui(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "darc_tui", *argv], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "argv",
    [
        ("check", "--watch", "-5"),
        ("check", "--watch", "0"),
        ("check", "--watch", "nan"),
        ("report", "--duration", "-1"),
    ],
)
def test_a_duration_must_be_a_positive_number_of_seconds(argv: tuple[str, ...]) -> None:
    proc = darc_tui(*argv)
    assert proc.returncode == 2
    assert "above 0" in proc.stderr and "Traceback" not in proc.stderr


def test_report_into_a_missing_directory_fails_at_once_with_one_line(tmp_path: Path) -> None:
    config = tmp_path / "darc-tui.toml"
    config.write_text(
        '[envoy]\nadmin_url = "http://127.0.0.1:9901"\n[backend]\nurl = "http://127.0.0.1:1"\n',
        encoding="utf-8",
    )
    target = tmp_path / "no-such-dir" / "incident.md"
    proc = darc_tui("report", "-c", str(config), "-o", str(target))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == f"darc-tui report: {target}: no such directory"
