"""Firewall rules that drop or reject a TCP port: `iptables -S`, `ip6tables -S`, `nft list ruleset`,
`ufw status verbose`. A scan reads every rule, keeps those that name the port (or every port) with a
DROP/REJECT verdict, and notes chains whose default policy drops with no rule accepting the port.

It is a reading aid, not a packet simulator: rule order, conntrack state and marks are not evaluated.
"""

from __future__ import annotations

import ipaddress
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from darc_tui.parse import one_line


class Direction(StrEnum):
    IN = "in"  # INPUT, hook input, ufw IN
    OUT = "out"
    FORWARD = "forward"


class Side(StrEnum):
    """How a rule named the port."""

    DPORT = "dport"
    SPORT = "sport"
    EITHER = "port"  # multiport --ports
    ALL = "all ports"  # the rule names no port at all


@dataclass(frozen=True, slots=True)
class FirewallRule:
    """One rule that drops/rejects traffic on the port. `line` is 1-based in the tool's output."""

    tool: str  # "iptables" | "ip6tables" | "nft" | "ufw"
    line: int
    text: str
    chain: str
    directions: frozenset[Direction]  # empty: a chain no built-in chain reaches
    action: str  # "drop" | "reject"
    side: Side

    def blocks_client(self) -> bool:
        """Does it stop this host from connecting *to* the port (the Envoy host's view)?"""
        return self._hits(inbound=Side.SPORT, outbound=Side.DPORT)

    def blocks_server(self) -> bool:
        """Does it stop others from connecting to the port *on* this host (the backend's view)?"""
        return self._hits(inbound=Side.DPORT, outbound=Side.SPORT)

    def _hits(self, *, inbound: Side, outbound: Side) -> bool:
        """`inbound`/`outbound`: which port field carries the port on packets in that direction."""
        if not self.directions or Direction.FORWARD in self.directions:
            return True
        wanted = {
            Direction.IN: (inbound, Side.EITHER, Side.ALL),
            Direction.OUT: (outbound, Side.EITHER, Side.ALL),
        }
        return any(self.side in wanted[d] for d in self.directions if d in wanted)


@dataclass(frozen=True, slots=True)
class ChainPolicy:
    """A built-in chain (or ufw default) whose policy drops, and whether any rule accepts the port."""

    tool: str
    line: int
    chain: str
    direction: Direction
    policy: str  # "drop" | "reject"
    port_accepted: bool


@dataclass(frozen=True, slots=True)
class FirewallScan:
    tool: str
    port: int
    active: bool = True  # False: `ufw status` says inactive
    rules: tuple[FirewallRule, ...] = ()
    policies: tuple[ChainPolicy, ...] = ()
    rule_count: int = 0
    skipped: int = 0
    error: str = ""  # "" or why the output was not understood (see darc_tui.parse)

    def unaccepted_policies(self) -> tuple[ChainPolicy, ...]:
        return tuple(p for p in self.policies if not p.port_accepted)


# ---------------------------------------------------------------------------------------------
# shared matching


def port_in_spec(spec: str, port: int) -> bool | None:
    """`18443`, `80,443,18000:19000`, `18000-19000`, `:1024`, `1024:` → port inside? None: unknown."""
    items = [i.strip() for i in spec.strip().strip("{}").split(",") if i.strip()]
    if not items:
        return None
    for item in items:
        low, sep, high = item.replace("-", ":").partition(":")
        try:
            lo = int(low) if low else 0
            hi = int(high) if high else 65535 if sep else lo
        except ValueError:
            return None
        if lo <= port <= hi:
            return True
    return False


