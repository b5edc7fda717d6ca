"""How many access-log lines one FileFollower sustains end to end, locally and over a real sshd.

    .venv/bin/python bench/bench_logs.py [--lines N] [--raw] [--json]

A writer process appends N Envoy access-log lines (recorded 1.40 format) as fast as it can; the
follower tails the file, splits lines, parses every one into fields and hands them to a sink.
Reported: lines/s and MiB/s from the first record to the last. Over SSH it runs through an OpenSSH
sshd on 127.0.0.1 started for the run (needs root). Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from darc_tui.hosts.base import Host  # noqa: E402
from darc_tui.hosts.local import LocalHost  # noqa: E402
from darc_tui.hosts.ssh import SshHost  # noqa: E402
from darc_tui.logs.file_follower import FileFollower  # noqa: E402
from darc_tui.logs.formats import access_fields  # noqa: E402
from darc_tui.model import Evidence, LogRecord  # noqa: E402
from darc_tui.parse.access_log import DEFAULT  # noqa: E402

SAMPLE = ROOT / "tests" / "data" / "logs" / "envoy-1.40-default.log"
WRITER = """
import sys
lines = open(sys.argv[1], "rb").read().splitlines(keepends=True)
total, out = int(sys.argv[3]), open(sys.argv[2], "ab")
chunk = b"".join(lines[i % len(lines)] for i in range(1000))
for _ in range(total // 1000):
    out.write(chunk)
out.close()
"""


class CountingSink:
    def __init__(self, want: int) -> None:
        self.want, self.count, self.bytes = want, 0, 0
        self.first = self.last = 0.0
        self.done = asyncio.Event()

    def records(self, records: Sequence[LogRecord]) -> None:
        now = time.perf_counter()
        if not self.count:
            self.first = now
        self.count += len(records)
        self.bytes += sum(r.size for r in records)
        self.last = now
        if self.count >= self.want:
            self.done.set()

    def evidence(self, ev: Evidence) -> None:
        pass


async def measure(host: Host, folder: Path, lines: int, parse: bool) -> dict[str, Any]:
    log = folder / f"access-{host.kind}.log"
    log.touch()
    sink = CountingSink(lines)
    fields = access_fields(DEFAULT) if parse else None
    follower = FileFollower(host, str(log), parse=fields, poll_interval=1.0)
    task = asyncio.create_task(follower.follow(sink))
    try:
        await asyncio.sleep(1.0)  # let the session start before writing
        writer = await asyncio.create_subprocess_exec(
            sys.executable, "-c", WRITER, str(SAMPLE), str(log), str(lines)
        )
        await writer.wait()
        async with asyncio.timeout(600):
            await sink.done.wait()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    seconds = max(sink.last - sink.first, 1e-9)
    return {
        "host": host.kind,
        "parsed": parse,
        "lines": sink.count,
        "seconds": round(seconds, 2),
        "lines_per_s": round(sink.count / seconds),
        "mib_per_s": round(sink.bytes / seconds / 2**20, 1),
    }


def start_sshd(folder: Path) -> Any:
    from tests.lab.sshd import Sshd, _free_port

    sshd = Sshd(folder / "sshd", _free_port(), "127.0.0.1", True, 10, None)
    sshd.dir.mkdir()
    sshd.write_files()
    sshd.start()
    return sshd


async def main_async(lines: int, with_ssh: bool, parse: bool) -> list[dict[str, Any]]:
    folder = Path(tempfile.mkdtemp(prefix="darc-bench-logs-"))
    results = [await measure(LocalHost(), folder, lines, parse)]
    sshd = None
    try:
        if with_ssh:
            sshd = start_sshd(folder)
            host = SshHost(sshd.host_config(), ssh_config=())
            try:
                results.append(await measure(host, folder, lines, parse))
            finally:
                await host.close()
        else:
            print("skipping SSH: needs root and /usr/sbin/sshd", file=sys.stderr)
    finally:
        if sshd is not None:
            sshd.kill_all()
        shutil.rmtree(folder, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--raw", action="store_true", help="do not parse lines into fields")
    args = parser.parse_args()
    with_ssh = os.geteuid() == 0 and os.path.exists("/usr/sbin/sshd")
    results = asyncio.run(main_async(args.lines, with_ssh, not args.raw))
    for r in results:
        if args.json:
            print(json.dumps(r))
        else:
            print(
                f"{r['host']:>5}: {r['lines']} lines in {r['seconds']} s = "
                f"{r['lines_per_s']} lines/s ({r['mib_per_s']} MiB/s)"
                + (", parsed" if r["parsed"] else ", raw")
            )


if __name__ == "__main__":
    main()
