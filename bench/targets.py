"""Every metric of issue 13, each beside its baseline measured in the same run; prints JSON.

    .venv/bin/python bench/targets.py [--quick]      # ≈ 6 minutes on 2 cores (--quick: ≈ 2)

- idle console: `darc-tui` in tmux at 80x24 on the demo lab (real Envoy + backend, 1 s probes),
  CPU % of one core over a window (process + its waited-for children, from /proc/PID/stat)
  vs a bash loop running the runbook's commands once a second for the same window;
- `check --watch 30`: CPU seconds (with children) vs the same loop for 30 s;
- first frame: start → the console's first frame ("Causes" drawn) in a pseudo-terminal vs a
  Textual app showing one Static, alternated, median of 7 each (3 with --quick);
- `darc-tui --help`: wall and CPU (median of 5) vs `python -c pass`;
- logs: bench/bench_logs_cli.py (`logs access --json` on 200 000 appended lines, local and over
  a loopback sshd) vs `tail -F | grep`;
- /clusters: bench/scale_clusters.py (10 000 hosts: bytes → diagnosis → the console's host table
  drawn, CPU ms vs json.loads of the same payload; 32 MiB: peak RSS).
CPU is counted in CPU-seconds, not wall time: the machine is shared. Never asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import resource
import select
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import bench_logs_cli, scale_clusters  # noqa: E402
from darc_tui.demo.lab import DemoLab  # noqa: E402

PY = sys.executable
RUNBOOK_LOOP = r"""
end=$((SECONDS + $1))
while [ $SECONDS -lt $end ]; do
  curl -s -o /dev/null -w '%{http_code}\n' "$BACKEND" >/dev/null
  curl -s -o /dev/null -w '%{http_code}\n' "$PUBLIC" >/dev/null
  curl -s "$ADMIN/ready" >/dev/null
  curl -s "$ADMIN/clusters" | grep -E 'health_flags|cx_connect_fail' >/dev/null
  curl -s "$ADMIN/stats" | grep -E 'upstream_rq_5xx|upstream_cx_connect_fail' >/dev/null
  ss -tlnp | grep -E ":($LPORT|$APORT) " >/dev/null
  ps -eo pid,etimes,args | grep '[e]nvoy' >/dev/null
  timeout 1 bash -c "</dev/tcp/127.0.0.1/$BPORT" 2>/dev/null
  tail -c 65536 "$ACCESS" | awk '{print $5}' | sort | uniq -c >/dev/null
  sleep 1
done
"""
BARE_APP = """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("bare first frame")
Bare().run()
"""


def _ticks(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def runbook_loop(lab: DemoLab, seconds: int) -> float:
    """CPU seconds of the bash loop of runbook commands over `seconds`."""
    env = {
        **os.environ,
        "BACKEND": lab.backend.url + lab.backend.health_path,
        "PUBLIC": lab.public_url,
        "ADMIN": lab.admin_url,
        "LPORT": lab.listener_url.rsplit(":", 1)[1],
        "APORT": lab.admin_url.rsplit(":", 1)[1],
        "BPORT": lab.backend.url.rsplit(":", 1)[1],
        "ACCESS": str(lab.access_log),
    }
    before = _children_cpu()
    subprocess.run(["bash", "-c", RUNBOOK_LOOP, "loop", str(seconds)], env=env, check=False)
    return _children_cpu() - before


IDLE_SETTLE = 15.0
ONLY: set[str] = set()  # --only: the metrics to run


def idle_console(lab: DemoLab, seconds: int) -> dict[str, Any]:
    session = f"darc-bench-{os.getpid()}"
    cmd = f"{PY} -m darc_tui -c {lab.config_path}"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", cmd], check=True
    )
    try:
        # start-up and the first rounds are not "idle": a healthy, unchanged site turns calm
        # 5 s after its first clean diagnosis (darc_tui/engine/cadence.py); idle is after that
        time.sleep(IDLE_SETTLE)
        panes = subprocess.run(
            ["tmux", "list-panes", "-t", session, "-F", "#{pane_pid}"],
            capture_output=True,
            text=True,
            check=True,
        )
        pid = int(panes.stdout.split()[0])
        c0, w0 = _ticks(pid), time.monotonic()
        time.sleep(seconds)
        console = (_ticks(pid) - c0) / (time.monotonic() - w0) * 100
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    loop = runbook_loop(lab, seconds) / seconds * 100
    return {
        "console_cpu_percent": round(console, 2),
        "runbook_loop_cpu_percent": round(loop, 2),
        "target": "≤ 2 % of a core",
    }


def check_watch(lab: DemoLab, seconds: int) -> dict[str, Any]:
    before = _children_cpu()
    subprocess.run(
        [PY, "-m", "darc_tui", "check", "-c", str(lab.config_path), "--watch", str(seconds)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    darc = _children_cpu() - before
    loop = runbook_loop(lab, seconds)
    return {
        "check_watch_cpu_s": round(darc, 2),
        "runbook_loop_cpu_s": round(loop, 2),
        "ratio": round(darc / loop, 2) if loop else None,
        "target": "≤ 0.5× the loop",
    }


def first_frame_ms(argv: list[str], marker: bytes) -> float:
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, env)
    seen, at = b"", float("nan")
    while time.perf_counter() - t0 < 60:
        if select.select([fd], [], [], 0.05)[0]:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
            if marker in seen:
                at = (time.perf_counter() - t0) * 1000
                break
    os.kill(pid, 15)
    _drain(fd)  # what it writes while exiting: a full pty would block it (and us in waitpid)
    os.waitpid(pid, 0)
    os.close(fd)
    return at


def _drain(fd: int, seconds: float = 15.0) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                if not os.read(fd, 65536):
                    return
            except OSError:  # EIO: the child closed the terminal
                return


def first_frame(lab: DemoLab, runs: int) -> dict[str, Any]:
    """Console vs bare app, alternated run by run (load on a shared machine drifts: measuring one
    after the other put the drift into the ratio), with darc_tui's bytecode compiled first."""
    compiled = compile_bytecode()
    console = [PY, "-m", "darc_tui", "-c", str(lab.config_path)]
    ours, bare = [], []
    for _ in range(runs):
        ours.append(first_frame_ms(console, b"Causes"))
        bare.append(first_frame_ms([PY, "-c", BARE_APP], b"bare first frame"))
    a, b = statistics.median(ours), statistics.median(bare)
    return {
        "console_ms": round(a),
        "bare_textual_ms": round(b),
        "ratio": round(a / b, 2),
        "bytecode": compiled,
        "target": "≤ 1.3×",
    }


