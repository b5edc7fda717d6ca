"""HTTP from an SSH host that forbids TCP forwarding: run curl there and rebuild an httpx.Response.

The response carries `darc_via = "remote curl"` and curl's own `--write-out` timings.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import httpx

from darc_tui.errors import ErrorKind, classify_reason
from darc_tui.hosts.base import HOST_DOWN, HostError, host_down
from darc_tui.hosts.http import TIMINGS_EXTENSION, VIA_EXTENSION

if TYPE_CHECKING:
    from darc_tui.hosts.ssh import SshHost

VIA_CURL = "remote curl"
NO_HTTP = "cannot make HTTP requests from {host}: no TCP forwarding, no python3, no curl"
DEFAULT_PHASE_TIMEOUT = 10.0
_NOT_FORWARDED = {"accept-encoding", "connection", "content-length", "transfer-encoding"}
_WRITE_OUT = "%{http_code} %{time_connect} %{time_pretransfer} %{time_starttransfer} %{time_total}"
_TLS_EXITS = {35, 51, 53, 54, 58, 59, 60, 64, 66, 77, 80, 82, 83, 90, 91}


def curl_argv(request: httpx.Request, marker: str, connect: float, total: float) -> list[str]:
    """curl with -q first (ignore ~/.curlrc), no proxy, no URL globbing; headers on stdout."""
    # -v: only the verbose log names the errno ("connect to … failed: Connection refused")
    argv = ["curl", "-q", "-sS", "-v", "--globoff", "--noproxy", "*"]
    argv += ["--connect-timeout", f"{connect:g}", "--max-time", f"{total:g}"]
    if request.method == "HEAD":
        argv += ["--head"]  # curl -X HEAD would wait for a body that never comes
    else:
        argv += ["-X", request.method, "-D", "-"]
    for name, value in request.headers.multi_items():
        if name.lower() not in _NOT_FORWARDED:
            argv += ["-H", f"{name}: {value}"]
    if request.content:
        argv += ["--data-binary", "@-"]
    argv += ["-o", "-", "--write-out", f"\\n{marker} {_WRITE_OUT}", "--url", str(request.url)]
    return argv


async def curl_request(ssh: SshHost, request: httpx.Request) -> httpx.Response:
    """Run the request with curl on the host; curl failures raise the matching httpx error."""
    timeouts = request.extensions.get("timeout") or {}
    connect = timeouts.get("connect") or DEFAULT_PHASE_TIMEOUT
    total = connect + (timeouts.get("read") or DEFAULT_PHASE_TIMEOUT)
    await request.aread()
    marker = f"darc-{secrets.token_hex(8)}"
    result = await ssh.run(
        curl_argv(request, marker, connect, total), timeout=total + 2, input=request.content or None
    )
    if result.error:
        if result.error.startswith("timed out"):
            raise httpx.ReadTimeout(f"remote curl {result.error}", request=request)
        if host_down(result.error):
            raise HostError(result.error.removeprefix(HOST_DOWN).strip())
        raise httpx.ConnectError(result.error, request=request)
    if result.exit_status == 127:
        # nothing was measured: not "the target is unreachable" (a false admin_unreachable)
        raise HostError(NO_HTTP.format(host=ssh.name))
    payload, meta = _split_write_out(result.stdout, marker)
    if meta is None:
        raise httpx.RemoteProtocolError(f"remote curl: {result.why()}", request=request)
    if result.exit_status != 0:
        raise _curl_error(result.exit_status, result.err_text(), meta, request)
    status, headers, body = _parse_payload(payload)
    return httpx.Response(
        status,
        headers=headers,
        content=body,
        request=request,
        extensions={
            VIA_EXTENSION: VIA_CURL,
            TIMINGS_EXTENSION: _timings(meta),
            "http_version": b"HTTP/1.1",
        },
    )


def _split_write_out(stdout: bytes, marker: str) -> tuple[bytes, list[str] | None]:
    at = stdout.rfind(b"\n" + marker.encode())
    if at < 0:
        return stdout, None
    meta = stdout[at + len(marker) + 1 :].decode("ascii", "replace").split()
    return stdout[:at], meta if len(meta) == 5 else None


def _timings(meta: list[str]) -> dict[str, float | None]:
    _, connect, pretransfer, starttransfer, total = (float(v) for v in meta)
    return {
        "connect_ms": connect * 1000.0,
        "ttfb_ms": max(starttransfer - pretransfer, 0.0) * 1000.0,
        "total_ms": total * 1000.0,
    }


def _parse_payload(payload: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Header blocks (skipping 1xx interim ones) then the body, as curl -D - -o - wrote them."""
    status, headers = 0, []
    while payload.startswith(b"HTTP/"):
        end = payload.find(b"\r\n\r\n")
        block, payload = (payload, b"") if end < 0 else (payload[:end], payload[end + 4 :])
        status_line, *lines = block.split(b"\r\n")
        parts = status_line.split()
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        headers = [_header(line) for line in lines if b":" in line]
        if not 100 <= status < 200:
            break
    return status, headers, payload


def _header(line: bytes) -> tuple[bytes, bytes]:
    name, _, value = line.partition(b":")
    return name.strip(), value.strip()


def _curl_error(
    code: int | None, stderr: str, meta: list[str], request: httpx.Request
) -> Exception:
    error = _curl_exception(code, stderr, meta, request)
    error.error_kind = _curl_kind(code, stderr, meta)  # type: ignore[attr-defined]
    return error


def _curl_kind(code: int | None, stderr: str, meta: list[str]) -> ErrorKind:
    """curl's exit code (and, for 6/7, the errno wording its -v log gives) as a kind."""
    if code == 28:
        return ErrorKind.READ_TIMEOUT if float(meta[1]) > 0 else ErrorKind.CONNECT_TIMEOUT
    if code == 6:
        return ErrorKind.DNS
    if code == 7:
        reason = next((ln for ln in stderr.splitlines() if " failed: " in ln), "")
        return classify_reason(reason.rsplit(" failed: ", 1)[-1])
    if code == 60:
        return ErrorKind.CERTIFICATE
    if code in _TLS_EXITS:
        return ErrorKind.TLS
    if code in (52, 56):
        return ErrorKind.RESET
    return ErrorKind.OTHER


def _curl_exception(
    code: int | None, stderr: str, meta: list[str], request: httpx.Request
) -> Exception:
    lines = stderr.splitlines()
    message = next((line for line in lines if line.startswith("curl: (")), f"curl exit {code}")
    reason = next((line[2:] for line in lines if line.startswith("* ") and " failed: " in line), "")
    if code == 28:
        connected = float(meta[1]) > 0
        error = httpx.ReadTimeout if connected else httpx.ConnectTimeout
        return error(message, request=request)
    if code in (6, 7):
        return httpx.ConnectError(reason or message, request=request)
    if code in _TLS_EXITS:
        return httpx.ConnectError(f"tls error: {message}", request=request)
    if code == 52:
        return httpx.RemoteProtocolError("server closed without a response", request=request)
    if code == 56:
        return httpx.ReadError(message, request=request)
    return httpx.NetworkError(message, request=request)
