"""CPU of the console's Logs pane, in-process: records drawn and `l` handled, each beside a baseline
measured in the same run.

    .venv/bin/python bench/bench_logs_view.py [--rounds 5] [--json]

- add_records: CPU µs per record of LogsPane.add_records (its view shown), for batches of 400
  (a drain at 4 000 lines/s) and 2 000 records (a flood's release) of recorded Envoy 1.40 lines
  made into records as the follower makes them; baseline: what the replaced view did per record
  in the same run (marker + display_line, then Textual `Log.write_lines`, its width threads
  awaited).
- keys: CPU ms per `l` (next source) and `p` (pause) in a headless console at 80x24 with 2 000
  lines per source, beside a key bound to nothing (Textual's own cost of a key and a pause).
Best of `--rounds`. CPU from time.process_time (the machine is shared). Printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import Log  # noqa: E402

from darc_tui.config import (  # noqa: E402
    BackendConfig,
    Config,
    EnvoyConfig,
    HostConfig,
    SiteConfig,
    UiConfig,
)
from darc_tui.logs.batch import batch_records  # noqa: E402
from darc_tui.logs.common import LineSplitter  # noqa: E402
from darc_tui.logs.formats import access_fields  # noqa: E402
from darc_tui.model import LogRecord, Snapshot, Verdict  # noqa: E402
from darc_tui.parse.access_log import DEFAULT  # noqa: E402
from darc_tui.ui.app import DarcApp  # noqa: E402
from darc_tui.ui.panes.log_feed import display_line, marker  # noqa: E402

SAMPLE = ROOT / "tests" / "data" / "logs" / "envoy-1.40-default.log"
CONFIG = Config(
    site=SiteConfig("bench", "http://127.0.0.1:8080/", "https://bench.invalid"),
    hosts={"edge": HostConfig("edge", address="127.0.0.1", port=2222)},
    envoy=EnvoyConfig(host="edge", admin_url="http://127.0.0.1:9901", cluster="backend"),
    backend=BackendConfig(host="", url="http://127.0.0.1:18443", health_path="/"),
    ui=UiConfig(redact=True),
)


def access_records(n: int) -> list[LogRecord]:
    lines = [x[x.index(b"]") :] for x in SAMPLE.read_bytes().split(b"\n") if x]
    stamp = b"[2026-12-03T16:00:00.000Z"
    body = b"".join(stamp + lines[i % len(lines)] + b"\n" for i in range(n))
    whole = LineSplitter().feed_whole(body)
    assert whole is not None
    return list(batch_records("access", whole, access_fields(DEFAULT), 0))


def others(source: str, n: int) -> list[LogRecord]:
    return [
        LogRecord(source, f"[info] {source} line {i}", 0.0, {"level": "info"}) for i in range(n)
    ]


class QuietEngine:
    """The engine side of the console with nothing behind it: records come from the bench."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.state = self
        self._logs: list[Callable[[Sequence[LogRecord]], None]] = []

    def logs(self, source: str) -> list[LogRecord]:
        return []

    def subscribe(self, callback: Callable[[Snapshot], None]) -> None:
        pass

    def subscribe_logs(self, callback: Callable[[Sequence[LogRecord]], None]) -> None:
        self._logs.append(callback)

    def snapshot(self) -> Snapshot:
        return Snapshot(0.0, (), (), (), Verdict.OK)

    def probe_now(self) -> None:
        pass

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def publish(self, records: Sequence[LogRecord]) -> None:
        for callback in self._logs:
            callback(records)


class OldView(App[None]):
    """The replaced drawing path: Textual's Log, one display line per record."""

    def compose(self) -> ComposeResult:
        yield Log(highlight=True, max_lines=2000)


def cpu(run: Callable[[], object]) -> float:
    t0 = time.process_time()
    run()
    return time.process_time() - t0


async def add_records(recs: list[LogRecord], batch: int, rounds: int) -> dict[str, float]:
    batches = [recs[i : i + batch] for i in range(0, len(recs), batch)]
    app = DarcApp(QuietEngine(CONFIG), clock=lambda: 0.0)
    new = old = float("inf")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5")
        await pilot.pause()
        pane = app.logs_pane
        for _ in range(rounds):
            new = min(new, cpu(lambda: [pane.add_records(b, 0.0) for b in batches]))  # type: ignore[func-returns-value]
            await pilot.pause()
    reference = OldView()
    async with reference.run_test(size=(80, 24)) as pilot:
        log = reference.query_one(Log)
        for _ in range(rounds):
            t0 = time.process_time()
            for b in batches:
                log.write_lines([display_line(r, marker(r)) for r in b])
            await reference.workers.wait_for_complete()
            old = min(old, time.process_time() - t0)
            await pilot.pause()
    n = len(recs)
    return {"us_per_record": round(new / n * 1e6, 2), "baseline_log_us": round(old / n * 1e6, 2)}


async def keys(rounds: int) -> dict[str, float]:
    engine = QuietEngine(CONFIG)
    app = DarcApp(engine, clock=lambda: 0.0)
    got: dict[str, float] = {}
    async with app.run_test(size=(80, 24)) as pilot:
        engine.publish(access_records(2000) + others("error", 2000) + others("journal", 2000))
        await pilot.press("5")
        await pilot.pause()
        for key in ("l", "p", "x"):  # x: bound to nothing
            best = float("inf")
            for _ in range(rounds * 3):
                t0 = time.process_time()
                await pilot.press(key)
                await pilot.pause()
                best = min(best, time.process_time() - t0)
            got[key] = best * 1000
    return {
        "l_cpu_ms": round(got["l"], 2),
        "p_cpu_ms": round(got["p"], 2),
        "baseline_unbound_key_cpu_ms": round(got["x"], 2),
    }


async def run(rounds: int) -> dict[str, Any]:
    recs = access_records(20_000)
    return {
        "add_records_batches_of_400": await add_records(recs, 400, rounds),
        "add_records_batches_of_2000": await add_records(recs, 2000, rounds),
        "keys": await keys(rounds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.rounds)), indent=None if args.json else 2))


if __name__ == "__main__":
    main()
