"""Listening sockets from `ss -tlnp` / `ss -tlnpH` (iproute2): address, port, owning processes."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from darc_tui.parse import one_line

# ss prints `users:(("name",pid=1,fd=3),("name",pid=2,fd=3))`; the name is cut at the first `)`
# because ss reads it from /proc/PID/stat without escaping.
_OWNER = re.compile(r'\("(?P<name>.*?)",pid=(?P<pid>\d+)(?:,fd=(?P<fd>\d+))?\)')
_STATES = frozenset(
    {"LISTEN", "UNCONN", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2"}
    | {"TIME-WAIT", "CLOSE", "CLOSE-WAIT", "LAST-ACK", "CLOSING", "UNKNOWN"}
)
_NETIDS = frozenset({"tcp", "udp", "raw", "sctp", "mptcp", "dccp", "u_str", "u_dgr", "u_seq"})
WILDCARDS = frozenset({"*", "0.0.0.0", "::", "[::]"})


@dataclass(frozen=True, slots=True)
class SocketOwner:
    """A process holding the socket, as `ss -p` shows it."""

    name: str
    pid: int
    fd: int | None = None


@dataclass(frozen=True, slots=True)
class ListeningSocket:
    """One listening socket. `address` is "*" for any address (ss prints `*` or `0.0.0.0`/`[::]`)."""

    proto: str
    address: str  # "127.0.0.1", "::1", "0.0.0.0", "::", "*"
    port: int
    interface: str = ""  # bound to a device: `127.0.0.53%lo` → "lo"
    owners: tuple[SocketOwner, ...] = ()
    line: str = ""

    @property
    def wildcard(self) -> bool:
        return self.address in WILDCARDS

    @property
    def pid(self) -> int | None:
        return self.owners[0].pid if self.owners else None

    @property
    def process(self) -> str:
        return self.owners[0].name if self.owners else ""

    @property
    def endpoint(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        scope = f"%{self.interface}" if self.interface else ""
        return f"{host}{scope}:{self.port}"

    def accepts(self, address: str) -> bool:
        """Would a connection to `address` (an IP literal, or "" for any) reach this socket?"""
        if not address or self.address == "*":
            return True
        # `0.0.0.0` takes IPv4 only; `[::]` is a v6only socket (ss prints `*` when it also takes v4)
        if self.address == "0.0.0.0":
            return _family(address) != 6
        if self.address in ("::", "[::]"):
            return _family(address) != 4
        return _same_ip(self.address, address)


@dataclass(frozen=True, slots=True)
class SsListing:
    """Every socket line that parsed, whether any line showed owners, and how many lines did not."""

    sockets: tuple[ListeningSocket, ...] = ()
    owners_shown: bool = False
    skipped: int = 0
    error: str = ""  # "" or why nothing was understood (see darc_tui.parse)

    def on_port(self, port: int, address: str = "") -> tuple[ListeningSocket, ...]:
        """Sockets on `port` that accept connections to `address` ("" = any address)."""
        return tuple(s for s in self.sockets if s.port == port and s.accepts(address))


def parse_ss(text: str, proto: str = "tcp") -> SsListing:
    """`ss -tlnp` output, with or without the header line (`-H`). Never raises."""
    sockets: list[ListeningSocket] = []
    skipped = 0
    first_bad = ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip() or _is_header(line):
            continue
        sock = parse_ss_line(line, proto)
        if sock is None:
            skipped += 1
            first_bad = first_bad or line
        else:
            sockets.append(sock)
    shown = any(s.owners for s in sockets)
    error = one_line(f"not ss output: {first_bad}") if skipped and not sockets else ""
    return SsListing(tuple(sockets), shown, skipped, error)


def parse_ss_line(line: str, proto: str = "tcp") -> ListeningSocket | None:
    """One socket line: `[Netid] State Recv-Q Send-Q Local:Port Peer:Port [Process]`."""
    tokens = line.split()
    if tokens and tokens[0] in _NETIDS:
        proto, tokens = tokens[0], tokens[1:]
    if len(tokens) < 5 or tokens[0] not in _STATES:
        return None
    if not (tokens[1].isdecimal() and tokens[2].isdecimal()):
        return None
    local = split_endpoint(tokens[3])
    if local is None:
        return None
    address, port, interface = local
    rest = " ".join(tokens[5:])
    owners = tuple(
        SocketOwner(m["name"], int(m["pid"]), int(m["fd"]) if m["fd"] else None)
        for m in _OWNER.finditer(rest)
    )
    return ListeningSocket(proto, address, port, interface, owners, line.strip())


def split_endpoint(text: str) -> tuple[str, int, str] | None:
    """`[::1]:80`, `*%lo:53`, `127.0.0.53%lo:53`, `[fe80::1]%eth0:22` → (address, port, interface)."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not port_text.isdecimal() or not host:
        return None
    port = int(port_text)
    if port > 65535:
        return None
    interface = ""
    if "%" in host:
        if host.startswith("[") and "]" in host and host.index("%") < host.index("]"):
            # `[fe80::1%eth0]`: the scope sits inside the brackets
            inner = host[1 : host.index("]")]
            host, _, interface = inner.partition("%")
            host = f"[{host}]"
        else:
            host, _, interface = host.partition("%")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        return None
    return host, port, interface


def _is_header(line: str) -> bool:
    head = line.split(None, 2)[:2]
    return head[:1] == ["State"] or head[:2] == ["Netid", "State"]


def _same_ip(a: str, b: str) -> bool:
    try:
        ia, ib = ipaddress.ip_address(a), ipaddress.ip_address(b)
    except ValueError:
        return a == b
    if isinstance(ia, ipaddress.IPv6Address) and ia.ipv4_mapped is not None:
        ia = ia.ipv4_mapped
    if isinstance(ib, ipaddress.IPv6Address) and ib.ipv4_mapped is not None:
        ib = ib.ipv4_mapped
    return ia == ib


def _family(address: str) -> int | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return 4
    return ip.version
