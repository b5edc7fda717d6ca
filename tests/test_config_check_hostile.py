"""`darc-tui config check` on hostile input: endless or huge files are refused within the deadline,
passwords in URLs are never printed, names from envoy.yaml cannot drive the terminal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.hostile import OSC52, unsafe_in
from tests.parse.test_safe_yaml import ALIAS_BOMB


def config_check(tmp_path: Path, config_path: str, **urls: str) -> subprocess.CompletedProcess[str]:
    backend = urls.get("backend", "http://127.0.0.1:1")
    config = tmp_path / "darc-tui.toml"
    config.write_text(
        f'[site]\nname = "secret"\npublic_url = "https://ops:hunter2@127.0.0.1/"\n'
        f'[envoy]\nadmin_url = "http://127.0.0.1:9901"\nconfig_path = "{config_path}"\n'
        f'[backend]\nurl = "{backend}"\n',
        encoding="utf-8",
    )
    return subprocess.run(
        [sys.executable, "-m", "darc_tui", "config", "check", "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=60,  # the test's own deadline: the old unbounded `cat` hung here
    )


def test_dev_zero_as_envoy_yaml_is_refused_not_read(tmp_path: Path) -> None:
    proc = config_check(tmp_path, "/dev/zero")
    assert "envoy.yaml /dev/zero: not read (larger than 4 MiB)" in proc.stdout, proc.stdout
    assert "Traceback" not in proc.stderr


def test_a_huge_envoy_yaml_is_refused_not_read(tmp_path: Path) -> None:
    huge = tmp_path / "envoy.yaml"
    with huge.open("wb") as f:
        f.truncate(400 * 1024 * 1024)  # sparse: 400 MB of NULs, no disk used
    proc = config_check(tmp_path, str(huge))
    assert "not read (larger than 4 MiB)" in proc.stdout, proc.stdout


def test_passwords_in_urls_are_not_printed(tmp_path: Path) -> None:
    proc = config_check(tmp_path, "", backend="http://:r3dispw@127.0.0.1:6379/0")
    assert "hunter2" not in proc.stdout and "r3dispw" not in proc.stdout
    assert "secret: public URL https://ops:‹redacted›@127.0.0.1/" in proc.stdout, proc.stdout


def test_an_alias_bomb_and_escaped_names_in_envoy_yaml_are_one_safe_line(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(ALIAS_BOMB, encoding="utf-8")
    proc = config_check(tmp_path, str(bomb))
    assert "invalid YAML: aliases expand the document" in proc.stdout, proc.stdout
    named = tmp_path / "named.yaml"
    escaped = OSC52.replace("\x1b", "\\e").replace("\x07", "\\a")  # YAML escapes decode to both
    named.write_text(
        f'static_resources:\n  clusters:\n  - name: "evil{escaped}"\n    type: STATIC\n',
        encoding="utf-8",
    )
    proc = config_check(tmp_path, str(named))
    assert "evil␛]52;c;" in proc.stdout, proc.stdout
    assert unsafe_in(proc.stdout) == [] and unsafe_in(proc.stderr) == []
