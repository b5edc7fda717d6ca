"""`ufw status verbose` / `ufw status numbered` → rules that deny or reject a TCP port."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from darc_tui.parse import one_line
from darc_tui.parse.firewall import (
    ChainPolicy,
    Direction,
    FirewallRule,
    FirewallScan,
    Side,
    address_in_spec,
    family_applies,
    port_in_spec,
)

UFW_ARGV = ("ufw", "status", "verbose")
_DIRECTIONS = {"IN": Direction.IN, "OUT": Direction.OUT, "FWD": Direction.FORWARD}
_BLOCKING = {"DENY": "drop", "REJECT": "reject"}
_DEFAULT = re.compile(r"(\w+) \((incoming|outgoing|routed)\)")
_DEFAULT_DIRECTIONS = {
    "incoming": Direction.IN,
    "outgoing": Direction.OUT,
    "routed": Direction.FORWARD,
}
_NUMBER = re.compile(r"^\[\s*\d+\]\s*")
_PORT = re.compile(r"^(?P<ports>[\d,:]+)(?:/(?P<proto>\w+))?$")


@dataclass(frozen=True, slots=True)
class _Endpoint:
    """One side of a ufw rule: `192.168.7.0/24 8080/tcp`, `18443/tcp (v6)`, `Anywhere`."""

    address: str  # "" = Anywhere
    ports: str  # "" = any port
    proto: str  # "" = any protocol
    known: bool = True  # False: an application profile name ("OpenSSH") we cannot resolve
    v6: bool = False  # ufw marks the IPv6 twin of an address-less rule with "(v6)"


def scan_ufw(text: str, port: int, address: str = "") -> FirewallScan:
    """Status, defaults and rules; IN rules name the local port, OUT rules the remote one."""
    active = not re.search(r"^Status:\s*inactive", text, re.MULTILINE)
    found: list[FirewallRule] = []
    policies: list[tuple[int, Direction, str]] = []
    accepted: set[Direction] = set()
    in_table, count, skipped = False, 0, 0
    for line_no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("Default:"):
            for policy, where in _DEFAULT.findall(line):
                if policy.upper() in _BLOCKING:
                    policies.append((line_no, _DEFAULT_DIRECTIONS[where], policy.lower()))
            continue
        if line.startswith("--"):
            in_table = True
            continue
        if not in_table or not line:
            continue
        rule = _parse_rule(line)
        if rule is None:
            skipped += 1
            continue
        count += 1
        to, action, direction, frm = rule
        side = _side(to, frm, port, address)
        if side is None:
            continue
        if action == "ALLOW":
            accepted.add(direction)
        elif action in _BLOCKING:
            label = f"ufw {direction.value}"
            found.append(
                FirewallRule(
                    "ufw", line_no, line, label, frozenset({direction}), _BLOCKING[action], side
                )
            )
    return FirewallScan(
        "ufw",
        port,
        active,
        tuple(found) if active else (),
        tuple(
            ChainPolicy("ufw", ln, f"default {d.value}", d, pol, d in accepted)
            for ln, d, pol in policies
        )
        if active
        else (),
        count,
        skipped,
        _error(text),
    )


def _error(text: str) -> str:
    if re.search(r"^Status:", text, re.MULTILINE) or not text.strip():
        return ""
    return one_line(f"not ufw status output: {text.strip().splitlines()[0]}")


def _parse_rule(line: str) -> tuple[_Endpoint, str, Direction, _Endpoint] | None:
    """`To  Action  From` columns (two or more spaces apart); `[ 3]` and `(out)` stripped."""
    line = _NUMBER.sub("", line)
    line = re.sub(r"\s+\((out|fwd|in)\)$", "", line)
    columns = re.split(r"\s{2,}", line.strip())
    if len(columns) != 3:
        return None
    action_words = columns[1].split()
    if not action_words or action_words[0] not in ("ALLOW", "DENY", "REJECT", "LIMIT"):
        return None
    direction = _DIRECTIONS.get(action_words[1] if len(action_words) > 1 else "IN")
    if direction is None:
        return None
    return _endpoint(columns[0]), action_words[0], direction, _endpoint(columns[2])


def _endpoint(text: str) -> _Endpoint:
    words = [w for w in text.replace("(v6)", "").split() if w]
    if "on" in words:  # `127.0.0.1 18444/tcp on lo`: the interface does not change the port
        words = words[: words.index("on")]
    address = ports = proto = ""
    known = True
    for word in words:
        match = _PORT.match(word)
        if word == "Anywhere":
            continue
        if _is_address(word):
            address = word
        elif match:
            ports, proto = match["ports"], (match["proto"] or "")
        else:
            known = False  # an application profile such as "OpenSSH" or "Apache Full"
    v6 = "(v6)" in text or (bool(address) and ":" in address)
    return _Endpoint(address, ports, proto, known, v6)


def _is_address(word: str) -> bool:
    try:
        ipaddress.ip_network(word, strict=False)
    except ValueError:
        return False
    return True


def _side(to: _Endpoint, frm: _Endpoint, port: int, address: str) -> Side | None:
    """How the rule catches TCP `port` towards `address`, or None."""
    if not (to.known and frm.known):
        return None
    if not family_applies(6 if to.v6 or frm.v6 else 4, address):
        return None
    if (to.proto and to.proto != "tcp") or (frm.proto and frm.proto != "tcp"):
        return None
    if to.address and address_in_spec(to.address, address) is False:
        return None
    if to.ports:
        return Side.DPORT if port_in_spec(to.ports, port) is not False else None
    if frm.ports:
        return Side.SPORT if port_in_spec(frm.ports, port) is not False else None
    return Side.ALL
