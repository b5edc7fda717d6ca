"""A host's load from `/proc/loadavg`, `/proc/meminfo` and `nproc`."""

from __future__ import annotations

from dataclasses import dataclass

from darc_tui.parse import one_line

LOAD_ARGV = ("cat", "/proc/loadavg", "/proc/meminfo")
NPROC_ARGV = ("nproc",)


@dataclass(frozen=True, slots=True)
class HostLoad:
    """Load averages, CPU count and memory; a field is None when its source said nothing usable."""

    load1: float | None = None
    load5: float | None = None
    load15: float | None = None
    running: int | None = None  # runnable scheduling entities right now
    tasks: int | None = None  # scheduling entities that exist
    cpus: int | None = None
    mem_total_kb: int | None = None
    mem_available_kb: int | None = None
    error: str = ""  # "" or why /proc/loadavg was not understood (see darc_tui.parse)

    @property
    def load_per_cpu(self) -> float | None:
        """load1 / cpus: above 1.0 means runnable work is queuing for a CPU."""
        if self.load1 is None or not self.cpus:
            return None
        return self.load1 / self.cpus

    @property
    def mem_used_pct(self) -> float | None:
        if not self.mem_total_kb or self.mem_available_kb is None:
            return None
        return 100.0 * (1.0 - self.mem_available_kb / self.mem_total_kb)


def parse_host_load(loadavg_and_meminfo: str, nproc: str = "") -> HostLoad:
    """`cat /proc/loadavg /proc/meminfo` output (either file alone works) plus `nproc` output."""
    lines = loadavg_and_meminfo.splitlines()
    load = next((parsed for line in lines if (parsed := _loadavg_line(line))), None)
    mem = parse_meminfo(loadavg_and_meminfo)
    load1, load5, load15, running, tasks = load or (None, None, None, None, None)
    first = lines[0] if lines else ""
    return HostLoad(
        load1,
        load5,
        load15,
        running,
        tasks,
        parse_nproc(nproc),
        mem.get("MemTotal"),
        mem.get("MemAvailable"),
        "" if load else one_line(f"no load averages in: {first}" if first else "empty output"),
    )


def parse_meminfo(text: str) -> dict[str, int]:
    """`Key:   123 kB` lines → {key: kB}; other lines are ignored."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, sep, rest = line.partition(":")
        fields = rest.split()
        if sep and key.strip() and fields and fields[0].isdecimal():
            values[key.strip()] = int(fields[0])
    return values


def parse_nproc(text: str) -> int | None:
    first = text.strip().split("\n", 1)[0].strip()
    return int(first) if first.isdecimal() and int(first) > 0 else None


def _loadavg_line(line: str) -> tuple[float, float, float, int | None, int | None] | None:
    """`0.41 0.31 0.13 2/149 14625` → (0.41, 0.31, 0.13, 2, 149)."""
    fields = line.split()
    if len(fields) < 3:
        return None
    try:
        load1, load5, load15 = (float(f) for f in fields[:3])
    except ValueError:
        return None
    if not all(0.0 <= v < 1e9 for v in (load1, load5, load15)):  # also rejects nan/inf
        return None
    running = tasks = None
    if len(fields) > 3:
        run_text, _, tasks_text = fields[3].partition("/")
        if run_text.isdecimal() and tasks_text.isdecimal():
            running, tasks = int(run_text), int(tasks_text)
    return load1, load5, load15, running, tasks
