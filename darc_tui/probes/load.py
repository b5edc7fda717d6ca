"""Load averages, CPU count and memory of the backend host (and of the Envoy host)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from darc_tui.config import Config
from darc_tui.hosts.base import Host
from darc_tui.ids import ProbeId
from darc_tui.model import Evidence, Status, Vantage
from darc_tui.parse.host_load import LOAD_ARGV, NPROC_ARGV, HostLoad, parse_host_load
from darc_tui.probes._commands import host_named, shown
from darc_tui.probes.base import AnyProbe, Probe

SATURATED_PER_CPU = 2.0  # runnable work per CPU above which requests queue for a CPU
LOW_MEMORY_PCT = 95.0


class HostLoadProbe(Probe[HostLoad]):
    """`cat /proc/loadavg /proc/meminfo; nproc` on one host."""

    name = ProbeId.HOST_LOAD
    interval = 5.0

    def __init__(
        self,
        host: Host,
        vantage: Vantage,
        *,
        interval: float | None = None,
        timeout: float = 2.0,
    ) -> None:
        super().__init__(f"{host.name} ({vantage.value})", interval=interval, timeout=timeout)
        self.host, self.vantage = host, vantage

    @property
    def command(self) -> str:
        return f"{shown(self.host, LOAD_ARGV)}; {shown(self.host, NPROC_ARGV)}"

    async def run(self) -> Evidence:
        try:
            load_result, nproc_result = await asyncio.gather(
                self.host.run(LOAD_ARGV, timeout=self.timeout),
                self.host.run(NPROC_ARGV, timeout=self.timeout),
            )
        except Exception as exc:  # the boundary: a probe never raises into the engine
            return self.evidence(Status.ERROR, f"reading load failed: {exc}", facts={})
        if not load_result.ran:
            return self.evidence(Status.ERROR, f"load: {load_result.why()}", facts={})
        load = parse_host_load(load_result.text(), nproc_result.text())
        if load.error:
            why = load_result.why() if not load_result.ok else load.error
            return self.evidence(Status.ERROR, f"load: {why}", facts={"error": why})
        return self.judge(load)

    def judge(self, load: HostLoad) -> Evidence:
        cpus = f" on {load.cpus} CPUs" if load.cpus else ""
        parts = [f"load {load.load1:g} {load.load5:g} {load.load15:g}{cpus}"]
        if load.mem_used_pct is not None and load.mem_available_kb is not None:
            parts.append(
                f"memory {load.mem_used_pct:.0f}% used ({load.mem_available_kb // 1024} MiB free)"
            )
        status = Status.OK
        per_cpu = load.load_per_cpu
        if per_cpu is not None and per_cpu > SATURATED_PER_CPU:
            status = Status.WARN
            parts.append(f"saturated: {per_cpu:.1f} runnable per CPU")
        if load.mem_used_pct is not None and load.mem_used_pct > LOW_MEMORY_PCT:
            status = Status.WARN
            parts.append("memory nearly exhausted")
        facts = {
            "load1": load.load1,
            "load5": load.load5,
            "load15": load.load15,
            "cpus": load.cpus,
            "load_per_cpu": None if per_cpu is None else round(per_cpu, 2),
            "running": load.running,
            "tasks": load.tasks,
            "mem_total_mb": None if load.mem_total_kb is None else load.mem_total_kb // 1024,
            "mem_available_mb": (
                None if load.mem_available_kb is None else load.mem_available_kb // 1024
            ),
            "mem_used_pct": None if load.mem_used_pct is None else round(load.mem_used_pct, 1),
        }
        return self.evidence(status, ", ".join(parts), facts=facts, data=load)


def build(config: Config, hosts: Mapping[str, Host]) -> list[AnyProbe]:
    interval = max(config.probes.interval, HostLoadProbe.interval)
    timeout = config.probes.timeout
    plan: list[tuple[Host | None, Vantage]] = []
    if config.backend.host:
        plan.append((host_named(hosts, config.backend.host), Vantage.BACKEND_HOST))
    if config.envoy.host != config.backend.host:
        plan.append((host_named(hosts, config.envoy.host), Vantage.ENVOY_HOST))
    return [
        HostLoadProbe(host, vantage, interval=interval, timeout=timeout)
        for host, vantage in plan
        if host is not None
    ]
