"""What every runbook check is: a name, a target, a vantage point, an interval, and Evidence out."""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from typing import Any, Generic, TypeAlias, TypeVar

from darc_tui.ids import ProbeId
from darc_tui.model import Evidence, Status, Vantage

log = logging.getLogger(__name__)

P = TypeVar("P")  # the probe's payload: the frozen dataclass its Evidence.data carries


class Probe(ABC, Generic[P]):
    """One runbook check. `run()` never raises: every failure becomes Evidence saying why.

    `Probe[P]` declares the payload type: `evidence(..., data=...)` accepts a P only (mypy checks
    every probe), and readers narrow `Evidence.data` to it with isinstance."""

    name: ProbeId  # stable, e.g. ProbeId.BACKEND_HEALTH
    vantage: Vantage
    interval: float = 1.0  # seconds between the end of one run and the start of the next
    # a sentinel keeps its interval while the site is calm (engine/cadence.py): the site's own
    # URL through Envoy, what users see; every other probe may wait longer until a change
    sentinel: bool = False

    def __init__(self, target: str, *, interval: float | None = None, timeout: float = 2.0) -> None:
        self.target = target
        self.timeout = timeout
        if interval is not None:
            self.interval = interval

    @property
    @abstractmethod
    def command(self) -> str:
        """The equivalent shell command an engineer would run by hand (shown, never executed)."""

    @abstractmethod
    async def run(self) -> Evidence:
        """Observe once."""

    async def run_all(self) -> list[Evidence]:
        """Observe once; a probe whose targets are found at run time (every host of a cluster)
        overrides this to return one Evidence per target. The engine calls this one."""
        return [await self.run()]

    @property
    def deadline(self) -> float:
        """Seconds the engine waits for one run: `timeout` bounds each network step, and a probe
        may take a few (connect, then a fallback)."""
        return self.timeout * 3 + 1

    def evidence(
        self, status: Status, detail: str, *, data: P | None = None, **kw: object
    ) -> Evidence:
        """Evidence for this probe with its name, target, vantage and command filled in."""
        kw.setdefault("command", self.command)
        kw.setdefault("observed_at", time.time())
        return Evidence(self.name, self.target, self.vantage, status, detail, data=data, **kw)  # type: ignore[arg-type]


class ObservingProbe(Probe[P]):
    """A probe written as `observe()`; an unexpected exception becomes ERROR evidence here, so a
    parser or protocol surprise names the probe instead of reaching the engine."""

    async def run(self) -> Evidence:
        try:
            return await self.observe()
        except Exception as exc:  # the boundary: a probe never raises into the engine
            log.warning("probe %s (%s): unexpected failure", self.name, self.target, exc_info=True)
            return self.evidence(Status.ERROR, f"{self.name}: {type(exc).__name__}: {exc}")

    @abstractmethod
    async def observe(self) -> Evidence:
        """Observe once; may raise on surprises (run() turns them into evidence)."""


AnyProbe: TypeAlias = Probe[Any]  # a probe of any payload: what the engine schedules
