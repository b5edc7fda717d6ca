"""What kind of failure an error is, as a value: rules test `kind is ErrorKind.REFUSED`, never words.

`classify(exc)` reads the exception where it happens (hosts, probes): its type, the errno of the
OSError under it, an `ssl.SSLError`, and the httpx/httpcore/h11/asyncssh types by the modules that
raised them. Those modules are looked up in `sys.modules` only, so importing this module imports
none of them (an exception of a module never imported cannot exist).

Remote tools only give text (sshd's channel-open reason, bash's and curl's errno wording):
`classify_reason` maps that text once, at the host boundary, and nothing downstream reads words.
"""

from __future__ import annotations

import errno
import socket
import ssl
import sys
from collections.abc import Iterator
from enum import StrEnum
from typing import Any


class ErrorKind(StrEnum):
    """A closed set of failure kinds (values are stable: they appear in `check --json`)."""

    REFUSED = "refused"  # RST to the SYN: nothing listens (or a REJECT rule)
    CONNECT_TIMEOUT = "connect_timeout"  # no SYN-ACK in time: packets dropped, host gone
    READ_TIMEOUT = "read_timeout"  # connected, then no answer in time: a slow server
    TIMEOUT = "timeout"  # a deadline that does not say which phase
    RESET = "reset"  # the peer closed or reset the connection before/while answering
    TLS = "tls"  # TLS handshake failed (plain server, alert, SNI, version)
    CERTIFICATE = "certificate"  # the peer's certificate did not verify (CA, name, expiry)
    SNI = "sni"  # the TLS server refused the handshake's server name (alert unrecognized_name)
    HTTP_VERSION = "http_version"  # the peer speaks another HTTP version (h2-only vs HTTP/1.1)
    PROTOCOL = "protocol"  # an answer that is not valid HTTP
    DNS = "dns"  # the name did not resolve
    NO_ROUTE = "no_route"  # host or network unreachable (ICMP, no route)
    PROHIBITED = "prohibited"  # sshd refuses to forward (AllowTcpForwarding no)
    AUTH = "auth"  # SSH authentication failed
    HOST_KEY = "host_key"  # SSH host key unknown or changed
    HOST_DOWN = "host_down"  # the vantage host itself is unusable: nothing was measured
    NEEDS_ROOT = "needs_root"  # the command needs privileges darc-tui does not have
    NOT_FOUND = "not_found"  # the command or file does not exist on the host
    TOO_LARGE = "too_large"  # the answer exceeded darc-tui's bound
    BAD_URL = "bad_url"  # the URL itself cannot be requested
    OTHER = "other"


CONNECT_TIMEOUTS = frozenset({ErrorKind.CONNECT_TIMEOUT, ErrorKind.TIMEOUT})
SLOW_ANSWER = frozenset({ErrorKind.READ_TIMEOUT, ErrorKind.TIMEOUT})
# the listener or backend was not reached as HTTP: its certificate, SNI or a reset stood in the way
HANDSHAKE = frozenset({ErrorKind.TLS, ErrorKind.CERTIFICATE, ErrorKind.SNI, ErrorKind.RESET})


def classify(exc: BaseException) -> ErrorKind:
    """The kind of `exc`, from its type and the exceptions chained under it."""
    chain = list(_chain(exc))
    for link in chain:  # a kind a host attached where it knew better (e.g. a remote curl exit)
        kind = getattr(link, "error_kind", None)
        if isinstance(kind, ErrorKind):
            return kind
    top = _httpx_kind(exc) or _asyncssh_kind(exc)
    if top is not None and top not in (ErrorKind.RESET, ErrorKind.PROTOCOL, ErrorKind.OTHER):
        return top  # timeouts and bad URLs say all there is to say
    for link in chain:
        if (kind := _exception_kind(link)) is not None:
            return kind
    return top or ErrorKind.OTHER


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__