def address_in_spec(spec: str, address: str) -> bool | None:
    """Is IP `address` inside `spec` (`10.0.0.0/8`, `a,b`, `{ a, b }`)? None: cannot tell."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    items = [i.strip() for i in spec.strip().strip("{}").split(",") if i.strip()]
    verdict: bool | None = False
    for item in items:
        try:
            net = ipaddress.ip_network(item.split()[0], strict=False)
        except (ValueError, IndexError):
            verdict = None  # a host name or set name: unknown
            continue
        if net.version == ip.version and ip in net:
            return True
    return verdict if items else None


def negate(value: bool | None, negated: bool) -> bool | None:
    return value if value is None or not negated else not value


def family_applies(version: int, address: str) -> bool:
    """Rules of an IPv4-only (4) or IPv6-only (6) table can catch traffic to `address`."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return True  # a name or nothing: either family may carry it
    return ip.version == version


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def safe_split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError:
        return line.split()


# ---------------------------------------------------------------------------------------------
# iptables -S / ip6tables -S

BUILTIN_CHAINS = {"INPUT": Direction.IN, "OUTPUT": Direction.OUT, "FORWARD": Direction.FORWARD}
_VERDICTS = {"DROP": "drop", "REJECT": "reject"}
# options after which a match is still "any packet on the port" for broad (portless) rules
_PLAIN_MODULES = frozenset({"tcp", "comment", "multiport"})


@dataclass(slots=True)
class _IptRule:
    line: int
    text: str
    chain: str
    options: dict[str, tuple[str, bool]] = field(default_factory=dict)  # option → (value, negated)
    modules: set[str] = field(default_factory=set)
    target: str = ""


def _parse_ipt_rule(line_no: int, text: str, tokens: list[str]) -> _IptRule:
    rule = _IptRule(line_no, text, tokens[1] if len(tokens) > 1 else "")
    i, negate = 2, False
    while i < len(tokens):
        tok = tokens[i]
        if tok == "!":
            negate, i = True, i + 1
            continue
        values: list[str] = []
        i += 1
        while i < len(tokens) and not tokens[i].startswith("-") and tokens[i] != "!":
            values.append(tokens[i])
            i += 1
        if not values and i < len(tokens) and tokens[i] == "!":  # pre-1.4.3 `--dport ! 22`
            negate = True
            i += 1
            if i < len(tokens):
                values.append(tokens[i])
                i += 1
        value = " ".join(values)
        if tok in ("-m", "--match"):
            rule.modules.add(value)
        elif tok in ("-j", "--jump", "-g", "--goto"):
            rule.target = value
        else:
            rule.options[_IPT_ALIASES.get(tok, tok)] = (value, negate)
        negate = False
    return rule


_IPT_ALIASES = {
    "--protocol": "-p",
    "--destination": "-d",
    "--source": "-s",
    "--in-interface": "-i",
    "--out-interface": "-o",
    "--destination-port": "--dport",
    "--source-port": "--sport",
    "--destination-ports": "--dports",
    "--source-ports": "--sports",
}
_PORT_OPTIONS = {
    "--dport": Side.DPORT,
    "--dports": Side.DPORT,
    "--sport": Side.SPORT,
    "--sports": Side.SPORT,
    "--ports": Side.EITHER,
}


def _ipt_side(rule: _IptRule, port: int, address: str) -> Side | None:
    """How this rule catches TCP traffic on `port` to `address`, or None when it does not."""
    proto, proto_neg = rule.options.get("-p", ("", False))
    if proto and (proto.lower() in ("tcp", "6", "all", "0")) == proto_neg:
        return None
    if "-d" in rule.options:
        dst, neg = rule.options["-d"]
        if negate(address_in_spec(dst, address), neg) is False:
            return None
    sides: list[Side] = []
    for option, side in _PORT_OPTIONS.items():
        if option not in rule.options:
            continue
        spec, neg = rule.options[option]
        hit = negate(port_in_spec(spec, port), neg)
        if hit is not False:
            sides.append(side)
    named = [o for o in _PORT_OPTIONS if o in rule.options]
    if named:
        return sides[0] if sides else None
    if not _unconditional(rule, address):
        return None
    return Side.ALL


