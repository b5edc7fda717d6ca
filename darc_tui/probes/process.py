"""Is Envoy running on the Envoy host (pid, uptime, config, restart epoch), and are its ports bound?"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from darc_tui.config import Config
from darc_tui.hosts.base import CommandResult, Host
from darc_tui.ids import ProbeId
from darc_tui.model import Evidence, Status, Vantage
from darc_tui.parse.ps import PS_ARGV, EnvoyProcess, ProcessRow, find_envoys, is_envoy
from darc_tui.parse.ss import ListeningSocket, parse_ss
from darc_tui.probes._commands import (
    host_named,
    list_processes,
    needs_root,
    privileged,
    shown,
    uses_sudo,
)
from darc_tui.probes.base import AnyProbe, Probe

SS_ARGV = ("ss", "-tlnpH")
# which process is Envoy and which ports it holds change rarely; the admin probes (every round)
# see a dead or deaf Envoy first, so `ps`/`ss` on a 1 s cadence only spent CPU (a fork each)
SLOW_FACTS_INTERVAL = 5.0
_PSUTIL_ATTRS = ["pid", "ppid", "create_time", "cmdline"]


def uptime_text(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = int(seconds)
    for unit, size, sub, sub_size in (("d", 86400, "h", 3600), ("h", 3600, "m", 60)):
        if s >= size:
            return f"{s // size}{unit}{(s % size) // sub_size}{sub}"
    return f"{s // 60}m{s % 60}s" if s >= 60 else f"{s}s"


def _psutil_rows() -> tuple[ProcessRow, ...]:
    """Every process via psutil (blocking: call it in a thread). Unreadable ones are skipped."""
    import psutil  # only where /proc cannot be read (its import costs every start ~10 ms)

    now = time.time()
    rows = []
    for proc in psutil.process_iter(_PSUTIL_ATTRS, ad_value=None):
        info = getattr(proc, "info", None) or proc.as_dict(_PSUTIL_ATTRS, ad_value=None)
        cmdline, created = info.get("cmdline"), info.get("create_time")
        if not cmdline or info.get("pid") is None:
            continue
        elapsed = int(now - created) if isinstance(created, int | float) else None
        rows.append(ProcessRow(info["pid"], info.get("ppid") or 0, elapsed, tuple(cmdline)))
    return tuple(rows)


def _local_rows(binary: str) -> tuple[tuple[ProcessRow, ...], int]:
    """(Envoy candidates and their parents, processes seen) from /proc (blocking: in a thread).

    psutil builds an object and reads three files per process (30-40 ms of CPU for 160
    processes, every 2 s); this reads each process's cmdline once and /proc/PID/stat only for
    the few that matter: about a tenth of the cost. psutil remains where /proc is missing."""
    if not os.path.isdir("/proc/self"):
        every = _psutil_rows()
        return every, len(every)
    argvs: dict[int, tuple[str, ...]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdecimal() and (argv := proc_argv(int(entry))):
            argvs[int(entry)] = argv
    uptime, ticks = _uptime(), os.sysconf("SC_CLK_TCK")
    rows: dict[int, ProcessRow] = {}
    for pid, argv in argvs.items():
        if not is_envoy(argv, binary) or (row := _stat_row(pid, argv, uptime, ticks)) is None:
            continue
        rows[pid] = row
        parent = argvs.get(row.ppid)  # the hot-restart wrapper, if it is one
        if parent is not None and row.ppid not in rows:
            rows[row.ppid] = _stat_row(row.ppid, parent, uptime, ticks) or ProcessRow(
                row.ppid, 0, None, parent
            )
    return tuple(rows.values()), len(argvs)


def proc_argv(pid: int) -> tuple[str, ...]:
    """argv of a process from /proc/PID/cmdline; () when gone, unreadable or a kernel thread."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            raw = f.read()
    except OSError:
        return ()
    return (
        tuple(a.decode("utf-8", "surrogateescape") for a in raw.rstrip(b"\0").split(b"\0"))
        if raw
        else ()
    )


def _stat_row(
    pid: int, argv: tuple[str, ...], uptime: float | None, ticks: int
) -> ProcessRow | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after the last ")"
    fields = stat[stat.rfind(b")") + 2 :].split()
    ppid, start = int(fields[1]), int(fields[19])
    elapsed = None if uptime is None else max(0, int(uptime - start / ticks))
    return ProcessRow(pid, ppid, elapsed, argv)


def _uptime() -> float | None:
    try:
        with open("/proc/uptime", "rb") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def select_envoy(
    found: Sequence[EnvoyProcess], config_path: str
) -> tuple[EnvoyProcess | None, bool]:
    """(the Envoy serving `config_path`, True) or (the only/newest Envoy, False) or (None, False)."""
    wanted = os.path.normpath(config_path) if config_path else ""
    for envoy in found:
        if wanted and envoy.config_path and os.path.normpath(envoy.config_path) == wanted:
            return envoy, True
    return (found[0] if found else None), not wanted


