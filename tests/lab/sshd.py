"""Lab fixtures: a real OpenSSH sshd on loopback (or inside a test's netns), throwaway keys.

`make_sshd(...)` starts one; the returned `Sshd` knows its port, keys and known_hosts file, builds a
`HostConfig` for `SshHost`, can drop live connections (kill the per-connection sshd processes) and
stop/start the listener. Logins: root, the non-root user `TEST_USER` (no sudo) and `SUDO_USER`
(passwordless sudo), created on first use. Variants (one sshd config each): `allow_tcp_forwarding`,
`max_sessions`, and `path` (the PATH every session gets, e.g. `without_tools(...)` for "no curl" or
`busybox_only(...)` for a minimal host with no python3, bash or curl).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from darc_tui.config import HostConfig
from tests.conftest import require

SSHD = "/usr/sbin/sshd"  # absolute: sshd re-executes itself and refuses a relative path
TEST_USER = "darc-test"
SUDO_USER = "darc-sudo"  # passwordless sudo (a sudoers.d file written on first use)
SUDOERS_FILE = Path("/etc/sudoers.d/darc-sudo")
BUSYBOX = "/usr/bin/busybox"
# what a minimal (busybox) host offers: enough for darc-tui's commands, no python3/bash/curl/ss
BUSYBOX_APPLETS = (
    "sh", "cat", "head", "tail", "stat", "sleep", "kill", "timeout", "env", "printf", "echo",
    "id", "ps", "grep", "sed", "awk", "wc", "ls", "uname", "uptime", "nc", "netstat", "true",
    "false", "test", "[", "readlink", "date", "wget",
)  # fmt: skip
START_TIMEOUT = 10.0


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)


def ensure_test_user() -> str:
    """Create the non-root login (idempotent; retried because parallel workers lock /etc/passwd)."""
    for _ in range(20):
        if _run(["id", "-u", TEST_USER]).returncode != 0:
            _run(["useradd", "--create-home", "--shell", "/bin/sh", TEST_USER])
        # with UsePAM no, a "!" shadow password means "locked" and sshd refuses even key logins
        if _run(["usermod", "-p", "*", TEST_USER]).returncode == 0:
            return TEST_USER
        time.sleep(0.1)
    raise RuntimeError(f"could not create the test user {TEST_USER}")


def ensure_sudo_user() -> str:
    """The non-root login allowed `sudo -n` without a password (needs sudo installed)."""
    for _ in range(20):
        if _run(["id", "-u", SUDO_USER]).returncode != 0:
            _run(["useradd", "--create-home", "--shell", "/bin/sh", SUDO_USER])
        if _run(["usermod", "-p", "*", SUDO_USER]).returncode == 0:
            break
        time.sleep(0.1)
    if not SUDOERS_FILE.exists():
        tmp = SUDOERS_FILE.with_suffix(".tmp")
        tmp.write_text(f"{SUDO_USER} ALL=(ALL) NOPASSWD: ALL\n")
        tmp.chmod(0o440)
        tmp.rename(SUDOERS_FILE)
    return SUDO_USER


def without_tools(workdir: Path, *missing: str) -> str:
    """A PATH with every program of the usual bin directories except `missing` (symlinks)."""
    bindir = workdir / "bin"
    bindir.mkdir(mode=0o755, exist_ok=True)
    for source in ("/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"):
        for entry in sorted(Path(source).iterdir()) if Path(source).is_dir() else ():
            link = bindir / entry.name
            if entry.name not in missing and not link.exists() and not link.is_symlink():
                link.symlink_to(entry)
    return str(bindir)


def busybox_only(workdir: Path) -> str:
    """A PATH of busybox applets only: no python3, bash, curl, ss, journalctl."""
    bindir = workdir / "busybox"
    bindir.mkdir(mode=0o755, exist_ok=True)
    for applet in BUSYBOX_APPLETS:
        (bindir / applet).symlink_to(BUSYBOX)
    return str(bindir)


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "darc-lab", "-f", str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    out = _run(["pgrep", "-P", str(pid)])
    return [int(p) for p in out.stdout.split()]


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


@dataclass
class Sshd:
    """One running sshd. Paths are inside its own world-readable temp dir (non-root reads keys)."""

    dir: Path
    port: int
    listen: str
    allow_tcp_forwarding: bool
    max_sessions: int
    netns: str | None
    path: str = ""  # "" = sshd's default PATH; else the PATH every session gets
    host_key: Path = field(init=False)
    client_key: Path = field(init=False)
    known_hosts: Path = field(init=False)
    config_file: Path = field(init=False)
    log_file: Path = field(init=False)
    proc: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.host_key = self.dir / "host_ed25519"
        self.client_key = self.dir / "client_ed25519"
        self.known_hosts = self.dir / "known_hosts"
        self.config_file = self.dir / "sshd_config"
        self.log_file = self.dir / "sshd.log"

    def write_files(self) -> None:
        _keygen(self.host_key)
        _keygen(self.client_key)
        authorized = self.dir / "authorized_keys"
        key = self.client_key.with_suffix(".pub").read_text()
        # environment= in authorized_keys needs PermitUserEnvironment; it overrides sshd's PATH.
        # SHLVL=1 keeps a bash login shell from sourcing ~/.bashrc (Debian's bash does for ssh
        # sessions): this machine's root .bashrc runs `pyenv rehash`, which takes a lock and
        # writes to stderr, so concurrent root sessions stalled and polluted stderr.
        options = 'environment="SHLVL=1"' + (
            f',environment="PATH={self.path}"' if self.path else ""
        )
        authorized.write_text(f"{options} {key}")
        authorized.chmod(0o644)
        host_pub = self.host_key.with_suffix(".pub").read_text().split()
        self.known_hosts.write_text(f"[{self.listen}]:{self.port} {host_pub[0]} {host_pub[1]}\n")
        self.config_file.write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    f"ListenAddress {self.listen}",
                    f"HostKey {self.host_key}",
                    f"PidFile {self.dir / 'sshd.pid'}",
                    f"AuthorizedKeysFile {authorized}",
                    "StrictModes no",
                    "UsePAM no",
                    "PermitRootLogin prohibit-password",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    f"AllowTcpForwarding {'yes' if self.allow_tcp_forwarding else 'no'}",
                    f"MaxSessions {self.max_sessions}",
                    "MaxStartups 100:30:200",
                    "Subsystem sftp internal-sftp",
                    "LogLevel VERBOSE",
                    "PermitUserEnvironment SHLVL,PATH",
                    "",
                ]
            )
        )

    def start(self) -> None:
        """Start the listener and wait until it logs that it listens."""
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        argv = [SSHD, "-D", "-f", str(self.config_file), "-E", str(self.log_file)]
        if self.netns:
            argv = ["ip", "netns", "exec", self.netns, *argv]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        # compare bytes: `offset` is a byte size, and a decoded log (with replacement characters
        # for non-UTF-8 bytes that tests send through sshd) would shift a text index past it
        while b"Server listening on" not in self._log_bytes()[offset:]:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = self._log_bytes()[offset:][-500:].decode(errors="replace")
                self.stop()  # never leave a listener behind that nobody will stop
                raise RuntimeError(f"sshd did not start: {tail}")
            time.sleep(0.02)

    def _log_bytes(self) -> bytes:
        try:
            return self.log_file.read_bytes()
        except FileNotFoundError:
            return b""

    def stop(self) -> None:
        """Stop the listener (live connections keep their own sshd processes, like a real restart)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def connection_pids(self) -> list[int]:
        """The per-connection sshd processes (children of the listener, and their sshd children)."""
        if self.proc is None:
            return []
        found: list[int] = []
        todo = _children(self.proc.pid)
        while todo:
            pid = todo.pop()
            if _comm(pid).startswith("sshd"):
                found.append(pid)
                todo.extend(_children(pid))
        return found

    def drop_connections(self) -> int:
        """Kill every per-connection sshd process (SIGKILL): clients see the connection drop."""
        return self.signal_connections(signal.SIGKILL)

    def signal_connections(self, sig: int) -> int:
        """Send `sig` to every per-connection sshd process (SIGSTOP fakes a silent peer)."""
        pids = self.connection_pids()
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        return len(pids)

    def kill_all(self) -> None:
        self.drop_connections()
        self.stop()

    def log_text(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def host_config(
        self, name: str = "edge", *, user: str = "root", jump: str = "", address: str = ""
    ) -> HostConfig:
        """Settings for SshHost: address, port, user, this server's client key and known_hosts."""
        return HostConfig(
            name=name,
            address=address or self.listen,
            user=user,
            port=self.port,
            jump=jump,
            identity_file=str(self.client_key),
            known_hosts=str(self.known_hosts),
        )


MakeSshd = Callable[..., Sshd]


@contextmanager
def sshd_factory() -> Iterator[MakeSshd]:
    """make(allow_tcp_forwarding=True, max_sessions=10, netns=None, listen=..., path=None |
    without_tools-like callable(workdir) -> PATH); every sshd made is killed on leaving."""
    require(os.path.exists(SSHD), f"OpenSSH server at {SSHD}")
    require(os.geteuid() == 0, "root (sshd needs it)")
    require(shutil.which("ssh-keygen") is not None, "ssh-keygen")
    require(os.path.exists(BUSYBOX), f"busybox at {BUSYBOX} (apt-get install busybox)")
    require(shutil.which("sudo") is not None, "sudo (apt-get install sudo)")
    ensure_test_user()
    ensure_sudo_user()
    started: list[Sshd] = []

    def make(
        *,
        allow_tcp_forwarding: bool = True,
        max_sessions: int = 10,
        netns: str | None = None,
        listen: str = "127.0.0.1",
        port: int | None = None,
        path: Callable[[Path], str] | None = None,
    ) -> Sshd:
        workdir = Path(tempfile.mkdtemp(prefix="darc-sshd-"))
        workdir.chmod(0o755)  # the non-root test user must read authorized_keys
        last_error: Exception | None = None
        for _ in range(3):  # a free port can be taken between probing and binding
            sshd = Sshd(
                workdir, port or _free_port(), listen, allow_tcp_forwarding, max_sessions, netns
            )
            sshd.path = path(workdir) if path else ""
            sshd.write_files()
            try:
                sshd.start()
            except RuntimeError as exc:
                last_error = exc
                for f in workdir.iterdir():
                    if f.is_dir() and not f.is_symlink():
                        shutil.rmtree(f)
                    else:
                        f.unlink()
                continue
            started.append(sshd)
            return sshd
        raise RuntimeError(f"could not start sshd: {last_error}")

    try:
        yield make
    finally:
        for sshd in started:
            sshd.kill_all()
            shutil.rmtree(sshd.dir, ignore_errors=True)


@pytest.fixture
def make_sshd() -> Iterator[MakeSshd]:
    """Factory (see sshd_factory), one test's sshds."""
    with sshd_factory() as make:
        yield make


@pytest.fixture(scope="module")
def make_module_sshd() -> Iterator[MakeSshd]:
    """Factory (see sshd_factory) whose sshds live for the whole test module."""
    with sshd_factory() as make:
        yield make


@pytest.fixture
def sshd(make_sshd: MakeSshd) -> Sshd:
    """A default sshd on 127.0.0.1 (forwarding allowed, MaxSessions 10)."""
    return make_sshd()
