"""Probe round time and SSH channels at peak, per sshd variant (issue 11's closing numbers).

    .venv/bin/python bench/bench_ssh.py [--rounds N] [--json]

A real lab (Envoy + backend on loopback) and one real OpenSSH sshd per variant, as in
tests/hosts/test_variants.py; the Envoy host is reached over SSH and every probe runs. For each
variant: the first round (connect + helper start included), the median of the next N rounds, the
session channels darc-tui held at once (Link.peak_sessions) and all channels open at once on the
connection (sessions + direct-tcpip, sampled every millisecond). Needs root. Printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from darc_tui.config import parse_config  # noqa: E402
from darc_tui.demo.envoy_process import find_envoy  # noqa: E402
from darc_tui.engine import build_engine  # noqa: E402
from darc_tui.hosts.ssh import SshHost  # noqa: E402
from tests.lab import sshd as lab_sshd  # noqa: E402
from tests.lab.lab import make  # noqa: E402

VARIANTS: dict[str, dict[str, Any]] = {
    "local (no SSH)": {},
    "forwarding": {"ssh": {}},
    "AllowTcpForwarding no": {"ssh": {"forwarding": False}},
    "MaxSessions 2 (max_sessions 2)": {"ssh": {"forwarding": False, "sshd_max": 2, "max": 2}},
    "non-root, no sudo": {"ssh": {"user": lab_sshd.TEST_USER}},
    "non-root, sudo -n": {"ssh": {"user": lab_sshd.SUDO_USER, "sudo": True}},
    "bastion (ProxyJump)": {"ssh": {"bastion": True, "forwarding": False}},
    "no curl (no forwarding)": {
        "ssh": {"forwarding": False, "path": lambda d: lab_sshd.without_tools(d, "curl")}
    },
    "busybox only (no python3)": {"ssh": {"path": lab_sshd.busybox_only}},
}


def start_sshd(forwarding: bool = True, sshd_max: int = 10, path: Any = None) -> lab_sshd.Sshd:
    workdir = Path(tempfile.mkdtemp(prefix="darc-bench-sshd-"))
    workdir.chmod(0o755)
    sshd = lab_sshd.Sshd(workdir, lab_sshd._free_port(), "127.0.0.1", forwarding, sshd_max, None)
    sshd.path = path(workdir) if path else ""
    sshd.write_files()
    sshd.start()
    return sshd


def host_table(sshd: lab_sshd.Sshd, user: str, **extra: Any) -> dict[str, Any]:
    hc = sshd.host_config(user=user)
    return {
        "address": hc.address,
        "port": hc.port,
        "user": hc.user,
        "identity_file": hc.identity_file,
        "known_hosts": hc.known_hosts,
        **extra,
    }


async def measure(config_text: str, rounds: int) -> dict[str, Any]:
    engine = build_engine(parse_config(config_text))
    ssh_hosts = [h for h in engine.hosts.values() if isinstance(h, SshHost)]
    peak_channels = 0

    async def sample() -> None:
        nonlocal peak_channels
        while True:
            for host in ssh_hosts:
                link = host.current_link()
                if link is not None:
                    peak_channels = max(peak_channels, len(link.conn._channels))
            await asyncio.sleep(0.001)

    sampler = asyncio.create_task(sample())
    try:
        t0 = time.perf_counter()
        await engine.run_round()
        first = (time.perf_counter() - t0) * 1000
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            await engine.run_round()
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
        links = [h.current_link() for h in ssh_hosts]
        sessions = max((link.peak_sessions for link in links if link is not None), default=0)
        routes = [h.state().detail for h in ssh_hosts if h.name == "edge"]
        await engine.stop()
    return {
        "first_round_ms": round(first, 1),
        "round_ms_median": round(statistics.median(times), 1),
        "peak_sessions": sessions,
        "peak_channels": peak_channels,
        "route": routes[0] if routes else "local",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    binary = find_envoy()
    if binary is None:
        print("needs an Envoy binary", file=sys.stderr)
        return 2
    lab_sshd.ensure_test_user()
    lab_sshd.ensure_sudo_user()
    root = Path(tempfile.mkdtemp(prefix="darc-bench-ssh-"))
    root.chmod(0o755)
    lab = make(root / "lab", binary)
    sshds: list[lab_sshd.Sshd] = []
    results: dict[str, Any] = {}
    try:
        for name, variant in VARIANTS.items():
            spec = variant.get("ssh")
            if spec is None:
                text = lab.write_config(root / "local.toml").read_text()
            else:
                target = start_sshd(
                    spec.get("forwarding", True), spec.get("sshd_max", 10), spec.get("path")
                )
                sshds.append(target)
                edge: dict[str, Any] = {"sudo": spec.get("sudo", False)}
                if "max" in spec:
                    edge["max_sessions"] = spec["max"]
                hosts: dict[str, Any] = {}
                if spec.get("bastion"):
                    bastion = start_sshd()
                    sshds.append(bastion)
                    hosts["bastion"] = host_table(bastion, "root")
                    edge["jump"] = "bastion"
                hosts["edge"] = host_table(target, spec.get("user", "root"), **edge)
                path = root / f"{len(results)}.toml"
                text = lab.write_config(path, envoy={"host": "edge"}, hosts=hosts).read_text()
            results[name] = asyncio.run(measure(text, args.rounds))
            if not args.json:
                r = results[name]
                print(
                    f"{name:32} first {r['first_round_ms']:7.1f} ms  round {r['round_ms_median']:7.1f}"
                    f" ms  sessions {r['peak_sessions']}  channels {r['peak_channels']:2}  "
                    f"{r['route']}"
                )
    finally:
        for sshd in sshds:
            sshd.kill_all()
            shutil.rmtree(sshd.dir, ignore_errors=True)
        lab.close()
        shutil.rmtree(root, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
