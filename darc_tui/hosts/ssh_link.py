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
        if not self.detected and not self.helper_error:
            return f"{route}, starting the helper"
        helper = f"multiplexed ({self.helper})" if self.helper else "one session per command"
        missing = [t for t in TOOLS if not self.has(t)]
        return f"{route}, {helper}" + (f", missing: {' '.join(missing)}" if missing else "")


@dataclass(eq=False)
class Link:
    """One live connection, the session slots it has left, and what it offers."""

    conn: asyncssh.SSHClientConnection
    sessions_total: int
    caps: Capabilities
    mux: Mux | None = None
    closed: bool = False
    opened_at: float = field(default_factory=time.time)
    peak_sessions: int = 0  # most session channels held at once (report and tests)
    setup: asyncio.Task[None] | None = None  # starting the helper, finding the tools
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

    async def settled(self, timeout: float) -> bool:
        """Wait (at most `timeout`) until the helper runs or is known not to; False on timeout."""
        setup = self.setup
        if setup is None or setup.done():
            return True
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(setup)
        except TimeoutError:
            return False
        except Exception:
            pass
        return True

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
        if self.setup is not None and not self.setup.done():
            self.setup.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.setup
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


async def detect_tools(link: Link) -> frozenset[str] | None:
    """The TOOLS found on the host's PATH (sbin added), over one short exec session."""
    command = "sh -c " + " ".join(shlex.quote(a) for a in (_DETECT, "darc-detect", *TOOLS))
    if not await link.acquire(PROBE_TIMEOUT):
        return None
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            result = await link.conn.run(command, encoding=None, stdin=asyncssh.DEVNULL)
    except (TimeoutError, asyncssh.Error, OSError):
        return None
    finally:
        link.release()
    out = result.stdout if isinstance(result.stdout, bytes) else b""
    return frozenset(out.decode("ascii", "replace").split()) & frozenset(TOOLS)


async def prepare(
    conn: asyncssh.SSHClientConnection,
    max_sessions: int,
    on_mux_lost: Callable[[str], None],
) -> Link:
    """A Link with forwarding decided. The helper (and the tool list) come up in the background:
    direct-tcpip needs neither, and commands wait for them (`Link.settled`)."""
    link = Link(conn, max_sessions, Capabilities(await probe_forwarding(conn), detected=False))
    link.setup = asyncio.create_task(_setup(link, on_mux_lost), name="ssh helper start")
    link.setup.add_done_callback(_retrieve)
    return link


def _retrieve(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()


async def _setup(link: Link, on_mux_lost: Callable[[str], None]) -> None:
    """Start the helper on one of the `max_sessions` slots, which it keeps for the life of the
    connection; its greeting lists the tools. Without python3, a short sh session lists them."""
    caps = link.caps
    error = "max_sessions 1 leaves no session for it"
    if link.sessions_total > 1 and await link.acquire(PROBE_TIMEOUT):
        try:
            mux = await Mux.start(link.conn, TOOLS)
        except MuxError as exc:
            link.release()
            error = str(exc)
        else:
            mux.on_lost = lambda reason: _mux_lost(link, mux, reason, on_mux_lost)
            link.mux = mux
            tools = frozenset(str(t) for t in mux.info.get("tools") or ()) & frozenset(TOOLS)
            helper = f"python3 {mux.info.get('python', '')}".strip()
            link.caps = dataclasses.replace(caps, tools=tools, detected=True, helper=helper)
            return
    found = await detect_tools(link)
    if found is not None and "python3" not in found:
        error = "no python3"
    link.caps = dataclasses.replace(
        caps, tools=found or frozenset(), detected=found is not None, helper_error=error
    )


def _mux_lost(link: Link, mux: Mux, reason: str, notify: Callable[[str], None]) -> None:
    """The helper ended while the connection lives on: give its slot back, fall back to exec."""
    if link.mux is mux:
        link.mux = None
        link.release()
        if reason != "closed":
            error = f"helper ended: {reason}"
            link.caps = dataclasses.replace(link.caps, helper="", helper_error=error)
            notify(reason)
