"""Process-table helpers for the demo tests."""

from __future__ import annotations

from pathlib import Path

import psutil


def alive(pid: int) -> bool:
    """Running, and not a zombie (an orphan's zombie lingers if PID 1 does not reap)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "\nState:\tZ" not in status


def processes_naming(workdir: Path) -> list[int]:
    """Live processes whose command line names `workdir` (the lab's Envoy and wrapper do)."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if any(str(workdir) in arg for arg in cmdline) and alive(proc.info["pid"]):
            found.append(proc.info["pid"])
    return found
