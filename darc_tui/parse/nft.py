"""`nft list ruleset` (text) → rules that drop/reject a TCP port, with chain policies."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from darc_tui.parse import one_line
from darc_tui.parse.firewall import (
    ChainPolicy,
    Direction,
    FirewallRule,
    FirewallScan,
    Side,
    accepting_chains,
    address_in_spec,
    chain_directions,
    family_applies,
    is_loopback,
    negate,
    port_in_spec,
)

NFT_ARGV = ("nft", "list", "ruleset")
_HOOKS = {
    "input": Direction.IN,
    "prerouting": Direction.IN,
    "ingress": Direction.IN,
    "output": Direction.OUT,
    "postrouting": Direction.OUT,
    "forward": Direction.FORWARD,
}
_VERDICTS = {"drop": "drop", "reject": "reject"}
_OPS = frozenset({"==", "!=", "eq", "ne", "<", ">", "<=", ">=", "lt", "gt", "le", "ge"})
_PORT_PROTOS = frozenset({"tcp", "udp", "th", "sctp", "dccp", "udplite"})
# match keywords that make a portless rule conditional (it is not "drop everything")
_CONDITIONAL = frozenset(
    {"ct", "fib", "limit", "mark", "flags", "pkttype", "icmp", "icmpv6", "socket", "quota"}
    | {"numgen", "osf", "rt", "exthdr", "ah", "esp", "meter", "ether", "vlan", "arp", "tcp"}
)
_IPTABLES_TABLES = frozenset({"filter", "nat", "mangle", "raw", "security"})
_IPTABLES_CHAINS = frozenset({"INPUT", "OUTPUT", "FORWARD", "PREROUTING", "POSTROUTING"})
_MANAGED = re.compile(r"table (\S+) (\S+) is managed by iptables-nft")


@dataclass(slots=True)
class _Chain:
    family: str
    table: str
    name: str
    hook: str = ""
    policy: str = ""
    policy_line: int = 0
    rules: list[tuple[int, str]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.family} {self.table} {self.name}"


@dataclass(slots=True)
class _Rule:
    side: Side | None = None  # None: does not catch the port
    verdict: str = ""
    target: str = ""  # jump/goto target chain


def iptables_managed_tables(stderr: str) -> frozenset[tuple[str, str]]:
    """Tables nft warns are iptables-nft's ("# Warning: table ip filter is managed by …").

    nft 1.0.6 warns only when a table holds rules it cannot translate back (xt matches such as
    `-m comment`), so `iptables_tables()` is needed as well."""
    return frozenset((m[1], m[2]) for m in _MANAGED.finditer(stderr))


def iptables_tables(text: str) -> frozenset[tuple[str, str]]:
    """`ip`/`ip6` tables with iptables' names and upper-case built-in chains (INPUT, …): what
    iptables-nft creates; native nftables rulesets name their chains in lower case."""
    chains, _, _ = _read_ruleset(text)
    return frozenset(
        (c.family, c.table)
        for c in chains
        if c.family in ("ip", "ip6") and c.table in _IPTABLES_TABLES and c.name in _IPTABLES_CHAINS
    )


def scan_nft(
    text: str,
    port: int,
    address: str = "",
    skip_tables: frozenset[tuple[str, str]] = frozenset(),
) -> FirewallScan:
    """Every table's chains; tables in `skip_tables` ((family, name)) are left to `iptables -S`."""
    chains, sets, skipped = _read_ruleset(text)
    chains = [
        c
        for c in chains
        if (c.family, c.table) not in skip_tables and _family_applies(c.family, address)
    ]
    found: list[FirewallRule] = []
    policies: list[ChainPolicy] = []
    tables = {(c.family, c.table) for c in chains}
    total = 0
    for family, table in sorted(tables):
        in_table = [c for c in chains if (c.family, c.table) == (family, table)]
        local_sets = {
            name: spec for (fam, tab, name), spec in sets.items() if (fam, tab) == (family, table)
        }
        parsed = {
            c.name: [(ln, txt, _parse_rule(txt, port, address, local_sets)) for ln, txt in c.rules]
            for c in in_table
        }
        total += sum(len(r) for r in parsed.values())
        roots = {c.name: _HOOKS[c.hook] for c in in_table if c.hook in _HOOKS}
        edges = [(name, r.target) for name, rs in parsed.items() for _, _, r in rs if r.target]
        directions = chain_directions(edges, roots)
        accepting = accepting_chains(
            [
                (name, r.target or r.verdict, r.side is not None)
                for name, rs in parsed.items()
                for _, _, r in rs
            ],
            "accept",
        )
        for chain in in_table:
            for line, text_, rule in parsed[chain.name]:
                action = _VERDICTS.get(rule.verdict)
                if rule.side is None or action is None:
                    continue
                if rule.side is Side.ALL and not chain.hook:
                    continue  # a portless drop in a regular chain is guarded by the jump to it
                found.append(
                    FirewallRule(
                        "nft",
                        line,
                        text_,
                        chain.key,
                        directions.get(chain.name, frozenset()),
                        action,
                        rule.side,
                    )
                )
            if chain.hook in _HOOKS and chain.policy in _VERDICTS:
                policies.append(
                    ChainPolicy(
                        "nft",
                        chain.policy_line,
                        chain.key,
                        _HOOKS[chain.hook],
                        chain.policy,
                        chain.name in accepting,
                    )
                )
    found.sort(key=lambda r: r.line)
    error = ""
    if skipped and not chains and not re.search(r"^table ", text, re.MULTILINE):
        error = one_line(f"not nft ruleset output: {text.strip().splitlines()[0]}")
    return FirewallScan("nft", port, True, tuple(found), tuple(policies), total, skipped, error)