class EnvoyProcessProbe(Probe[EnvoyProcess]):
    """`ps` for Envoy on its host: running? pid, uptime, -c path, --restart-epoch, wrapper."""

    name = ProbeId.ENVOY_PROCESS
    vantage = Vantage.ENVOY_HOST
    interval = SLOW_FACTS_INTERVAL

    def __init__(
        self,
        host: Host,
        config_path: str,
        binary: str = "",
        *,
        interval: float | None = None,
        timeout: float = 2.0,
    ) -> None:
        super().__init__(f"{host.name}: envoy", interval=interval, timeout=timeout)
        self.host, self.config_path, self.binary = host, config_path, binary

    @property
    def via(self) -> str:
        return "psutil" if self.host.kind == "local" else "ps"

    @property
    def command(self) -> str:
        return shown(self.host, PS_ARGV) + " | grep '[e]nvoy'"

    async def _rows(self) -> tuple[tuple[ProcessRow, ...], int, str]:
        """(rows holding every Envoy and its parent, processes checked, error)."""
        if self.host.kind == "local":
            try:
                rows, seen = await asyncio.to_thread(_local_rows, self.binary)
            except Exception as exc:  # psutil.Error, OSError: the boundary never raises
                return (), 0, f"psutil: {exc}"
            return rows, seen, ""
        try:
            result, table = await list_processes(self.host, self.timeout)
        except Exception as exc:  # the boundary: a probe never raises into the engine
            return (), 0, f"ps failed: {exc}"
        if not result.ok:
            return (), 0, f"ps failed: {result.why()}"
        return table.rows, len(table.rows), table.error

    async def run(self) -> Evidence:
        rows, seen, error = await self._rows()
        if error:
            return self.evidence(Status.ERROR, error, via=self.via, facts={"error": error})
        found = find_envoys(rows, self.binary)
        envoy, matches = select_envoy(found, self.config_path)
        if envoy is None:
            detail = f"no Envoy process on {self.host.name} ({seen} processes checked)"
            return self.evidence(
                Status.FAIL, detail, via=self.via, facts={"running": False, "count": 0}
            )
        return self._found(envoy, matches, len(found))

    def _found(self, envoy: EnvoyProcess, matches: bool, count: int) -> Evidence:
        parts = [f"envoy pid {envoy.pid} up {uptime_text(envoy.uptime_s)}"]
        parts.append(f"-c {envoy.config_path}" if envoy.config_path else "no -c flag")
        if envoy.restart_epoch is not None:
            parts.append(f"epoch {envoy.restart_epoch}")
        if envoy.wrapper is not None:
            parts.append(f"hot-restart wrapper pid {envoy.wrapper.pid}")
        status = Status.OK
        if not matches:
            status = Status.WARN
            parts.append(f"not the configured {self.config_path}")
        if count > 1:
            parts.append(f"{count} Envoy processes on {self.host.name}")
        facts = {
            "running": True,
            "pid": envoy.pid,
            "ppid": envoy.ppid,
            "uptime_s": envoy.uptime_s,
            "config_path": envoy.config_path,
            "config_matches": matches,
            "restart_epoch": envoy.restart_epoch,
            "base_id": envoy.base_id,
            "wrapper_pid": envoy.wrapper_pid,
            "binary": envoy.binary,
            "count": count,
        }
        return self.evidence(status, ", ".join(parts), via=self.via, facts=facts, data=envoy)


@dataclass(frozen=True, slots=True)
class PortCheck:
    """One port Envoy should have bound (its listener or its admin)."""

    role: str  # "listener" | "admin"
    address: str  # from the configured URL; "" = a name, any address will do
    port: int
    sockets: tuple[ListeningSocket, ...]  # sockets on that port that take `address`
    others: tuple[ListeningSocket, ...]  # sockets on that port bound to other addresses

    @property
    def bound(self) -> bool:
        return bool(self.sockets)

    @property
    def owners(self) -> tuple[str, ...]:
        return tuple(f"{o.name} pid {o.pid}" for s in self.sockets for o in s.owners)


@dataclass(frozen=True, slots=True)
class PortsObservation:
    sockets: tuple[ListeningSocket, ...]  # every listening TCP socket on the host
    checks: tuple[PortCheck, ...]
    owners_visible: bool


