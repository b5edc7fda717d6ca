"""The site's identity on requests to Envoy's listener: Host, SNI and the shown curl command."""

from __future__ import annotations

from darc_tui.config import parse_config
from darc_tui.probes._listener import ListenerIdentity, listener_identity

BASE = '[envoy]\nlistener_url = "{listener}"\n{extra}[backend]\nurl = "http://127.0.0.1:1"\n'


def test_the_server_name_drops_the_port_and_ipv6_brackets() -> None:
    assert ListenerIdentity("www.darc.kr:8443").server_name == "www.darc.kr"
    assert ListenerIdentity("www.darc.kr").server_name == "www.darc.kr"
    assert ListenerIdentity("[::1]:8443").server_name == "::1"


def test_curl_keeps_the_sites_name_and_connects_to_the_listener() -> None:
    identity = ListenerIdentity("www.darc.kr", ca="/etc/ca.pem")
    args = identity.curl_args("https://127.0.0.1:8443/api/health")
    assert args == (
        "--cacert",
        "/etc/ca.pem",
        "--connect-to",
        "www.darc.kr:443:127.0.0.1:8443",
        "https://www.darc.kr/api/health",
    )
    unverified = ListenerIdentity("www.darc.kr", verify=False)
    assert unverified.curl_args("https://127.0.0.1:8443/x")[0] == "-k"


def test_no_identity_when_the_url_says_it_all() -> None:
    plain = parse_config(BASE.format(listener="http://127.0.0.1:8080", extra=""))
    assert listener_identity(plain) is None
    named = parse_config(
        BASE.format(listener="http://127.0.0.1:8080", extra='listener_host = "www.darc.kr"\n')
    )
    identity = listener_identity(named)
    assert identity is not None and identity.headers() == {"Host": "www.darc.kr"}
    assert identity.tls("http://127.0.0.1:8080/x") is None  # plain HTTP: no SNI to send
    tls = identity.tls("https://127.0.0.1:8443/x")
    assert tls is not None and tls.sni == "www.darc.kr" and tls.ssl_context is None