def _family_applies(family: str, address: str) -> bool:
    """A table of family `ip`/`ip6` carries only that IP version; `inet` and others carry both."""
    version = {"ip": 4, "ip6": 6}.get(family)
    return version is None or family_applies(version, address)


def _read_ruleset(text: str) -> tuple[list[_Chain], dict[tuple[str, str, str], str], int]:
    """Chains with their numbered rule lines, named sets' elements, and unreadable lines."""
    chains: list[_Chain] = []
    sets: dict[tuple[str, str, str], str] = {}
    family = table = ""
    chain: _Chain | None = None
    set_name: str | None = None
    set_text: list[str] = []
    depth, skipped = 0, 0
    for line_no, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" # handle ")[0].strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        opens, closes = line.count("{"), line.count("}")
        if depth == 0 and words[0] == "table" and len(words) >= 3:
            family, table = (words[1], words[2]) if len(words) >= 4 else ("ip", words[1])
        elif depth == 1 and words[0] == "chain" and len(words) >= 2:
            chain = _Chain(family, table, words[1])
            chains.append(chain)
        elif depth == 1 and words[0] in ("set", "map") and len(words) >= 2:
            set_name, set_text = words[1], []
        elif depth == 2 and chain is not None and opens == closes:
            if words[0] == "type" and " hook " in f" {line} ":
                _read_chain_header(chain, words, line_no)
            elif not words[0].startswith("policy"):
                chain.rules.append((line_no, line))
            else:
                chain.policy, chain.policy_line = words[-1].rstrip(";"), line_no
        elif set_name is not None and depth >= 2:
            set_text.append(line)
        elif depth == 0 and not closes:
            skipped += 1
        depth = max(0, depth + opens - closes)
        if depth <= 1:
            if set_name is not None:
                sets[(family, table, set_name)] = _set_elements(" ".join(set_text))
            chain, set_name = None, None
    return chains, sets, skipped


