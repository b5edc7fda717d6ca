"""Firewall rules that drop or reject the backend port, read on the Envoy host (outgoing) and on the
backend host (incoming): iptables, ip6tables, nft and ufw, each when installed and readable."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from darc_tui.config import Config
from darc_tui.hosts.base import CommandResult, Host
from darc_tui.ids import ProbeId
from darc_tui.model import Evidence, Status, Vantage
from darc_tui.parse.firewall import (
    ChainPolicy,
    Direction,
    FirewallRule,
    FirewallScan,
    family_applies,
    scan_iptables,
)
from darc_tui.parse.nft import NFT_ARGV, iptables_managed_tables, iptables_tables, scan_nft
from darc_tui.parse.ufw import UFW_ARGV, scan_ufw
from darc_tui.probes._commands import (
    host_named,
    needs_root,
    not_installed,
    privileged,
    shown,
    uses_sudo,
)
from darc_tui.probes.base import AnyProbe, Probe

IPTABLES_ARGV = ("iptables", "-S")
IP6TABLES_ARGV = ("ip6tables", "-S")


class Role:
    CLIENT = "client"  # this host connects to the backend port (the Envoy host)
    SERVER = "server"  # the backend listens on this host
    BOTH = "both"  # the backend runs on the Envoy host itself


@dataclass(frozen=True, slots=True)
class ToolRead:
    """One firewall tool run on the host: "read", "needs root", "not installed" or "failed"."""

    tool: str
    outcome: str
    why: str = ""
    scan: FirewallScan | None = None


@dataclass(frozen=True, slots=True)
class FirewallReport:
    host: str
    port: int
    address: str
    role: str
    reads: tuple[ToolRead, ...]
    rules: tuple[FirewallRule, ...]  # rules that stop traffic on the port in this host's role
    policies: tuple[ChainPolicy, ...]  # default-drop chains in this role with no rule accepting

    def tools(self, outcome: str) -> list[str]:
        return [r.tool for r in self.reads if r.outcome == outcome]


def _outcome(tool: str, result: CommandResult, sudo: bool) -> ToolRead | None:
    """Why `tool` could not be read, or None when its output is worth parsing."""
    if result.ok:
        return None
    sudo_spoke = any(line.startswith("sudo:") for line in result.err_text().splitlines())
    if sudo and not_installed(result) and not sudo_spoke:
        return ToolRead(tool, "failed", "sudo is not installed")
    if not_installed(result):
        return ToolRead(tool, "not installed")
    if needs_root(result):
        return ToolRead(tool, "needs root", result.why())
    return ToolRead(tool, "failed", result.why())


def relevant(rule: FirewallRule, role: str) -> bool:
    if role == Role.CLIENT:
        return rule.blocks_client()
    if role == Role.SERVER:
        return rule.blocks_server()
    return rule.blocks_client() or rule.blocks_server()


def _policy_relevant(policy: ChainPolicy, role: str) -> bool:
    wanted = {Role.CLIENT: {Direction.OUT}, Role.SERVER: {Direction.IN}}.get(
        role, {Direction.IN, Direction.OUT}
    )
    return policy.direction in wanted and not policy.port_accepted


def rule_text(rule: FirewallRule) -> str:
    return f"{rule.tool}:{rule.line}: {rule.text}"


def policy_text(policy: ChainPolicy) -> str:
    return f"{policy.tool}:{policy.line}: {policy.chain} policy {policy.policy.upper()}"


class FirewallProbe(Probe[FirewallReport]):
    """Reads every firewall tool on one host and keeps the rules that stop the backend port."""

    name = ProbeId.FIREWALL_RULES
    interval = 15.0

    def __init__(
        self,
        host: Host,
        port: int,
        address: str,
        role: str,
        vantage: Vantage,
        *,
        sudo: bool = False,
        interval: float | None = None,
        timeout: float = 2.0,
    ) -> None:
        super().__init__(f"{host.name}: tcp/{port}", interval=interval, timeout=timeout)
        self.host, self.port, self.address, self.role = host, port, address, role
        self.vantage, self.sudo = vantage, sudo
        self.commands: list[tuple[str, tuple[str, ...]]] = [
            ("iptables", privileged(IPTABLES_ARGV, sudo))
        ]
        if family_applies(6, address):
            self.commands.append(("ip6tables", privileged(IP6TABLES_ARGV, sudo)))
        self.commands.append(("nft", privileged(NFT_ARGV, sudo)))
        self.commands.append(("ufw", privileged(UFW_ARGV, sudo)))

    @property
    def command(self) -> str:
        return "; ".join(shown(self.host, argv) for _, argv in self.commands)

    async def run(self) -> Evidence:
        try:
            results = await asyncio.gather(
                *(self.host.run(argv, timeout=self.timeout) for _, argv in self.commands)
            )
        except Exception as exc:  # the boundary: a probe never raises into the engine
            return self.evidence(Status.ERROR, f"reading the firewall failed: {exc}", facts={})
        report = self.report([tool for tool, _ in self.commands], results)
        return self.judge(report)

    def report(self, tools: Sequence[str], results: Sequence[CommandResult]) -> FirewallReport:
        by_tool = dict(zip(tools, results, strict=True))
        reads = tuple(self._read(tool, by_tool) for tool in by_tool)
        scans = [r.scan for r in reads if r.scan is not None]
        ufw_active = any(s.tool == "ufw" and s.active for s in scans)
        rules: list[FirewallRule] = []
        policies: list[ChainPolicy] = []
        for scan in scans:
            # ufw's own listing says what its generated ufw-* chains say, more readably
            ufw_made = ufw_active and scan.tool.endswith("tables")
            rules.extend(
                r
                for r in scan.rules
                if relevant(r, self.role) and not (ufw_made and r.chain.startswith("ufw"))
            )
            if not ufw_made:
                policies.extend(p for p in scan.policies if _policy_relevant(p, self.role))
        return FirewallReport(
            self.host.name,
            self.port,
            self.address,
            self.role,
            reads,
            tuple(rules),
            tuple(policies),
        )

    def _read(self, tool: str, by_tool: Mapping[str, CommandResult]) -> ToolRead:
        failed = _outcome(tool, by_tool[tool], self.sudo)
        if failed is not None:
            return failed
        scan = self._scan(tool, by_tool)
        if scan.error:
            return ToolRead(tool, "failed", scan.error)
        return ToolRead(tool, "read", scan=scan)

    def _scan(self, tool: str, by_tool: Mapping[str, CommandResult]) -> FirewallScan:
        text = by_tool[tool].text()
        if tool in ("iptables", "ip6tables"):
            return scan_iptables(text, self.port, self.address, tool=tool)
        if tool == "nft":
            iptables = by_tool.get("iptables")
            skip: frozenset[tuple[str, str]] = frozenset()
            if iptables is not None and iptables.ok:  # iptables -S already reported those tables
                result = by_tool[tool]
                skip = iptables_managed_tables(result.err_text()) | iptables_tables(text)
            return scan_nft(text, self.port, self.address, skip)
        return scan_ufw(text, self.port, self.address)

    def judge(self, report: FirewallReport) -> Evidence:
        read, root = report.tools("read"), report.tools("needs root")
        facts: dict[str, object] = {
            "port": report.port,
            "address": report.address,
            "role": report.role,
            "blocking": [rule_text(r) for r in report.rules],
            "policies": [policy_text(p) for p in report.policies],
            "read": read,
            "needs_root": root,
            "not_installed": report.tools("not installed"),
            "failed": [f"{r.tool}: {r.why}" for r in report.reads if r.outcome == "failed"],
        }
        status, detail = self._verdict(report, read, root)
        return self.evidence(status, detail, via=",".join(read), facts=facts, data=report)

    def _verdict(
        self, report: FirewallReport, read: list[str], root: list[str]
    ) -> tuple[Status, str]:
        what = f"tcp/{report.port}" + (f" to {report.address}" if report.address else "")
        if report.rules:
            first = report.rules[0]
            more = f" (+{len(report.rules) - 1} more)" if len(report.rules) > 1 else ""
            return (
                Status.FAIL,
                f"{first.tool} line {first.line} `{first.text}` {first.action}s {what}{more}",
            )
        if report.policies:
            policy = report.policies[0]
            return Status.WARN, (
                f"{policy.chain} policy {policy.policy.upper()} ({policy.tool} line {policy.line}) "
                f"and no rule accepts {what}"
            )
        unread = f"; needs root for {', '.join(root)}" if root else ""
        if read:
            return Status.OK, f"no {'/'.join(read)} rule stops {what}{unread}"
        if root:
            hint = "" if self.sudo else f" (run as root or set sudo = true for {report.host})"
            return Status.UNKNOWN, f"needs root to read {', '.join(root)}{hint}"
        failed = [f"{r.tool}: {r.why}" for r in report.reads if r.outcome == "failed"]
        if failed:
            return Status.ERROR, "; ".join(failed)
        return Status.UNKNOWN, f"no firewall tool (iptables, nft, ufw) on {report.host}"


def _role_for_envoy_host(config: Config) -> str:
    address, _ = config.backend.address
    try:
        loopback = ipaddress.ip_address(address).is_loopback
    except ValueError:
        loopback = address == "localhost"
    same_host = config.backend.host == config.envoy.host
    return Role.BOTH if loopback or same_host else Role.CLIENT


def build(config: Config, hosts: Mapping[str, Host]) -> list[AnyProbe]:
    address, port = config.backend.address
    if not address:
        return []
    interval = max(config.probes.interval, FirewallProbe.interval)
    timeout = config.probes.timeout
    probes: list[AnyProbe] = []
    envoy_host = host_named(hosts, config.envoy.host)
    if envoy_host is not None:
        sudo = uses_sudo(config, config.envoy.host)
        role = _role_for_envoy_host(config)
        probes.append(
            FirewallProbe(
                envoy_host,
                port,
                address,
                role,
                Vantage.ENVOY_HOST,
                sudo=sudo,
                interval=interval,
                timeout=timeout,
            )
        )
    backend_host = host_named(hosts, config.backend.host)
    if backend_host is not None and config.backend.host != config.envoy.host:
        sudo = uses_sudo(config, config.backend.host)
        probes.append(
            FirewallProbe(
                backend_host,
                port,
                address,
                Role.SERVER,
                Vantage.BACKEND_HOST,
                sudo=sudo,
                interval=interval,
                timeout=timeout,
            )
        )
    return probes
