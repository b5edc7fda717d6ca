"""FileFollower under load: connections killed and files rotated while a writer keeps appending."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

from darc_tui.hosts.base import Host
from darc_tui.hosts.ssh import SshHost
from darc_tui.logs.file_follower import FileFollower
from darc_tui.model import Status
from darc_tui.retry import Backoff
from darc_tui.retry import Backoff as HostBackoff
from tests.lab.sshd import TEST_USER, Sshd
from tests.logs._support import RecordingSink, running, tails_reading, until

TOTAL = 3000  # lines, written at ~1000 lines/s
DROPS = 4


def ssh_host(sshd: Sshd, user: str = "root") -> SshHost:
    return SshHost(
        sshd.host_config(user=user),
        ssh_config=(),
        connect_timeout=5.0,
        keepalive_interval=2.0,
        backoff=HostBackoff(base=0.05, cap=0.2),
    )


class Writer(threading.Thread):
    """Appends `total` numbered lines in bursts of 10 every 10 ms, like a busy Envoy."""

    def __init__(self, path: Path, total: int) -> None:
        super().__init__(daemon=True)
        self.path, self.total, self.written = path, total, 0

    def run(self) -> None:
        with self.path.open("ab", buffering=0) as f:
            while self.written < self.total:
                burst = range(self.written, min(self.written + 10, self.total))
                f.write(b"".join(b"req %06d\n" % i for i in burst))
                self.written = burst.stop
                time.sleep(0.01)


async def test_every_line_arrives_once_in_order_while_connections_are_killed(
    sshd: Sshd, tmp_path: Path
) -> None:
    log = tmp_path / "access.log"
    log.touch()
    host = ssh_host(sshd)
    sink = RecordingSink()
    follower = FileFollower(host, str(log), poll_interval=0.5, backoff=Backoff(0.05, 0.5))
    writer = Writer(log, TOTAL)
    try:
        async with running(lambda: follower.follow(sink)):
            await until(lambda: any(e.status is Status.OK for e in sink.seen), "following")
            writer.start()
            for n in range(1, DROPS + 1):
                await until(lambda n=n: len(sink.got) >= n * TOTAL // (DROPS + 2), "progress")
                # a catch-up burst can pass two thresholds at once: drop a live connection only
                await until(lambda: bool(sshd.connection_pids()), "connected again")
                assert sshd.drop_connections() > 0
            await until(lambda: len(sink.got) >= TOTAL, "every line", timeout=60)
            reconnects = [e for e in sink.seen if e.status is Status.ERROR]
    finally:
        writer.join(10)
        await host.close()
    assert sink.lines() == [f"req {i:06d}" for i in range(TOTAL)]
    assert not sink.gaps()
    assert len(reconnects) >= 1  # the drops were noticed (several may merge into one report)
    await until(lambda: not tails_reading(log), "no remote tail left", timeout=15)


def root_only_file(folder: Path) -> Path:
    secret = folder / "secret.log"
    secret.write_bytes(b"root only\n")
    secret.chmod(0o600)
    folder.chmod(0o755)
    return secret


async def test_permission_denied_is_evidence_not_a_crash(sshd: Sshd, tmp_path: Path) -> None:
    secret = root_only_file(tmp_path)
    host = ssh_host(sshd, user=TEST_USER)
    sink = RecordingSink()
    try:
        async with running(lambda: FileFollower(host, str(secret)).follow(sink)):
            await until(lambda: bool(sink.seen), "a report")
    finally:
        await host.close()
    assert sink.seen[0].status is Status.ERROR
    assert "permission denied" in sink.seen[0].detail and not sink.got


async def test_host_down_is_reported_and_following_resumes_when_it_is_back(
    sshd: Sshd, tmp_path: Path
) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(b"one\n")
    host = ssh_host(sshd)
    sink = RecordingSink()
    try:
        async with running(
            lambda: FileFollower(host, str(log), backoff=Backoff(0.05, 0.3)).follow(sink)
        ):
            await until(lambda: len(sink.got) == 1, "first line")
            live = sshd.connection_pids()
            sshd.stop()  # no new logins ...
            for pid in live:  # ... and the live one dies
                os.kill(pid, signal.SIGKILL)
            await until(
                lambda: any(e.status is Status.ERROR for e in sink.seen), "a host-down report"
            )
            log.write_bytes(b"one\ntwo\n")
            sshd.log_file.unlink()  # a restart with the old log confused Sshd.start()
            sshd.start()
            await until(lambda: len(sink.got) == 2, "the line written while down", timeout=60)
    finally:
        await host.close()
    assert sink.lines() == ["one", "two"]
    assert sink.seen[-1].status is Status.OK


class RotatingWriter(Writer):
    """A Writer that, like logrotate + Envoy's reopen, renames the log away (shifting .1 to .2)
    and reopens a fresh file at the given line numbers."""

    def __init__(self, path: Path, total: int, rotate_at: tuple[int, ...]) -> None:
        super().__init__(path, total)
        self.rotate_at = rotate_at

    def run(self) -> None:
        out = self.path.open("ab", buffering=0)
        try:
            while self.written < self.total:
                if self.written in self.rotate_at:
                    old = self.path.with_name(self.path.name + ".1")
                    if old.exists():
                        old.rename(self.path.with_name(self.path.name + ".2"))
                    self.path.rename(old)
                    out.write(b"req %06d\n" % self.written)  # still goes to the old file
                    self.written += 1
                    out.close()
                    out = self.path.open("ab", buffering=0)
                burst = range(self.written, min(self.written + 10, self.total))
                out.write(b"".join(b"req %06d\n" % i for i in burst))
                self.written = burst.stop
                time.sleep(0.01)
        finally:
            out.close()


async def test_rotations_under_load_lose_and_repeat_nothing(host: Host, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.touch()
    sink = RecordingSink()
    follower = FileFollower(host, str(log), poll_interval=0.3, backoff=Backoff(0.05, 0.5))
    writer = RotatingWriter(log, 2000, rotate_at=(500, 1200))
    async with running(lambda: follower.follow(sink)):
        await until(lambda: any(e.status is Status.OK for e in sink.seen), "following")
        writer.start()
        await until(lambda: len(sink.got) >= 2000, "every line", timeout=60)
    writer.join(10)
    assert sink.lines() == [f"req {i:06d}" for i in range(2000)]
    assert not sink.gaps()
