"""The `dns_server` fixture: answers A queries from a dict, and a real Envoy resolves through it."""

from __future__ import annotations

import socket
import struct

import httpx

from darc_tui.demo.envoy_yaml import ClusterType
from tests.lab.dns import NOERROR, NXDOMAIN, DnsServer
from tests.lab.envoy import MakeLab
from tests.lab.lab import Lab, wait_for


def _query(server: DnsServer, name: str, qtype: int = 1) -> tuple[int, list[str]]:
    """(rcode, A addresses) for one real UDP query."""
    question = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    message = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + question
    message += struct.pack("!HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(message, server.address)
        reply = sock.recv(4096)
    ident, flags, _, ancount, _, _ = struct.unpack_from("!HHHHHH", reply)
    assert ident == 0x1234 and flags & 0x8000
    offset = len(message)
    addresses = []
    for _ in range(ancount):
        rdlength = struct.unpack_from("!H", reply, offset + 10)[0]
        rdata = reply[offset + 12 : offset + 12 + rdlength]
        addresses.append(socket.inet_ntoa(rdata))
        offset += 12 + rdlength
    return flags & 0xF, addresses


def test_answers_a_records_from_its_dict(dns_server: DnsServer):
    dns_server.set("Backend.Lab.Test", "127.0.0.1", "127.0.0.2")
    assert _query(dns_server, "backend.lab.test") == (NOERROR, ["127.0.0.1", "127.0.0.2"])
    assert _query(dns_server, "backend.lab.test", qtype=28) == (NOERROR, [])  # AAAA: none
    dns_server.set("backend.lab.test")
    assert _query(dns_server, "backend.lab.test") == (NOERROR, [])


def test_unknown_names_get_an_empty_answer_or_nxdomain(dns_server: DnsServer):
    assert _query(dns_server, "nobody.lab.test") == (NOERROR, [])
    dns_server.unknown_rcode = NXDOMAIN
    assert _query(dns_server, "nobody.lab.test") == (NXDOMAIN, [])
    assert dns_server.queries[-1] == ("nobody.lab.test", 1)


def _dns_lab(make_lab: MakeLab, dns_server: DnsServer, **overrides) -> Lab:
    return make_lab(
        endpoint_host="backend.lab.test",
        cluster_type=ClusterType.STRICT_DNS,
        dns_resolver=dns_server.address,
        dns_refresh_rate=0.25,
        **overrides,
    )


def _assert_no_healthy_upstream(lab: Lab) -> None:
    response = httpx.get(lab.public_url)
    assert (response.status_code, response.text) == (503, "no healthy upstream")
    assert lab.wait_access_log(" 503 UH ")


def test_envoy_dns_cluster_gets_its_host_from_the_lab_resolver(
    dns_server: DnsServer, make_lab: MakeLab
):
    dns_server.set("backend.lab.test", "127.0.0.1")
    lab = _dns_lab(make_lab, dns_server)
    (host,) = lab.wait_healthy()
    assert (host.address, host.port) == ("127.0.0.1", lab.backend.port)
    assert ("backend.lab.test", 1) in dns_server.queries
    assert httpx.get(lab.public_url).status_code == 200


def test_empty_dns_answer_leaves_the_cluster_without_hosts(
    dns_server: DnsServer, make_lab: MakeLab
):
    dns_server.set("backend.lab.test", "127.0.0.1")
    lab = _dns_lab(make_lab, dns_server, ignore_health_on_host_removal=True)
    dns_server.set("backend.lab.test")
    assert lab.wait_hosts(0) == []
    _assert_no_healthy_upstream(lab)


def test_a_name_that_never_resolved_gives_no_hosts_from_the_start(
    dns_server: DnsServer, make_lab: MakeLab
):
    lab = _dns_lab(make_lab, dns_server, healthy=False)
    assert lab.hosts() == []
    _assert_no_healthy_upstream(lab)


def test_a_healthy_host_gone_from_dns_keeps_serving_until_its_health_check_fails(
    dns_server: DnsServer, make_lab: MakeLab
):
    """Envoy 1.40 fact: removal from DNS waits for the active health check to fail."""
    dns_server.set("backend.lab.test", "127.0.0.1")
    lab = _dns_lab(make_lab, dns_server)
    queries = len(dns_server.queries)
    dns_server.set("backend.lab.test")
    (host,) = wait_for(
        lambda: [h for h in lab.hosts() if h.pending_removal] or None, 10, "pending removal"
    )
    assert host.healthy and len(dns_server.queries) > queries
    assert httpx.get(lab.public_url).status_code == 200
    lab.backend.down()
    assert lab.wait_hosts(0) == []
