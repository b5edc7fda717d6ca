"""Lab fixtures: a private systemd-journald, and journal files built by systemd-journal-remote.

`journald` starts systemd-journald in its own mount namespace (`unshare -m`): /run is a fresh
tmpfs there and /var/log/journal (if present) is hidden under another, so it never touches this
machine's journal. Its runtime journal directory is a bind mount of a temp dir, so `journalctl
--directory=DIR` reads it from anywhere (locally or through sshd). Entries are written with
`systemd-cat` entered into that namespace. Trusted fields such as _SYSTEMD_UNIT need systemd's
cgroups, so `-u` cannot be exercised here; `journal_file` builds a journal with
_SYSTEMD_UNIT=envoy.service from export-format text with systemd-journal-remote instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require

JOURNALD = "/lib/systemd/systemd-journald"
JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"
START_TIMEOUT = 10.0

_NAMESPACE = r"""
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/journal /run/log/journal
mount --bind "$1" /run/log/journal
if [ -d /var/log/journal ]; then mount -t tmpfs tmpfs /var/log/journal; fi
exec "$2"
"""


@dataclass
class Journald:
    """One private journald; `dir` is its journal directory as seen from outside."""

    dir: Path
    proc: subprocess.Popen[bytes]

    def write(
        self, lines: Sequence[str], identifier: str = "envoy", priority: str = "info"
    ) -> None:
        """One journal entry per line, through systemd-cat inside the namespace."""
        subprocess.run(
            ["nsenter", "-t", str(self.proc.pid), "-m", "systemd-cat", "-t", identifier,
             "-p", priority],
            input="".join(f"{line}\n" for line in lines).encode(),
            check=True,
            timeout=30,
        )  # fmt: skip

    def match(self, identifier: str = "envoy") -> tuple[str, ...]:
        """journalctl arguments that select this journal's entries from `identifier`."""
        return ("--directory", str(self.dir), "-t", identifier)

    def entries(self, identifier: str = "envoy") -> list[str]:
        out = subprocess.run(
            ["journalctl", *self.match(identifier), "-o", "cat", "-n", "all", "--no-pager"],
            capture_output=True,
            check=False,
            timeout=30,
        )
        return out.stdout.decode("utf-8", "replace").splitlines()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture
def journald() -> Iterator[Journald]:
    require(os.geteuid() == 0, "root (mount namespaces)")
    require(os.path.exists(JOURNALD), f"systemd-journald at {JOURNALD}")
    require(all(shutil.which(t) for t in ("unshare", "nsenter", "systemd-cat")), "util-linux")
    workdir = Path(tempfile.mkdtemp(prefix="darc-journald-"))
    workdir.chmod(0o755)
    journal_dir = workdir / "journal"
    journal_dir.mkdir(mode=0o755)
    proc = subprocess.Popen(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", _NAMESPACE, "sh",
         str(journal_dir), JOURNALD],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    lab = Journald(journal_dir, proc)
    try:
        _wait_ready(lab)
        yield lab
    finally:
        lab.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_ready(lab: Journald) -> None:
    """Until an entry written through the socket can be read back: a journalctl that opens
    system.journal while journald is still setting it up skips the file and never sees it."""
    deadline = time.monotonic() + START_TIMEOUT
    while not list(lab.dir.glob("*/system.journal")):
        if lab.proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("systemd-journald did not start")
        time.sleep(0.02)
    lab.write(["ready"], identifier="darc-lab")
    while lab.entries("darc-lab") != ["ready"]:
        if time.monotonic() > deadline:
            raise RuntimeError("systemd-journald does not store entries")
        time.sleep(0.02)


def export_entry(message: str, seq: int, unit: str = "envoy.service") -> str:
    """One entry in journal export format (what `journalctl -o export` prints)."""
    usec = 1_795_600_000_000_000 + seq * 1000
    return (
        f"__CURSOR=s=0;i={seq:x}\n__REALTIME_TIMESTAMP={usec}\n__MONOTONIC_TIMESTAMP={seq}\n"
        f"_BOOT_ID=4202f71ebd7e4b33a14893607864d644\n_SYSTEMD_UNIT={unit}\n"
        f"SYSLOG_IDENTIFIER=envoy\n_PID=4242\nPRIORITY=6\nMESSAGE={message}\n\n"
    )


def append_export(journal: Path, entries: Sequence[str]) -> None:
    """Append entries (export format) to a .journal file with systemd-journal-remote."""
    subprocess.run(
        [JOURNAL_REMOTE, "-o", str(journal), "-"],
        input="".join(entries).encode(),
        check=True,
        capture_output=True,
        timeout=30,
    )


@pytest.fixture
def journal_file(tmp_path: Path) -> Path:
    """Where a systemd-journal-remote built journal goes (append to it with append_export)."""
    require(os.path.exists(JOURNAL_REMOTE), f"systemd-journal-remote at {JOURNAL_REMOTE}")
    folder = tmp_path / "remote"
    folder.mkdir()
    return folder / "envoy.journal"
