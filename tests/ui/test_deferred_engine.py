"""The console's engine is built after the first frame, and behaves as the engine from then on."""

from __future__ import annotations

import asyncio

from darc_tui.config import Config
from darc_tui.engine import Engine
from darc_tui.model import Snapshot, Status
from darc_tui.ui.deferred_engine import DeferredEngine
from tests.test_engine import CountingProbe


async def test_the_engine_is_built_on_start_and_gets_every_subscription() -> None:
    built: list[Engine] = []

    def build() -> Engine:
        engine = Engine(Config(), {}, [CountingProbe("a", [Status.OK])])
        built.append(engine)
        return engine

    deferred = DeferredEngine(Config(), build)
    snaps: list[Snapshot] = []
    deferred.subscribe(snaps.append)
    assert deferred.snapshot().evidence == () and deferred.state.logs("access") == []
    deferred.probe_now()  # nothing to wake yet: no error
    assert built == []  # nothing imported or built before the first frame
    await deferred.start()
    try:
        async with asyncio.timeout(10):
            while not any(s.evidence for s in snaps):
                await asyncio.sleep(0.01)
    finally:
        await deferred.stop()
    assert len(built) == 1 and deferred.snapshot() is built[0].snapshot()


async def test_stopping_before_the_build_builds_nothing() -> None:
    built: list[int] = []

    def build() -> Engine:
        built.append(1)
        return Engine(Config(), {}, [])

    deferred = DeferredEngine(Config(), build)
    await deferred.start()
    await deferred.stop()
    assert built == []
