"""Lab fixtures: a tiny authoritative DNS server on loopback (UDP, A records only, RFC 1035).

Envoy STRICT_DNS clusters in tests resolve through it (never the system resolver), so a test can
change what a name resolves to, or make it resolve to nothing, while Envoy runs.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

TYPE_A = 1
CLASS_IN = 1
NOERROR = 0
FORMERR = 1
NXDOMAIN = 3
_HEADER = struct.Struct("!HHHHHH")
_ANSWER = struct.Struct("!HHIH")  # type, class, ttl, rdlength (after the name pointer)
_NAME_POINTER = b"\xc0\x0c"  # the question's name sits right after the 12-byte header


@dataclass(frozen=True, slots=True)
class Question:
    name: str  # lower case, no trailing dot
    qtype: int
    qclass: int
    end: int  # offset just past the question in the query


class DnsServer:
    """Answers A queries from `records` (name → list of IPv4 strings), which tests mutate freely.

    A known name with an empty list answers NOERROR with no answers; an unknown name answers
    `unknown_rcode` (NOERROR by default, or NXDOMAIN). Other query types get NOERROR, no answers.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, ttl: int = 1) -> None:
        self.records: dict[str, list[str]] = {}
        self.unknown_rcode = NOERROR
        self.ttl = ttl
        self.queries: list[tuple[str, int]] = []  # (name, qtype) in arrival order
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((host, port))
        self._sock.settimeout(0.1)
        self.host, self.port = self._sock.getsockname()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, name=f"lab-dns-{self.port}", daemon=True
        )

    @property
    def address(self) -> tuple[str, int]:
        """(ip, port), as EnvoySpec.dns_resolver wants it."""
        return (self.host, self.port)

    def set(self, name: str, *addresses: str) -> None:
        """Make `name` resolve to `addresses` (none = an empty NOERROR answer)."""
        self.records[_normal(name)] = [str(ipaddress.IPv4Address(a)) for a in addresses]

    def start(self) -> DnsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                query, client = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                reply = self.answer(query)
            except Exception:  # a malformed query must not kill the server thread
                continue
            if reply is not None:
                try:
                    self._sock.sendto(reply, client)
                except OSError:
                    pass

    def answer(self, query: bytes) -> bytes | None:
        """The response to one query datagram (None = not a DNS query, stay silent)."""
        if len(query) < _HEADER.size:
            return None
        ident, flags, qdcount, _, _, _ = _HEADER.unpack_from(query)
        if flags & 0x8000:
            return None  # a response, not a query
        question = parse_question(query) if qdcount == 1 else None
        if question is None:
            return _HEADER.pack(ident, _reply_flags(flags, FORMERR), 0, 0, 0, 0)
        self.queries.append((question.name, question.qtype))
        addresses = self.records.get(question.name)
        rcode = self.unknown_rcode if addresses is None else NOERROR
        if question.qtype != TYPE_A or question.qclass != CLASS_IN:
            addresses = []
        answers = b"".join(
            _NAME_POINTER
            + _ANSWER.pack(TYPE_A, CLASS_IN, self.ttl, 4)
            + ipaddress.IPv4Address(a).packed
            for a in addresses or []
        )
        count = len(addresses or [])
        header = _HEADER.pack(ident, _reply_flags(flags, rcode), 1, count, 0, 0)
        return header + query[_HEADER.size : question.end] + answers


def parse_question(message: bytes) -> Question | None:
    """The first question of a DNS message; None if it is malformed or uses compression."""
    labels: list[str] = []
    offset = _HEADER.size
    while True:
        if offset >= len(message):
            return None
        length = message[offset]
        offset += 1
        if length == 0:
            break
        if length & 0xC0 or offset + length > len(message):
            return None  # a query's question never needs a pointer
        labels.append(message[offset : offset + length].decode("ascii", "replace"))
        offset += length
    if offset + 4 > len(message):
        return None
    qtype, qclass = struct.unpack_from("!HH", message, offset)
    return Question(_normal(".".join(labels)), qtype, qclass, offset + 4)


def _reply_flags(query_flags: int, rcode: int) -> int:
    opcode_and_rd = query_flags & 0x7900  # keep OPCODE and RD from the query
    return 0x8000 | opcode_and_rd | 0x0400 | 0x0080 | rcode  # QR, AA, RA


def _normal(name: str) -> str:
    return name.lower().rstrip(".")


@pytest.fixture
def dns_server() -> Iterator[DnsServer]:
    server = DnsServer().start()
    try:
        yield server
    finally:
        server.stop()
