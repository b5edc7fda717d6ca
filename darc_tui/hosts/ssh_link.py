"""One live SSH connection and what it was found to offer, decided once when it opens.

Per connection (and again after every reconnect): can sshd forward TCP (one direct-tcpip open to a
closed loopback port tells "administratively prohibited" from anything else), which tools the
host has, and whether the multiplexing helper runs. Each request then takes one route, chosen
before anything is sent, so no request is ever sent twice or half-sent down a refused route.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncssh

from darc_tui.hosts._common import CLOSE_GRACE
from darc_tui.hosts.ssh_mux import Mux, MuxError
from darc_tui.hosts.ssh_tcp import open_channel

# The tools whose absence changes how darc-tui works on a host, or what it can see there.
TOOLS = ("python3", "curl", "bash", "timeout", "ss", "iptables", "nft", "journalctl", "sudo")
# sbin too: a non-root PATH often lacks it, yet `sudo -n` (secure_path) and `env PATH=…` find them
_DETECT = (
    'PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; '
    'for t in "$@"; do command -v "$t" >/dev/null 2>&1 && echo "$t"; done; exit 0'
)
PROBE_TIMEOUT = 5.0
FORWARD_PROBE = ("127.0.0.1", 9)  # discard port: refused almost everywhere, harmless if not


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What one connection offers. `tools` empty + `detected` False: detection itself failed."""

    forwarding: bool
    tools: frozenset[str] = frozenset()
    detected: bool = True
    helper: str = ""  # "python3 3.11.2" when the multiplexer runs, else ""
    helper_error: str = ""

    def has(self, tool: str) -> bool:
        return tool in self.tools or not self.detected

    def limits(self) -> tuple[str, ...]:
        """What this host's setup keeps darc-tui from doing, one line each (evidence text)."""
        out: list[str] = []
        relay = self.forwarding or bool(self.helper)
        if not self.helper:
            why = self.helper_error or "no python3"
            out.append(f"no multiplexer ({why}): every command takes its own SSH session")
        if not relay and not self.has("curl"):
            out.append("HTTP from this host impossible: no TCP forwarding, no python3, no curl")
        if not relay and not self.has("bash"):
            out.append("TCP checks from this host impossible: no TCP forwarding, python3 or bash")
        if not self.has("ss"):
            out.append("listening sockets unknown: no ss")
        if not self.has("iptables") and not self.has("nft"):
            out.append("firewall rules unknown: neither iptables nor nft")
        if not self.has("journalctl"):
            out.append("no journal: journalctl missing")
        return tuple(out)

    def summary(self) -> str:
        route = "direct-tcpip" if self.forwarding else "no TCP forwarding"
        helper = f"multiplexed ({self.helper})" if self.helper else "one session per command"
        missing = [t for t in TOOLS if not self.has(t)]
        return f"{route}, {helper}" + (f", missing: {' '.join(missing)}" if missing else "")


@dataclass(eq=False)
class Link:
    """One live connection, the session slots it has left, and what it offers."""

    conn: asyncssh.SSHClientConnection
    sessions_total: int
    caps: Capabilities = field(default_factory=lambda: Capabilities(forwarding=True))
    mux: Mux | None = None
    closed: bool = False
    opened_at: float = field(default_factory=time.time)
    peak_sessions: int = 0  # most session channels held at once (report and tests)
    _held: int = 0
    sessions: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = asyncio.Semaphore(self.sessions_total)

    @property
    def forwarding(self) -> bool:
        return self.caps.forwarding

    @property
    def held(self) -> int:
        """Session channels held right now (the helper's included)."""
        return self._held

    def usable(self) -> bool:
        return not self.closed and not self.conn.is_closed()

    def live_mux(self) -> Mux | None:
        mux = self.mux
        return mux if mux is not None and mux.alive else None

    async def acquire(self, timeout: float) -> bool:
        """One session slot within `timeout`; False when none freed up in time."""
        try:
            async with asyncio.timeout(timeout):
                await self.sessions.acquire()
        except TimeoutError:
            return False
        self._held += 1
        self.peak_sessions = max(self.peak_sessions, self._held)
        return True

    def release(self) -> None:
        self._held -= 1
        self.sessions.release()

    async def close(self) -> None:
        self.closed = True
        mux, self.mux = self.mux, None
        if mux is not None:
            await mux.close()
        self.conn.close()
        with contextlib.suppress(TimeoutError, asyncssh.Error, OSError):
            async with asyncio.timeout(CLOSE_GRACE):
                await self.conn.wait_closed()


async def probe_forwarding(conn: asyncssh.SSHClientConnection) -> bool:
    """False only when sshd says forwarding is administratively prohibited."""
    try:
        _, writer = await open_channel(conn, *FORWARD_PROBE, timeout=PROBE_TIMEOUT)
    except asyncssh.ChannelOpenError as exc:
        return exc.code != asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED
    except (TimeoutError, asyncssh.Error, OSError):
        return True  # not a refusal of forwarding; each later connect reports its own outcome
    writer.close()
    return True


async def detect_tools(conn: asyncssh.SSHClientConnection) -> frozenset[str] | None:
    """The TOOLS found on the host's PATH (sbin added), over one short exec session."""
    command = "sh -c " + " ".join(shlex.quote(a) for a in (_DETECT, "darc-detect", *TOOLS))
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            result = await conn.run(command, encoding=None, stdin=asyncssh.DEVNULL)
    except (TimeoutError, asyncssh.Error, OSError):
        return None
    out = result.stdout if isinstance(result.stdout, bytes) else b""
    return frozenset(out.decode("ascii", "replace").split()) & frozenset(TOOLS)


async def prepare(
    conn: asyncssh.SSHClientConnection,
    max_sessions: int,
    on_mux_lost: Callable[[str], None],
) -> Link:
    """A Link with forwarding decided, tools detected and (with python3) the helper running on
    one of the `max_sessions` slots, which it keeps for the life of the connection."""
    link = Link(conn, max_sessions)
    forwarding, tools = await asyncio.gather(probe_forwarding(conn), detect_tools(conn))
    caps = Capabilities(forwarding, tools or frozenset(), detected=tools is not None)
    if caps.has("python3") and max_sessions > 1 and await link.acquire(PROBE_TIMEOUT):
        try:
            mux = await Mux.start(conn)
        except MuxError as exc:
            link.release()
            caps = _with(caps, helper_error=str(exc))
        else:
            mux.on_lost = lambda reason: _mux_lost(link, mux, reason, on_mux_lost)
            link.mux = mux
            helper = f"python3 {mux.info.get('python', '')}".strip()
            caps = _with(caps, helper=helper)
    elif max_sessions <= 1:
        caps = _with(caps, helper_error="max_sessions 1 leaves no session for it")
    link.caps = caps
    return link


def _with(caps: Capabilities, *, helper: str = "", helper_error: str = "") -> Capabilities:
    return dataclasses.replace(caps, helper=helper, helper_error=helper_error)


def _mux_lost(link: Link, mux: Mux, reason: str, notify: Callable[[str], None]) -> None:
    """The helper ended while the connection lives on: give its slot back, fall back to exec."""
    if link.mux is mux:
        link.mux = None
        link.release()
        if reason != "closed":
            link.caps = _with(link.caps, helper="", helper_error=f"helper ended: {reason}")
            notify(reason)
