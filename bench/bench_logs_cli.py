"""`darc-tui logs access --json` end to end vs `tail -F | grep` on the same appended file.

    .venv/bin/python bench/bench_logs_cli.py [--lines N] [--json]

A writer appends N recorded Envoy 1.40 access-log lines to a fresh file; the reader under test
(the darc-tui CLI as a user runs it, or the shell baseline) follows the file and writes one line
per record to a pipe that this script counts. lines/s = N / (last line read − first line read).
Locally, and over a real OpenSSH sshd on 127.0.0.1 when running as root. Printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "logs" / "envoy-1.40-default.log"
WRITER = """
import sys
lines = [x + bytes([10]) for x in open(sys.argv[1], "rb").read().split(bytes([10])) if x]
total, out = int(sys.argv[3]), open(sys.argv[2], "ab")
chunk = b"".join(lines[i % len(lines)] for i in range(1000))
for _ in range(total // 1000):
    out.write(chunk)
out.close()
"""


def count_lines(
    argv: list[str], log: Path, lines: int, env: dict[str, str], ready: bytes = b""
) -> dict[str, Any]:
    """Start `argv` (a follower of `log`), append `lines`, count its output lines."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    if ready:  # darc-tui says on stderr when it follows the file
        said = b""
        while ready not in said and (chunk := os.read(proc.stderr.fileno(), 4096)):
            said += chunk
    else:
        time.sleep(2.0)
    cpu0 = _cpu(proc.pid)
    subprocess.run([sys.executable, "-c", WRITER, str(SAMPLE), str(log), str(lines)], check=True)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    seen, first, last = 0, 0.0, 0.0
    deadline = time.monotonic() + 600
    fd = proc.stdout.fileno()
    while seen < lines and time.monotonic() < deadline:
        if not sel.select(timeout=30):
            break
        data = os.read(fd, 1 << 20)
        if not data:
            break
        now = time.perf_counter()
        first = first or now
        seen += data.count(b"\n")
        last = now
    cpu = _cpu(proc.pid) - cpu0
    proc.terminate()
    proc.wait(10)
    seconds = max(last - first, 1e-9)
    return {
        "lines": seen,
        "seconds": round(seconds, 3),
        "lines_per_s": round(seen / seconds),
        "cpu_s": round(cpu, 2),
    }


def _cpu(pid: int) -> float:
    """CPU seconds of a process and its waited-for children (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def darc_config(folder: Path, log: Path, host: str = "local", extra: str = "") -> Path:
    path = folder / "darc-tui.toml"
    path.write_text(
        f'{extra}[envoy]\nhost = "{host}"\naccess_log = "{log}"\nconfig_path = ""\nunit = ""\n'
        'error_log = ""\nadmin_url = "http://127.0.0.1:9"\n[backend]\nurl = "http://127.0.0.1:9"\n'
    )
    return path


def run(lines: int, with_ssh: bool) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="darc-bench-logcli-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    results: dict[str, Any] = {}
    try:
        log = folder / "base.log"
        log.touch()
        tail = f"tail -n +1 -F {log} | grep -a --line-buffered ''"
        results["baseline_tail_grep"] = count_lines(["sh", "-c", tail], log, lines, env)
        log = folder / "local.log"
        log.touch()
        cfg = darc_config(folder, log)
        cli = [sys.executable, "-m", "darc_tui", "logs", "-c", str(cfg), "access", "--json"]
        results["local"] = count_lines(cli, log, lines, env, ready=b"following")
        if with_ssh:
            results["ssh"] = _over_ssh(folder, lines, env)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results


def _over_ssh(folder: Path, lines: int, env: dict[str, str]) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from tests.lab.sshd import Sshd, _free_port

    sshd = Sshd(folder / "sshd", _free_port(), "127.0.0.1", True, 10, None)
    sshd.dir.mkdir()
    sshd.write_files()
    sshd.start()
    try:
        hc = sshd.host_config()
        log = folder / "ssh.log"
        log.touch()
        extra = (
            f'[hosts.edge]\naddress = "{hc.address}"\nport = {hc.port}\nuser = "{hc.user}"\n'
            f'identity_file = "{hc.identity_file}"\nknown_hosts = "{hc.known_hosts}"\n\n'
        )
        cfg = darc_config(folder, log, host="edge", extra=extra)
        cli = [sys.executable, "-m", "darc_tui", "logs", "-c", str(cfg), "access", "--json"]
        return count_lines(cli, log, lines, env, ready=b"following")
    finally:
        sshd.kill_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with_ssh = os.geteuid() == 0 and os.path.exists("/usr/sbin/sshd")
    results = run(args.lines, with_ssh)
    print(json.dumps(results, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