def _read_chain_header(chain: _Chain, words: list[str], line_no: int) -> None:
    """`type filter hook input priority filter; policy drop;`"""
    cleaned = [w.rstrip(";") for w in words]
    if "hook" in cleaned and cleaned.index("hook") + 1 < len(cleaned):
        chain.hook = cleaned[cleaned.index("hook") + 1]
    if "policy" in cleaned and cleaned.index("policy") + 1 < len(cleaned):
        chain.policy, chain.policy_line = cleaned[cleaned.index("policy") + 1], line_no


def _set_elements(text: str) -> str:
    match = re.search(r"elements\s*=\s*\{([^}]*)\}", text)
    return match[1] if match else ""


def _tokens(rule: str) -> list[str]:
    """Quoted strings dropped (comments, log prefixes); `{ a, b }` becomes one token `{a,b}`."""
    rule = re.sub(r'"[^"]*"', '""', rule)
    rule = re.sub(r"\{([^}]*)\}", lambda m: "{" + "".join(m[1].split()) + "}", rule)
    return rule.split()


def _value(tokens: list[str], i: int) -> tuple[str, str, int]:
    """(op, value, next index) at tokens[i]: `!= 22`, `{80,443}`, `18443`."""
    op = "=="
    if i < len(tokens) and tokens[i] in _OPS:
        op, i = tokens[i], i + 1
    value = tokens[i] if i < len(tokens) else ""
    return op, value, i + 1


def _port_hit(op: str, value: str, port: int, sets: dict[str, str]) -> bool | None:
    if value.startswith("@"):
        value = sets.get(value[1:], "")
        if not value:
            return None
    if op in ("<", ">", "<=", ">=", "lt", "gt", "le", "ge"):
        if not value.isdecimal():
            return None
        bound = int(value)
        return {
            "<": port < bound,
            "lt": port < bound,
            ">": port > bound,
            "gt": port > bound,
            "<=": port <= bound,
            "le": port <= bound,
            ">=": port >= bound,
            "ge": port >= bound,
        }[op]
    return negate(port_in_spec(value, port), op in ("!=", "ne"))


def _parse_rule(text: str, port: int, address: str, sets: dict[str, str]) -> _Rule:
    tokens = _tokens(text)
    rule = _Rule()
    named: list[tuple[Side, bool | None]] = []
    applies, conditional = True, False
    i = 0
    while i < len(tokens):
        tok, nxt = tokens[i], tokens[i + 1] if i + 1 < len(tokens) else ""
        if tok in _PORT_PROTOS and nxt in ("dport", "sport"):
            op, value, i = _value(tokens, i + 2)
            hit = _port_hit(op, value, port, sets)
            named.append(
                (
                    Side.DPORT if nxt == "dport" else Side.SPORT,
                    hit if tok in ("tcp", "th") else False,
                )
            )
            continue
        if tok in ("ip", "ip6") and nxt in ("daddr", "saddr"):
            op, value, i = _value(tokens, i + 2)
            if not _family_applies(tok, address):
                applies = False
            if (
                nxt == "daddr"
                and negate(address_in_spec(value, address), op in ("!=", "ne")) is False
            ):
                applies = False
            continue
        if (tok, nxt) in (("meta", "l4proto"), ("ip", "protocol"), ("ip6", "nexthdr")):
            op, value, i = _value(tokens, i + 2)
            has_tcp = any(v in ("tcp", "6") for v in value.strip("{}").split(","))
            applies = applies and has_tcp != (op in ("!=", "ne"))
            continue
        if tok in ("iifname", "oifname", "iif", "oif"):
            op, value, i = _value(tokens, i + 1)
            conditional = conditional or value.strip('"') != "lo" or not is_loopback(address)
            continue
        if tok in ("drop", "reject", "accept", "return", "queue", "continue"):
            rule.verdict = tok
        elif tok in ("jump", "goto"):
            rule.verdict, rule.target = tok, nxt
        elif tok in _CONDITIONAL:
            conditional = True
        i += 1
    if not applies:
        return rule
    if named:
        rule.side = next((side for side, hit in named if hit is not False), None)
    elif not conditional:
        rule.side = Side.ALL
    return rule
