"""Copyable next steps are quoted: pasted into a real shell, a hostile address or DNS name runs
nothing, and a remote pipeline (`iptables …; nft …`) runs wholly on the Envoy host."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from darc_tui.config import parse_config
from darc_tui.diagnosis import steps
from darc_tui.diagnosis.context import Context, on_host, ssh_argv
from darc_tui.state import State

HOSTILE_NAME = "x;touch pwned-by-name"
CONFIG = parse_config(
    '[hosts.edge]\naddress = "10.0.0.1;touch pwned-by-address"\nuser = "ops"\nport = 2222\n'
    'jump = "bastion"\n[hosts.bastion]\naddress = "bastion.internal"\nuser = "j$(touch pwned)"\n'
    '[envoy]\nhost = "edge"\nadmin_url = "http://127.0.0.1:9901"\n'
    '[backend]\nurl = "http://127.0.0.1:18443"\n'
)


def paste(tmp_path: Path, line: str) -> list[str]:
    """Run `line` in sh (as an engineer pasting it) with a fake `ssh` that records its argv."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "ssh"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\0" "$a"; done > ssh-argv\n')
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    subprocess.run(["sh", "-c", line], cwd=tmp_path, env=env, check=True, timeout=10)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith("pwned")]
    return (tmp_path / "ssh-argv").read_bytes().decode().split("\0")[:-1]


def test_the_remote_pipeline_runs_wholly_on_the_envoy_host(tmp_path: Path) -> None:
    line = steps.firewall(Context(State(), CONFIG), 18443)
    argv = paste(tmp_path, line)
    assert argv[:-2] == ["-p", "2222", "-J", "j$(touch pwned)@bastion.internal:22",
                         "ops@10.0.0.1;touch pwned-by-address"]  # fmt: skip
    assert argv[-2] == "--"
    assert argv[-1] == "iptables -S | grep -w 18443; nft list ruleset | grep -w 18443"


def test_a_hostile_dns_name_from_envoy_yaml_stays_one_argument(tmp_path: Path) -> None:
    line = on_host(CONFIG, "edge", shlex.join(["getent", "hosts", HOSTILE_NAME]))
    remote = paste(tmp_path, line)[-1]
    assert shlex.split(remote) == ["getent", "hosts", HOSTILE_NAME]


@pytest.mark.parametrize("host", ["edge", "bastion", "unknown;touch pwned"])
def test_ssh_argv_is_literal(host: str) -> None:
    argv = ssh_argv(CONFIG, host)
    assert shlex.split(shlex.join(argv)) == argv
