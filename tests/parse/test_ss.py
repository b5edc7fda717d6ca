"""`ss -tlnp` parsing against outputs recorded on this machine (tests/data/host)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from darc_tui.parse.ss import ListeningSocket, SocketOwner, parse_ss, split_endpoint

DATA = Path(__file__).resolve().parents[1] / "data" / "host"


def recorded(name: str) -> str:
    return (DATA / name).read_text()


def test_root_listing_names_envoy_as_owner_of_listener_and_admin() -> None:
    listing = parse_ss(recorded("ss_tlnpH_envoy_root.txt"))
    assert listing.skipped == 0 and listing.error == ""
    assert listing.owners_shown
    (admin,) = listing.on_port(19901)
    assert (admin.address, admin.process, admin.pid) == ("127.0.0.1", "envoy", 6829)
    (v6,) = listing.on_port(18081)
    assert v6.address == "::1" and v6.endpoint == "[::1]:18081"


def test_header_line_is_not_a_socket() -> None:
    with_header = parse_ss(recorded("ss_tlnp_envoy_root.txt"))
    without = parse_ss(recorded("ss_tlnpH_envoy_root.txt"))
    assert [s.endpoint for s in with_header.sockets] == [s.endpoint for s in without.sockets]
    assert with_header.skipped == 0


def test_device_bound_sockets_keep_their_interface() -> None:
    listing = parse_ss(recorded("ss_tlnpH_envoy_root.txt"))
    (resolver,) = listing.on_port(18453)
    assert (resolver.address, resolver.interface) == ("127.0.0.53", "lo")
    assert resolver.endpoint == "127.0.0.53%lo:18453"
    (anyv6,) = listing.on_port(18454)
    assert (anyv6.address, anyv6.interface, anyv6.wildcard) == ("*", "lo", True)


def test_star_socket_accepts_ipv4_and_ipv6() -> None:
    (backend,) = parse_ss(recorded("ss_tlnpH_envoy_root.txt")).on_port(18443)
    assert backend.wildcard
    assert backend.accepts("127.0.0.1") and backend.accepts("::1")


def test_loopback_socket_does_not_accept_other_addresses() -> None:
    listing = parse_ss(recorded("ss_tlnpH_envoy_root.txt"))
    assert listing.on_port(18080, "127.0.0.1")
    assert not listing.on_port(18080, "198.18.0.2")
    assert listing.on_port(18081, "::1")
    assert not listing.on_port(18081, "127.0.0.1")


def test_socket_shared_by_two_processes_lists_both_owners() -> None:
    (shared,) = parse_ss(recorded("ss_tlnpH_shared_socket.txt")).on_port(18455)
    assert [o.pid for o in shared.owners] == [12588, 12546]
    assert shared.owners[0] == SocketOwner("python3", 12588, 3)


def test_non_root_listing_has_sockets_but_no_owners() -> None:
    listing = parse_ss(recorded("ss_tlnpH_nonroot.txt"))
    assert len(listing.sockets) == 7
    assert not listing.owners_shown
    assert listing.on_port(19901)[0].pid is None


def test_process_name_with_space_and_paren_is_read_as_ss_cut_it() -> None:
    (sock,) = parse_ss(recorded("ss_tlnpH_weird_comm.txt")).sockets
    assert (sock.process, sock.pid) == ("my srv", 12661)


def test_unspecified_v4_address_does_not_accept_ipv6() -> None:
    sock = ListeningSocket("tcp", "0.0.0.0", 80)
    assert sock.accepts("10.1.2.3") and not sock.accepts("::1")
    v6only = ListeningSocket("tcp", "::", 80)
    assert v6only.accepts("::1") and not v6only.accepts("127.0.0.1")


def test_endpoint_forms() -> None:
    assert split_endpoint("[::1]:8080") == ("::1", 8080, "")
    assert split_endpoint("*:80") == ("*", 80, "")
    assert split_endpoint("[fe80::1%eth0]:22") == ("fe80::1", 22, "eth0")
    assert split_endpoint("[fe80::1]%eth0:22") == ("fe80::1", 22, "eth0")
    assert split_endpoint("127.0.0.1:http") is None
    assert split_endpoint("127.0.0.1:99999") is None


def test_garbage_gives_an_error_line_not_sockets() -> None:
    listing = parse_ss("Cannot open netlink socket: Permission denied\n")
    assert listing.sockets == () and listing.skipped == 1
    assert listing.error.startswith("not ss output: Cannot open netlink")
    assert parse_ss("").error == ""


@settings(max_examples=300)
@given(st.text(max_size=400))
def test_garbage_never_raises(text: str) -> None:
    listing = parse_ss(text)
    assert all(0 <= s.port <= 65535 for s in listing.sockets)


@settings(max_examples=200)
@given(st.text(alphabet='LISTEN 0123456789:[]*%.lo"(),=pidfusers\n\t', max_size=300))
def test_near_miss_lines_never_raise(text: str) -> None:
    parse_ss(text)
