"""TCP connect from an SSH host: a direct-tcpip channel, or bash's /dev/tcp when sshd forbids it.

sshd confirms a direct-tcpip open only after its own connect() finished, so timing the channel
open measures "TCP connect from that host", and its failure reason is the connect errno.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

import asyncssh

from darc_tui.errors import ErrorKind
from darc_tui.hosts._common import CLOSE_GRACE, elapsed_ms, one_line
from darc_tui.hosts.base import HOST_DOWN, TcpResult
from darc_tui.hosts.ssh_mux import Mux, MuxError

if TYPE_CHECKING:
    from darc_tui.hosts.ssh import SshHost
    from darc_tui.hosts.ssh_link import Link

VIA_DIRECT = "ssh direct-tcpip"
VIA_BASH = "remote bash /dev/tcp"
VIA_HELPER = "ssh helper"  # the multiplexer's python3 made the connection on the host

# `: 3<>/dev/tcp/h/p` opens (and at once closes) a TCP connection in bash; $1/$2 are argv, never
# parsed as code. EPOCHREALTIME (bash 5) gives microseconds; empty on older bash → no timing.
_DEV_TCP = (
    "s=${EPOCHREALTIME//[.,]/}; "
    'if : 3<>"/dev/tcp/$1/$2"; then e=${EPOCHREALTIME//[.,]/}; echo "connected ${s:+$((e - s))}"; '
    "else exit 1; fi"
)


ChannelPair = tuple[asyncssh.SSHReader[bytes], asyncssh.SSHWriter[bytes]]


async def open_channel(
    conn: asyncssh.SSHClientConnection, host: str, port: int, *, timeout: float | None
) -> ChannelPair:
    """A direct-tcpip channel, or TimeoutError. Cancelling asyncssh's open would leave a channel
    that sshd confirms later with nobody to close it (and a TCP connection held on the host), so
    the open keeps running and a late success is closed at once."""
    opening = asyncio.ensure_future(conn.open_connection(host, port, encoding=None))
    try:
        done, _ = await asyncio.wait({opening}, timeout=timeout)
    finally:
        if not opening.done():
            opening.add_done_callback(_close_late_channel)
    if not done:
        raise TimeoutError
    return opening.result()


def _close_late_channel(opening: asyncio.Future[ChannelPair]) -> None:
    if opening.cancelled() or opening.exception() is not None:
        return
    _, writer = opening.result()
    writer.close()


def classify_reason(reason: str) -> str:
    """A connect failure text (errno wording from sshd or bash) → refused/timeout/unreachable."""
    lowered = reason.lower()
    if "refused" in lowered:
        return "refused"
    if "timed out" in lowered or "timeout" in lowered:
        return "timeout"
    if "unreachable" in lowered or "no route" in lowered:
        return "unreachable"
    return " ".join(reason.split()) or "connect failed"


async def open_tcp_over(
    ssh: SshHost, link: Link, host: str, port: int, *, timeout: float
) -> TcpResult:
    """The route decided when the connection opened: direct-tcpip, else the helper, else bash."""
    if link.forwarding:
        result = await direct_tcpip(link.conn, host, port, timeout=timeout)
        if result is not None:
            return result
        # sshd forwards, but not to this destination (PermitOpen): say so, do not guess
        error = "forwarding to this address prohibited by sshd"
        return TcpResult(host, port, False, error=error, via=VIA_DIRECT)
    start = time.monotonic()
    if not await link.settled(timeout):
        return TcpResult(host, port, False, error="timeout", via=VIA_HELPER)
    mux = link.live_mux()
    timeout = max(timeout - (time.monotonic() - start), 0.05)
    if mux is not None:
        return await helper_tcp(mux, host, port, timeout=timeout)
    return await bash_dev_tcp(ssh, host, port, timeout=timeout)


async def helper_tcp(mux: Mux, host: str, port: int, *, timeout: float) -> TcpResult:
    """TCP connect by the helper on the host; it times the connect itself."""
    try:
        sock, connect_ms = await mux.connect(host, port, timeout=timeout)
    except TimeoutError:
        return TcpResult(host, port, False, error="timeout", via=VIA_HELPER)
    except ConnectionError as exc:
        return TcpResult(host, port, False, error=classify_reason(str(exc)), via=VIA_HELPER)
    except MuxError as exc:
        return TcpResult(host, port, False, error=f"connection lost: {exc}", via=VIA_HELPER)
    await sock.aclose()
    return TcpResult(host, port, True, connect_ms=connect_ms, via=VIA_HELPER)


async def direct_tcpip(
    conn: asyncssh.SSHClientConnection, host: str, port: int, *, timeout: float
) -> TcpResult | None:
    """None when sshd refuses to forward at all (AllowTcpForwarding no)."""
    start = time.monotonic()
    try:
        _, writer = await open_channel(conn, host, port, timeout=timeout)
    except TimeoutError:
        return TcpResult(host, port, False, error="timeout", via=VIA_DIRECT)
    except asyncssh.ChannelOpenError as exc:
        if exc.code == asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED:
            return None
        ms = elapsed_ms(start)
        error = classify_reason(exc.reason)
        return TcpResult(host, port, False, connect_ms=ms, error=error, via=VIA_DIRECT)
    except (asyncssh.Error, OSError) as exc:
        return TcpResult(
            host, port, False, error=f"connection lost: {one_line(exc)}", via=VIA_DIRECT
        )
    connect_ms = elapsed_ms(start)
    writer.close()
    with contextlib.suppress(TimeoutError, asyncssh.Error, OSError):
        async with asyncio.timeout(CLOSE_GRACE):
            await writer.channel.wait_closed()
    return TcpResult(host, port, True, connect_ms=connect_ms, via=VIA_DIRECT)


async def bash_dev_tcp(ssh: SshHost, host: str, port: int, *, timeout: float) -> TcpResult:
    result = await ssh.run(["bash", "-c", _DEV_TCP, "darc-tcp", host, str(port)], timeout=timeout)
    if result.error:
        error = "timeout" if result.error.startswith("timed out") else result.error
        return TcpResult(host, port, False, error=error, via=VIA_BASH)
    if result.exit_status == 127:
        # nothing was measured: the host cannot connect anywhere for us, not "refused"
        error = f"{HOST_DOWN} cannot connect from {ssh.name}: no TCP forwarding, python3 or bash"
        return TcpResult(
            host, port, False, error=error, via=VIA_BASH, error_kind=ErrorKind.HOST_DOWN
        )
    words = result.text().split()
    if result.exit_status == 0 and words[:1] == ["connected"]:
        micros = int(words[1]) if len(words) > 1 and words[1].isdigit() else None
        connect_ms = None if micros is None else micros / 1000.0
        return TcpResult(host, port, True, connect_ms=connect_ms, via=VIA_BASH)
    lines = result.err_text().splitlines()
    error = classify_reason(lines[-1].rsplit(":", 1)[-1]) if lines else result.why()
    return TcpResult(host, port, False, error=error, via=VIA_BASH)
