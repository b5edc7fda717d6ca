"""The demo's fault switches: each breaks the lab the way a real site breaks, and `restore` heals it.

Every fault names the cause id darc-tui should put on top of the Causes pane (DESIGN.md catalog);
`demo --check` holds the product to that.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass

from darc_tui.demo.envoy_yaml import Endpoint, render
from darc_tui.demo.lab import FLUSH_MS, DemoLab, free_port
from darc_tui.demo.traffic import BURST_CONCURRENCY, BURST_LIMIT, Burst
from darc_tui.ids import CauseId

BURST_STOP_WAIT = 20.0  # seconds: the burst's requests time out after 5 s each

SLOW_DELAY = 1.5  # seconds: beyond the demo's 1 s health-check timeout, within the probes' 2 s
SATURATED_DELAY = 0.25  # seconds per request while overloaded: keeps the burst in flight
# A typo an operator makes: Envoy rejects unknown fields ("… has unknown fields").
TYPO = ("lb_policy: ROUND_ROBIN", "lb_polcy: ROUND_ROBIN")


@dataclass(frozen=True, slots=True)
class Fault:
    id: str
    key: str
    label: str  # for the palette: "Demo: <label>"
    bar: str  # a word or two for the demo bar (all of them fit in 80 columns)
    help: str  # one line for the palette and the help screen
    expect: tuple[CauseId, ...]  # cause ids that should top the Causes pane


FAULTS: tuple[Fault, ...] = (
    Fault(
        "backend_down",
        "b",
        "Backend down",
        "down",
        "stop the backend (again: start it): connections refused",
        (CauseId.BACKEND_DOWN,),
    ),
    Fault(
        "health_500",
        "a",  # not k: the log view's line up
        "Health 500",
        "health 500",
        "/api/health answers 500, the rest of /api 200 (again: 200)",
        (CauseId.HEALTHCHECK_FAILING,),
    ),
    Fault(
        "slow",
        "s",
        "Slow backend",
        "slow",
        f"answers take {SLOW_DELAY:g} s vs a 1 s health-check timeout (again: fast)",
        (CauseId.HEALTHCHECK_TIMEOUT,),
    ),
    Fault(
        "overload",
        "o",
        "Overload",
        "overload",
        f"{BURST_CONCURRENCY} parallel requests for {BURST_LIMIT:g} s vs circuit breakers of 8",
        (CauseId.BACKEND_OVERLOADED,),
    ),
    Fault(
        "invalid_yaml",
        "i",
        "Invalid envoy.yaml",
        "bad yaml",
        "misspell a field in envoy.yaml on disk (r: reload refused)",
        (CauseId.CONFIG_INVALID,),
    ),
    Fault(
        "drift",
        "e",
        "Edit cluster port",
        "drift",
        "change the cluster port in envoy.yaml on disk (r: 503s begin)",
        (CauseId.CONFIG_DRIFT,),
    ),
)
RESTORE = Fault(
    "restore",
    "u",
    "Undo faults",
    "undo",
    "undo every fault; reload Envoy if it runs a faulty envoy.yaml",
    (),
)
# After the drift is reloaded, Envoy dials a port where nothing listens.
AFTER_DRIFT_RELOAD: tuple[CauseId, ...] = (CauseId.CONFIG_ENDPOINT_MISMATCH,)


def fault(fault_id: str) -> Fault:
    for f in (*FAULTS, RESTORE):
        if f.id == fault_id:
            return f
    raise KeyError(fault_id)


class Switchboard:
    """Applies faults to a running lab; every method returns one line saying what it did."""

    def __init__(self, lab: DemoLab) -> None:
        self.lab = lab
        self.burst: Burst | None = None
        self.drift_port: int | None = None
        self.faulted = False  # a fault was applied since the last restore

    async def apply(self, fault_id: str) -> str:
        handlers = {
            "backend_down": self.backend_down,
            "health_500": self.health_500,
            "slow": self.slow,
            "overload": self.overload,
            "invalid_yaml": self.invalid_yaml,
            "drift": self.drift,
            "restore": self.restore,
        }
        self.faulted = self.faulted or fault_id != "restore"
        return await handlers[fault_id]()

    async def backend_down(self) -> str:
        backend = self.lab.backend
        if backend.is_up:
            await asyncio.to_thread(backend.down)
            return f"backend {backend.url} stopped: connections are refused (b again: start it)"
        await asyncio.to_thread(backend.up)
        return f"backend {backend.url} listening again"

    # b, k and s are switches: the same key again heals what it broke
    async def health_500(self) -> str:
        backend = self.lab.backend
        if backend.health_status == 500:
            backend.health_status = 200
            return f"{backend.url}{backend.health_path} answers 200 again"
        backend.health_status = 500
        return (
            f"{backend.url}{backend.health_path} answers 500; the rest of /api still 200 "
            "(k again: 200)"
        )

    async def slow(self) -> str:
        backend = self.lab.backend
        if backend.delay == SLOW_DELAY:
            backend.delay = 0.0
            return "the backend answers at full speed again"
        backend.delay = SLOW_DELAY
        return (
            f"the backend now takes {SLOW_DELAY:g} s per request (health-check timeout 1 s; "
            "s again: fast)"
        )

    async def overload(self) -> str:
        backend = self.lab.backend
        if backend.delay < SATURATED_DELAY:
            backend.delay = SATURATED_DELAY

        def calm_down() -> None:  # the saturation ends with the burst
            if backend.delay == SATURATED_DELAY:
                backend.delay = 0.0

        if self.burst is None or not self.burst.running:
            self.burst = Burst(self.lab.listener_url, on_end=calm_down)
            self.burst.start()
        return (
            f"{BURST_CONCURRENCY} parallel requests through Envoy for {BURST_LIMIT:g} s "
            "(circuit breakers: 8 connections, 8 pending)"
        )

    async def invalid_yaml(self) -> str:
        broken = self.lab.original_yaml.replace(*TYPO)
        await asyncio.to_thread(self.lab.write_yaml, broken)
        return "envoy.yaml on disk: lb_policy misspelled lb_polcy; Envoy still runs the old config"

    async def drift(self) -> str:
        spec = self.lab.spec
        self.drift_port = await asyncio.to_thread(free_port)
        old = spec.endpoints[0]
        moved = dataclasses.replace(spec, endpoints=(Endpoint(old.host, self.drift_port),))
        await asyncio.to_thread(self.lab.write_yaml, render(moved))
        return (
            f"envoy.yaml on disk: {spec.cluster_name} port {old.port} → {self.drift_port}, "
            "not reloaded (r reloads it)"
        )

    async def restore(self) -> str:
        """Backend healthy, the original envoy.yaml on disk and running, cluster healthy."""
        lab, done = self.lab, []
        if self.burst is not None:
            # wait for every burst request to end (a loaded machine answers them slowly), then
            # for Envoy's access-log flush: their 503 UO lines must land before the rotation
            await asyncio.to_thread(self.burst.stop, BURST_STOP_WAIT)
            self.burst = None
            await asyncio.sleep(FLUSH_MS / 1000 + 0.5)
        backend = lab.backend
        backend.health_status, backend.delay, backend.error_status = 200, 0.0, None
        if not backend.is_up:
            await asyncio.to_thread(backend.up)
            done.append("backend listening again")
        if lab.yaml_on_disk() != lab.original_yaml:
            await asyncio.to_thread(lab.write_yaml, lab.original_yaml)
            done.append("envoy.yaml restored")
        if not await asyncio.to_thread(lab.runs_original):
            await asyncio.to_thread(lab.reload)
            done.append("Envoy reloaded")
        await asyncio.to_thread(lab.wait_healthy)
        if self.faulted:
            await asyncio.to_thread(lab.rotate_access_log)
            done.append("access.log rotated")
            self.faulted = False
        return "restored: " + ", ".join(["backend healthy", *done]) + "; cluster healthy"

    def stop(self) -> None:
        if self.burst is not None:
            self.burst.stop()
            self.burst = None
