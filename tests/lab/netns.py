"""Lab fixtures: a throwaway network namespace joined to the root namespace by a veth pair.

Addresses come from 198.18.0.0/15 (RFC 2544 benchmark range): one /30 per namespace, root side
.1, namespace side .2. Nothing routes there but the veth, so traffic never leaves this machine.
Needs root (CAP_NET_ADMIN + CAP_SYS_ADMIN); `require()` skips or fails the test otherwise.
"""

from __future__ import annotations

import fcntl
import ipaddress
import os
import random
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require

_BENCHMARK_NET = ipaddress.IPv4Network("198.18.0.0/15")
_SLOTS = _BENCHMARK_NET.num_addresses // 4
_LOCK_FILE = Path("/run/darc-tui-netns.lock")
_PREFIX = "darc-"


class Netns:
    """A named namespace with `lo` up and one veth pair; `close()` removes everything it made."""

    def __init__(self, slot: int) -> None:
        base = _BENCHMARK_NET.network_address + 4 * slot
        self.slot = slot
        self.name = f"{_PREFIX}{os.getpid()}-{slot}"
        self.peer_addr = str(base + 1)  # root namespace side
        self.addr = str(base + 2)  # inside the namespace
        self.veth_root = f"dvr{slot:x}"  # interface names: at most 15 characters
        self.veth_ns = f"dvn{slot:x}"
        self._procs: list[subprocess.Popen[Any]] = []

    def create(self) -> None:
        name, veth_root, veth_ns = self.name, self.veth_root, self.veth_ns
        _run(["ip", "netns", "add", name])
        _run(["ip", "-n", name, "link", "set", "lo", "up"])
        _run(["ip", "link", "add", veth_root, "type", "veth", "peer", veth_ns, "netns", name])
        _run(["ip", "addr", "add", f"{self.peer_addr}/30", "dev", veth_root])
        _run(["ip", "link", "set", veth_root, "up"])
        _run(["ip", "-n", name, "addr", "add", f"{self.addr}/30", "dev", veth_ns])
        _run(["ip", "-n", name, "link", "set", veth_ns, "up"])

    @property
    def processes(self) -> tuple[subprocess.Popen[Any], ...]:
        """Processes started with popen()/start_backend(), oldest first."""
        return tuple(self._procs)

    def argv(self, argv: Sequence[str]) -> list[str]:
        return ["ip", "netns", "exec", self.name, *argv]

    def exec(self, argv: Sequence[str], *, check: bool = True, timeout: float = 30, **kwargs: Any):
        """Run `argv` inside the namespace to completion (text output captured)."""
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        return subprocess.run(self.argv(argv), check=check, timeout=timeout, **kwargs)

    def popen(self, argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
        """Start `argv` inside the namespace; it is killed (with its group) on close()."""
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        proc = subprocess.Popen(self.argv(argv), start_new_session=True, **kwargs)
        self._procs.append(proc)
        return proc

    def start_backend(self, port: int = 18443, *args: str) -> str:
        """Run the demo backend inside the namespace on `addr:port`; returns its URL once it listens.
        `args` are extra backend options, e.g. "--health-status", "500"."""
        argv = [sys.executable, "-m", "darc_tui.demo.backend", "--host", self.addr]
        proc = self.popen([*argv, "--port", str(port), *args], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        line = proc.stdout.readline().split()  # EOF (empty) if it failed to start
        if len(line) != 2 or line[0] != "listening":
            _kill_group(proc)
            raise RuntimeError(f"backend in {self.name} did not start (exit {proc.returncode})")
        return line[1]

    def close(self) -> None:
        for proc in self._procs:
            _kill_group(proc)
        # Anything else still running in the namespace (started via exec, or a daemon).
        pids = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True, text=True)
        for pid in pids.stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        # Deleting one end of a veth deletes the pair; the namespace deletion would do it too.
        subprocess.run(["ip", "link", "del", self.veth_root], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


def _run(argv: Sequence[str]) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {result.stderr.strip()}")


def _kill_group(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=10)


def _used_slots() -> set[int]:
    """Slots whose root-side address is already configured (by another test or worker)."""
    out = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True).stdout
    used = set()
    for word in out.split():
        try:
            address = ipaddress.IPv4Interface(word).ip
        except ValueError:
            continue
        if address in _BENCHMARK_NET:
            used.add((int(address) - int(_BENCHMARK_NET.network_address)) // 4)
    return used


def _remove_stale_namespaces() -> None:
    """Namespaces left by a test process that was killed before its cleanup ran."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        name = line.split()[0] if line.split() else ""
        parts = name[len(_PREFIX) :].split("-")
        if not name.startswith(_PREFIX) or len(parts) != 2 or not parts[0].isdigit():
            continue
        if not Path(f"/proc/{parts[0]}").exists():
            subprocess.run(["ip", "link", "del", f"dvr{int(parts[1]):x}"], capture_output=True)
            subprocess.run(["ip", "netns", "del", name], capture_output=True)


def create_netns() -> Netns:
    """A new namespace on a free /30; a lock file keeps parallel workers off the same slot."""
    _LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
    with open(_LOCK_FILE, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _remove_stale_namespaces()
        used = _used_slots()
        slot = random.choice([s for s in range(1, _SLOTS) if s not in used])
        ns = Netns(slot)
        try:
            ns.create()
        except BaseException:
            ns.close()
            raise
    return ns


def _netns_possible() -> bool:
    return os.geteuid() == 0 and shutil.which("ip") is not None


@pytest.fixture
def netns() -> Iterator[Netns]:
    require(_netns_possible(), "root and iproute2 (network namespaces)")
    try:
        ns = create_netns()
    except RuntimeError as exc:
        require(False, f"network namespaces ({exc})")
        raise
    try:
        yield ns
    finally:
        ns.close()
