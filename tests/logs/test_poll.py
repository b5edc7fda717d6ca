"""The local rotation poll (os.stat in-process) reads what the shell poll prints (`stat -L` of the
path and of the follower's fd 3), for a followed file, a renamed one, and a missing one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from darc_tui.hosts.local import LocalHost
from darc_tui.logs.file_follower import _POLL, _stat_lines, _stat_local


def holds(pid: int, log: Path) -> bool:
    fd3 = Path(f"/proc/{pid}/fd/3")
    return fd3.exists() and fd3.resolve() == log


async def shell_poll(path: str, pid: int) -> dict[str, tuple[int, int]]:
    result = await LocalHost().run(("sh", "-c", _POLL, "darc-poll", path, str(pid)), timeout=10)
    return _stat_lines(result.text())


@pytest.mark.parametrize("case", ["followed", "rotated", "missing", "no_process"])
async def test_the_local_poll_reads_what_the_shell_poll_prints(tmp_path: Path, case: str) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(b"one\ntwo\n")
    holder = await asyncio.create_subprocess_exec(
        "sh", "-c", 'exec 3<"$1"; exec sleep 30', "holder", str(log)
    )
    try:
        pid = holder.pid
        for _ in range(500):  # the holder has opened the file (before we move it)
            if holds(pid, log):
                break
            await asyncio.sleep(0.01)
        if case == "rotated":
            log.rename(tmp_path / "access.log.1")
            log.write_bytes(b"new\n")
        elif case == "missing":
            log.unlink()
        elif case == "no_process":
            pid = 2**22 + 1  # above pid_max: no such process
        want = await shell_poll(str(log), pid)
        assert _stat_local(str(log), pid) == want
        assert ("fd" in want) is (case != "no_process")
        assert ("path" in want) is (case != "missing")
    finally:
        holder.kill()
        await holder.wait()
