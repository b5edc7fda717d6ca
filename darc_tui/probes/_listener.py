"""The site's identity on requests to Envoy's listener, like `curl --connect-to`: the Host header,
the TLS server name (SNI), and the CA that verifies the listener's certificate."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from darc_tui.config import Config
from darc_tui.hosts.http import TlsIdentity


@dataclass(frozen=True, slots=True)
class ListenerIdentity:
    authority: str  # Host header: `www.darc.kr` or `www.darc.kr:8443`
    ca: str = ""  # a CA file; "" = the system CAs
    verify: bool = True

    @property
    def server_name(self) -> str:
        """The SNI (and certificate name): the authority without its port."""
        host = self.authority
        if host.startswith("["):
            return host[1 : host.index("]")]
        return host.rsplit(":", 1)[0] if host.count(":") == 1 else host

    def headers(self) -> dict[str, str]:
        return {"Host": self.authority}

    def tls(self, url: str) -> TlsIdentity | None:
        if urlsplit(url).scheme != "https":
            return None
        return TlsIdentity(self.server_name, _ssl_context(self.ca, self.verify))

    def curl_args(self, url: str) -> tuple[str, ...]:
        """`--connect-to` keeps the URL's name (Host and SNI) while connecting to the listener."""
        parts = urlsplit(url)
        default = 443 if parts.scheme == "https" else 80
        name, port = self.server_name, _port_of(self.authority, default)
        target = f"{parts.hostname}:{parts.port or default}"
        shown = parts._replace(netloc=self.authority).geturl()
        args = ["--connect-to", f"{name}:{port}:{target}", shown]
        if parts.scheme == "https":
            args = (["-k"] if not self.verify else ["--cacert", self.ca] if self.ca else []) + args
        return tuple(args)


def _port_of(authority: str, default: int) -> int:
    tail = authority.rsplit("]", 1)[-1]
    if ":" in tail and tail.rsplit(":", 1)[1].isdigit():
        return int(tail.rsplit(":", 1)[1])
    return default


def listener_identity(config: Config) -> ListenerIdentity | None:
    """None when requests to listener_url need nothing beyond the URL itself."""
    envoy = config.envoy
    authority = config.listener_identity
    own = urlsplit(envoy.listener_url).netloc
    if (not authority or authority == own) and not envoy.listener_ca and envoy.listener_verify:
        return None
    return ListenerIdentity(authority or own, envoy.listener_ca, envoy.listener_verify)


def unverified_context() -> ssl.SSLContext:
    """Asks "does it speak TLS at all", never trusts the answer (built once)."""
    context = _ssl_context("", False)
    assert context is not None
    return context


@cache
def _ssl_context(ca: str, verify: bool) -> ssl.SSLContext | None:
    """Built once per (CA, verify): loading CAs reads files."""
    if not verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if ca:
        return ssl.create_default_context(cafile=ca)
    return None