def _unconditional(rule: _IptRule, address: str) -> bool:
    """Only addresses/protocol (and `-i lo` for a loopback address) restrict this rule."""
    if rule.modules - _PLAIN_MODULES:
        return False
    for option in ("-i", "-o"):
        if option in rule.options:
            iface, neg = rule.options[option]
            if neg or iface != "lo" or not is_loopback(address):
                return False
    return not set(rule.options) - {"-p", "-d", "-s", "-i", "-o", "--comment"}


def scan_iptables(text: str, port: int, address: str = "", tool: str = "iptables") -> FirewallScan:
    """`iptables -S` (all chains of the filter table) → rules dropping/rejecting TCP `port`."""
    if not family_applies(6 if tool == "ip6tables" else 4, address):
        return FirewallScan(tool, port)
    rules: list[_IptRule] = []
    policies: list[tuple[int, str, str]] = []
    skipped = 0
    first_bad = ""
    for line_no, raw in enumerate(text.splitlines(), 1):
        tokens = safe_split(raw.strip())
        if not tokens or tokens[0] == "-N":
            continue
        if tokens[0] == "-P" and len(tokens) == 3:
            policies.append((line_no, tokens[1], tokens[2]))
        elif tokens[0] in ("-A", "-I") and len(tokens) >= 2:
            rules.append(_parse_ipt_rule(line_no, raw.strip(), tokens))
        else:
            skipped += 1
            first_bad = first_bad or raw
    directions = chain_directions(((r.chain, r.target) for r in rules), BUILTIN_CHAINS)
    sides = {id(r): _ipt_side(r, port, address) for r in rules}
    found = []
    for r in rules:
        side, action = sides[id(r)], _VERDICTS.get(r.target)
        if side is None or action is None:
            continue
        if side is Side.ALL and r.chain not in BUILTIN_CHAINS:
            continue  # a portless DROP in a user chain is guarded by the jump that leads there
        found.append(
            FirewallRule(
                tool, r.line, r.text, r.chain, directions.get(r.chain, frozenset()), action, side
            )
        )
    accepting = accepting_chains(
        [(r.chain, r.target, sides[id(r)] is not None) for r in rules], "ACCEPT"
    )
    return FirewallScan(
        tool,
        port,
        True,
        tuple(found),
        tuple(
            ChainPolicy(
                tool, line, chain, BUILTIN_CHAINS[chain], _VERDICTS[pol], chain in accepting
            )
            for line, chain, pol in policies
            if chain in BUILTIN_CHAINS and pol in _VERDICTS
        ),
        len(rules),
        skipped,
        one_line(f"not {tool} -S output: {first_bad}")
        if skipped and not (rules or policies)
        else "",
    )


def chain_directions(
    edges: Iterable[tuple[str, str]], roots: Mapping[str, Direction]
) -> dict[str, frozenset[Direction]]:
    """chain → directions of the root (built-in/hooked) chains whose jumps reach it."""
    jumps: dict[str, set[str]] = {}
    for chain, target in edges:
        jumps.setdefault(chain, set()).add(target)
    result: dict[str, set[Direction]] = {}
    for start, direction in roots.items():
        stack, seen = [start], set()
        while stack:
            chain = stack.pop()
            if chain in seen:
                continue
            seen.add(chain)
            result.setdefault(chain, set()).add(direction)
            stack.extend(jumps.get(chain, ()))
    return {chain: frozenset(dirs) for chain, dirs in result.items()}


def accepting_chains(rules: Iterable[tuple[str, str, bool]], accept: str) -> set[str]:
    """Chains with a rule matching the port that accepts, directly or via a chain that does."""
    listed = list(rules)
    accepting: set[str] = set()
    changed = True
    while changed:
        changed = False
        for chain, target, matches in listed:
            if matches and chain not in accepting and (target == accept or target in accepting):
                accepting.add(chain)
                changed = True
    return accepting
