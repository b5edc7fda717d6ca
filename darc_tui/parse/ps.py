"""Envoy processes from `ps -eo pid,ppid,etimes,args` (or psutil rows): pid, uptime, flags, wrapper."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from darc_tui.parse import one_line

# -ww: without it procps cuts lines at $COLUMNS even into a pipe, hiding the Envoy binary path
PS_ARGV = ("ps", "-ww", "-eo", "pid,ppid,etimes,args")
# busybox ps (minimal hosts) knows neither -e, -ww nor etimes; it lists every process anyway
PS_ARGV_MINIMAL = ("ps", "-o", "pid,ppid,args")
# A hot-restart wrapper execs Envoy with a fresh --restart-epoch and forwards signals: Envoy's own
# tools/hot-restarter.py, or `darc-tui envoy-wrapper` (`python -m darc_tui.actions.wrapper`).
WRAPPER_MARKERS = (
    "hot-restarter",
    "hot_restarter",
    "envoy-wrapper",
    "envoy_wrapper",
    "darc_tui.actions.wrapper",
)


@dataclass(frozen=True, slots=True)
class ProcessRow:
    """One process. From `ps`, argv is args split on spaces (ps does not quote); psutil is exact."""

    pid: int
    ppid: int
    elapsed_s: int | None
    argv: tuple[str, ...]

    @property
    def args(self) -> str:
        return " ".join(self.argv)


@dataclass(frozen=True, slots=True)
class EnvoyProcess:
    """A running Envoy and what its command line says about it."""

    pid: int
    ppid: int
    uptime_s: int | None
    binary: str
    config_path: str = ""  # "" when Envoy got --config-yaml only, or no config flag
    restart_epoch: int | None = None
    base_id: int | None = None
    wrapper: ProcessRow | None = None  # the hot-restart wrapper that started it, if any
    args: str = ""

    @property
    def wrapper_pid(self) -> int | None:
        return self.wrapper.pid if self.wrapper else None


@dataclass(frozen=True, slots=True)
class ProcessTable:
    rows: tuple[ProcessRow, ...] = ()
    skipped: int = 0
    error: str = ""  # "" or why nothing was understood (see darc_tui.parse)


def parse_ps(text: str, *, elapsed: bool = True) -> ProcessTable:
    """`ps -eo pid,ppid,etimes,args` output (`elapsed=False`: `ps -o pid,ppid,args`), header
    optional. Never raises."""
    rows: list[ProcessRow] = []
    skipped = 0
    first_bad = ""
    columns = 4 if elapsed else 3
    for line in text.splitlines():
        parts = line.split(None, columns - 1)
        if not parts or parts[0] == "PID":
            continue
        if len(parts) < columns or not (parts[0].isdecimal() and parts[1].isdecimal()):
            skipped += 1
            first_bad = first_bad or line
            continue
        seconds = int(parts[2]) if elapsed and parts[2].isdecimal() else None
        argv = tuple(parts[-1].split())
        rows.append(ProcessRow(int(parts[0]), int(parts[1]), seconds, argv))
    error = one_line(f"not ps output: {first_bad}") if skipped and not rows else ""
    return ProcessTable(tuple(rows), skipped, error)


def find_envoys(rows: Iterable[ProcessRow], binary: str = "") -> tuple[EnvoyProcess, ...]:
    """Envoy processes among `rows`, newest restart epoch first; `binary` narrows by path/name."""
    by_pid = {}
    candidates = []
    for row in rows:
        by_pid[row.pid] = row
        if is_envoy(row.argv, binary):
            candidates.append(row)
    found = [_describe(row, by_pid.get(row.ppid)) for row in candidates]
    return tuple(sorted(found, key=lambda e: (-(e.restart_epoch or 0), e.pid)))


def is_envoy(argv: Sequence[str], binary: str = "") -> bool:
    """argv[0] is the Envoy binary: basename `envoy` (or `envoy-*`), or the configured binary."""
    if not argv:
        return False
    if flag_value(argv, "--mode") in ("validate", "init_only"):
        return False  # darc-tui's own `envoy --mode validate` (or anyone's) is not a running Envoy
    name = os.path.basename(argv[0])
    if binary:
        return argv[0] == binary or name == os.path.basename(binary)
    return name == "envoy" or (name.startswith("envoy-") and not is_wrapper(argv))


def is_wrapper(argv: Sequence[str]) -> bool:
    """A hot-restart wrapper (usually an interpreter running hot-restarter.py or darc-tui)."""
    return any(marker in arg for arg in argv[:4] for marker in WRAPPER_MARKERS)


def flag_value(argv: Sequence[str], *names: str) -> str | None:
    """The value of `-c X`, `--config-path X` or `--config-path=X` (last one wins, like TCLAP)."""
    value = None
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                value = argv[i + 1]
            elif name.startswith("--") and arg.startswith(name + "="):
                value = arg[len(name) + 1 :]
    return value


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdecimal() else None


def _describe(row: ProcessRow, parent: ProcessRow | None) -> EnvoyProcess:
    argv = row.argv
    return EnvoyProcess(
        pid=row.pid,
        ppid=row.ppid,
        uptime_s=row.elapsed_s,
        binary=argv[0],
        config_path=flag_value(argv, "-c", "--config-path") or "",
        restart_epoch=_int_or_none(flag_value(argv, "--restart-epoch")),
        base_id=_int_or_none(flag_value(argv, "--base-id")),
        wrapper=parent if parent is not None and is_wrapper(parent.argv) else None,
        args=row.args,
    )