def _exception_kind(exc: BaseException) -> ErrorKind | None:
    """One link of the chain: OS, ssl and h11 exceptions carry the precise reason."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ErrorKind.CERTIFICATE
    if isinstance(exc, ssl.SSLError):
        # OpenSSL's reason code for TLS alert 112, not message text
        return ErrorKind.SNI if exc.reason == "TLSV1_UNRECOGNIZED_NAME" else ErrorKind.TLS
    if isinstance(exc, socket.gaierror):
        return ErrorKind.DNS
    if isinstance(exc, ConnectionRefusedError):
        return ErrorKind.REFUSED
    if isinstance(exc, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
        return ErrorKind.RESET
    if isinstance(exc, OSError) and exc.errno in _ERRNO:
        return _ERRNO[exc.errno]
    if isinstance(exc, PermissionError):
        return ErrorKind.NEEDS_ROOT
    if isinstance(exc, TimeoutError):
        return ErrorKind.TIMEOUT
    return _h11_kind(exc)


_ERRNO = {
    errno.ECONNREFUSED: ErrorKind.REFUSED,
    errno.ETIMEDOUT: ErrorKind.CONNECT_TIMEOUT,
    errno.EHOSTUNREACH: ErrorKind.NO_ROUTE,
    errno.EHOSTDOWN: ErrorKind.NO_ROUTE,
    errno.ENETUNREACH: ErrorKind.NO_ROUTE,
    errno.ENETDOWN: ErrorKind.NO_ROUTE,
    errno.ECONNRESET: ErrorKind.RESET,
    errno.EPIPE: ErrorKind.RESET,
    errno.ECONNABORTED: ErrorKind.RESET,
    errno.EPERM: ErrorKind.NEEDS_ROOT,
    errno.EACCES: ErrorKind.NEEDS_ROOT,
    errno.ENOENT: ErrorKind.NOT_FOUND,
}


def _module(name: str) -> Any:
    return sys.modules.get(name)


def _httpx_kind(exc: BaseException) -> ErrorKind | None:
    httpx = _module("httpx")
    if httpx is None or not isinstance(exc, httpx.HTTPError | httpx.InvalidURL):
        return None
    for types, kind in (
        (httpx.ConnectTimeout, ErrorKind.CONNECT_TIMEOUT),
        (httpx.ReadTimeout | httpx.WriteTimeout, ErrorKind.READ_TIMEOUT),
        (httpx.TimeoutException, ErrorKind.TIMEOUT),
        (httpx.UnsupportedProtocol | httpx.InvalidURL, ErrorKind.BAD_URL),
        (httpx.RemoteProtocolError, ErrorKind.RESET),  # refined by the h11 cause, if any
        (httpx.ReadError | httpx.WriteError, ErrorKind.RESET),
        (httpx.ProtocolError, ErrorKind.PROTOCOL),
    ):
        if isinstance(exc, types):
            return kind
    return ErrorKind.OTHER


def _h11_kind(exc: BaseException) -> ErrorKind | None:
    """h11 could not read the answer as HTTP/1.1: the peer spoke another protocol."""
    h11 = _module("h11")
    if h11 is not None and isinstance(exc, h11.RemoteProtocolError):
        return ErrorKind.PROTOCOL
    return None


def _asyncssh_kind(exc: BaseException) -> ErrorKind | None:
    asyncssh = _module("asyncssh")
    if asyncssh is None or not isinstance(exc, asyncssh.Error):
        return None
    if isinstance(exc, asyncssh.ChannelOpenError):
        if exc.code == asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED:
            return ErrorKind.PROHIBITED
        return classify_reason(exc.reason)
    if isinstance(exc, asyncssh.PermissionDenied):
        return ErrorKind.AUTH
    if isinstance(exc, asyncssh.HostKeyNotVerifiable):
        return ErrorKind.HOST_KEY
    if isinstance(exc, asyncssh.ConnectionLost):
        return ErrorKind.RESET
    return ErrorKind.OTHER


_REASONS = (
    # errno wording (strerror in the C locale) as sshd, bash and curl print it
    ("refused", ErrorKind.REFUSED),
    ("timed out", ErrorKind.CONNECT_TIMEOUT),
    ("no route to host", ErrorKind.NO_ROUTE),
    ("unreachable", ErrorKind.NO_ROUTE),
    ("administratively prohibited", ErrorKind.PROHIBITED),
    ("name or service not known", ErrorKind.DNS),
    ("could not resolve", ErrorKind.DNS),
    ("temporary failure in name resolution", ErrorKind.DNS),
    ("connection reset", ErrorKind.RESET),
    ("permission denied", ErrorKind.NEEDS_ROOT),
)


def classify_reason(reason: str) -> ErrorKind:
    """A remote tool's errno wording ("Connection refused", "No route to host") → its kind.

    Only for text that crossed an SSH channel; local errors are classified by type."""
    lowered = reason.lower()
    return next((kind for words, kind in _REASONS if words in lowered), ErrorKind.OTHER)


WORDS = {
    ErrorKind.REFUSED: "connection refused",
    ErrorKind.CONNECT_TIMEOUT: "connect timeout",
    ErrorKind.READ_TIMEOUT: "read timeout",
    ErrorKind.TIMEOUT: "timed out",
    ErrorKind.RESET: "connection reset",
    ErrorKind.TLS: "tls handshake failed",
    ErrorKind.CERTIFICATE: "certificate not trusted",
    ErrorKind.SNI: "server name (SNI) not recognized",
    ErrorKind.HTTP_VERSION: "HTTP version mismatch",
    ErrorKind.PROTOCOL: "not an HTTP answer",
    ErrorKind.DNS: "name resolution failed",
    ErrorKind.NO_ROUTE: "host unreachable",
    ErrorKind.PROHIBITED: "forwarding prohibited",
    ErrorKind.AUTH: "authentication failed",
    ErrorKind.HOST_KEY: "host key not trusted",
    ErrorKind.HOST_DOWN: "host down",
    ErrorKind.NEEDS_ROOT: "needs root",
    ErrorKind.NOT_FOUND: "not found",
    ErrorKind.TOO_LARGE: "answer too large",
    ErrorKind.BAD_URL: "bad url",
    ErrorKind.OTHER: "failed",
}