def url_endpoint(url: str) -> tuple[str, int] | None:
    """(IP literal or "", port) of an http(s) URL; None when it has no host."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    host = parts.hostname or ""
    if not host:
        return None
    literal = host.replace(".", "").isdecimal() or ":" in host
    return (host if literal else ""), port


class EnvoyPortsProbe(Probe[PortsObservation]):
    """`ss -tlnp` on the Envoy host: are the listener and admin ports bound, and by Envoy?"""

    name = ProbeId.ENVOY_PORTS
    vantage = Vantage.ENVOY_HOST
    interval = SLOW_FACTS_INTERVAL

    def __init__(
        self,
        host: Host,
        expected: Sequence[tuple[str, str, int]],
        *,
        sudo: bool = False,
        binary: str = "",
        interval: float | None = None,
        timeout: float = 2.0,
    ) -> None:
        ports = ", ".join(str(port) for _, _, port in expected)
        super().__init__(f"{host.name}: {ports}", interval=interval, timeout=timeout)
        self.host, self.expected, self.argv = host, tuple(expected), privileged(SS_ARGV, sudo)
        self.owner_names = ("envoy", os.path.basename(binary)[:15]) if binary else ("envoy",)

    @property
    def command(self) -> str:
        return shown(self.host, self.argv)

    async def run(self) -> Evidence:
        try:
            result = await self.host.run(self.argv, timeout=self.timeout)
            refused = self.argv[0] == "sudo" and needs_root(result)
            if refused:  # sudo -n said no: the ports are still readable, only not their owners
                result = await self.host.run(privileged(SS_ARGV, False), timeout=self.timeout)
        except Exception as exc:  # the boundary: a probe never raises into the engine
            return self.evidence(Status.ERROR, f"ss failed: {exc}", via="ss", facts={})
        evidence = self._read(result)
        if refused:
            return dataclasses.replace(evidence, detail=f"{evidence.detail} (sudo -n refused)")
        return evidence

    def _read(self, result: CommandResult) -> Evidence:
        listing = parse_ss(result.text()) if result.ok else None
        if listing is None or listing.error:
            why = result.why() if listing is None else listing.error
            return self.evidence(Status.ERROR, f"ss failed: {why}", via="ss", facts={"error": why})
        checks = tuple(
            PortCheck(
                role,
                address,
                port,
                listing.on_port(port, address),
                tuple(s for s in listing.on_port(port) if not s.accepts(address)),
            )
            for role, address, port in self.expected
        )
        observed = PortsObservation(listing.sockets, checks, listing.owners_shown)
        return self._judge(observed, result.duration_ms)

    def _judge(self, observed: PortsObservation, duration_ms: float) -> Evidence:
        problems, fine = [], []
        for check in observed.checks:
            where = f"{check.role} {check.address or '*'}:{check.port}"
            foreign = [o for s in check.sockets for o in s.owners if not self._is_envoy(o.name)]
            if not check.bound:
                elsewhere = ", ".join(s.endpoint for s in check.others)
                problems.append(
                    f"{where} not bound" + (f" (only {elsewhere})" if elsewhere else "")
                )
            elif foreign and observed.owners_visible:
                problems.append(
                    f"{where} bound by {foreign[0].name} pid {foreign[0].pid}, not Envoy"
                )
            else:
                owner = f" by {check.owners[0]}" if check.owners else ""
                fine.append(f"{where} bound{owner}")
        if not observed.owners_visible:
            fine.append("owner hidden: needs root")
        detail = "; ".join(problems + fine)
        facts: dict[str, object] = {
            "listening_ports": sorted({s.port for s in observed.sockets}),
            "owners_visible": observed.owners_visible,
            "needs_root_for_owner": not observed.owners_visible,
        }
        for check in observed.checks:
            facts[f"{check.role}_port"] = check.port
            facts[f"{check.role}_bound"] = check.bound
            facts[f"{check.role}_owner"] = check.owners[0] if check.owners else ""
        status = Status.FAIL if problems else Status.OK
        return self.evidence(
            status, detail, via="ss", latency_ms=duration_ms, facts=facts, data=observed
        )

    def _is_envoy(self, name: str) -> bool:
        return any(name.startswith(n) for n in self.owner_names if n)


def build(config: Config, hosts: Mapping[str, Host]) -> list[AnyProbe]:
    host = host_named(hosts, config.envoy.host)
    if host is None:
        return []
    timeout = config.probes.timeout
    interval = max(config.probes.interval, SLOW_FACTS_INTERVAL)
    probes: list[AnyProbe] = [
        EnvoyProcessProbe(
            host, config.envoy.config_path, config.envoy.binary, interval=interval, timeout=timeout
        )
    ]
    expected = []
    for role, url in (("listener", config.envoy.listener_url), ("admin", config.envoy.admin_url)):
        endpoint = url_endpoint(url) if url else None
        if endpoint is not None:
            expected.append((role, *endpoint))
    if expected:
        sudo = uses_sudo(config, config.envoy.host)
        probes.append(
            EnvoyPortsProbe(
                host,
                expected,
                sudo=sudo,
                binary=config.envoy.binary,
                interval=interval,
                timeout=timeout,
            )
        )
    return probes