def compile_bytecode() -> str:
    """Compile darc_tui's bytecode, as installing the wheel does (pip compiles it) and as
    Textual's already is: with PYTHONDONTWRITEBYTECODE set (this project's shells) nothing ever
    writes it, and every start of a checkout compiled darc_tui from source (≈ 60 ms more)."""
    import compileall

    ok = compileall.compile_dir(ROOT / "darc_tui", quiet=1)
    return "compiled" if ok else "compile failed: measured from source"


def help_time(runs: int) -> dict[str, Any]:
    def one(argv: list[str]) -> tuple[float, float]:
        c0, t0 = _children_cpu(), time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        return time.perf_counter() - t0, _children_cpu() - c0

    ours = [one([PY, "-m", "darc_tui", "--help"]) for _ in range(runs)]
    bare = [one([PY, "-c", "pass"]) for _ in range(runs)]
    return {
        "help_wall_s": round(statistics.median(w for w, _ in ours), 3),
        "help_cpu_s": round(statistics.median(c for _, c in ours), 3),
        "bare_python_wall_s": round(statistics.median(w for w, _ in bare), 3),
        "bare_python_cpu_s": round(statistics.median(c for _, c in bare), 3),
        "target": "≤ 0.3 s",
    }


def logs_pane(presses: int) -> dict[str, Any]:
    """Key latency of the Logs pane in tmux while 50 000 lines/s arrive, vs the same keys idle
    (bench/bench_logs_pane.py; its own demo lab)."""
    from bench import bench_logs_pane

    return bench_logs_pane.run(50_000, presses)


def measure(results: dict[str, Any], name: str, run: Callable[[], Any]) -> None:
    """One metric into `results`; a failure is recorded, the other metrics still run."""
    if ONLY and name not in ONLY:
        return
    try:
        results[name] = run()
    except Exception as exc:  # a broken metric must not lose the others
        results[name] = {"error": f"{type(exc).__name__}: {exc}"}
    print(f"{name}: {json.dumps(results[name])}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter windows, fewer lines")
    parser.add_argument("--only", default="", help="comma-separated metric names (default: all)")
    args = parser.parse_args()
    quick = args.quick
    ONLY.update(filter(None, args.only.split(",")))
    started = time.monotonic()
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load": os.getloadavg()}}
    results["bytecode"] = compile_bytecode()  # every process below starts as an install would
    measure(results, "help", lambda: help_time(5))
    lab = DemoLab(probe_interval=1.0).start()
    try:
        if shutil.which("tmux"):
            measure(results, "idle_console", lambda: idle_console(lab, 10 if quick else 30))
        measure(results, "check_watch", lambda: check_watch(lab, 10 if quick else 30))
        measure(results, "first_frame", lambda: first_frame(lab, 3 if quick else 7))
    finally:
        lab.close()
    with_ssh = os.geteuid() == 0 and os.path.exists("/usr/sbin/sshd")
    lines = 50_000 if quick else 200_000
    measure(results, "logs", lambda: bench_logs_cli.run(lines, with_ssh))
    if shutil.which("tmux"):
        measure(results, "logs_pane_keys", lambda: logs_pane(5 if quick else 10))
    payload = scale_clusters.payload(100, 100)
    measure(results, "clusters_10k_hosts", lambda: scale_clusters.timings(payload, 5))
    measure(results, "clusters_32mib", scale_clusters.peak_rss)
    results["machine"]["load_after"] = os.getloadavg()
    results["seconds"] = round(time.monotonic() - started)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
