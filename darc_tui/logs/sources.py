"""The log sources of a configuration: Envoy's access log (with its sliding window), its error
log and its journal, each a LogSource the Engine runs."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence

from darc_tui.config import Config
from darc_tui.hosts.base import Host, shell_join
from darc_tui.logs.common import FOLLOWER_BACKOFF
from darc_tui.logs.file_follower import FileFollower
from darc_tui.logs.flood import FloodGate
from darc_tui.logs.formats import access_fields, count_fields, envoy_log_fields, load_access_format
from darc_tui.logs.journal_follower import JournalFollower
from darc_tui.logs.positions import Positions
from darc_tui.logs.window import ENTRY_FIELDS, WINDOW_S, AccessWindow, window_evidence
from darc_tui.model import Evidence, LogRecord
from darc_tui.retry import Backoff
from darc_tui.sinks import LogSink

SOURCES = ("access", "error", "journal")
EMIT_EVERY = 2.0  # seconds between access-window evidence updates


class AccessLogSource:
    """Follows the access log, parsing it in the format envoy.yaml gives it, and reports the
    last minute's status × flag counts as `envoy.access_log` evidence every few seconds."""

    name = "access"

    def __init__(
        self,
        host: Host,
        path: str,
        *,
        config_path: str = "",
        positions: Positions | None = None,
        window_s: float = WINDOW_S,
        emit_every: float = EMIT_EVERY,
        poll_interval: float = 2.0,
        backoff: Backoff = FOLLOWER_BACKOFF,
        initial_bytes: int = 64 * 1024,
        gate: FloodGate | None = None,
    ) -> None:
        self.host, self.path, self.config_path = host, path, config_path
        self.follower = FileFollower(
            host,
            path,
            source="access",
            positions=positions,
            poll_interval=poll_interval,
            backoff=backoff,
            initial_bytes=initial_bytes,
            gate=gate,
        )
        self.window = AccessWindow(window_s)
        self.emit_every = emit_every
        self.format_note = ""
        human = shell_join(["tail", "-n", "200", "--", path])
        self.command = human if host.kind == "local" else f"ssh {host.name} {shell_join([human])}"

    async def follow(self, sink: LogSink) -> None:
        await self._load_format()
        counting = _CountingSink(sink, self.window)
        self.follower.count = self.window.add_many  # the lines a flood does not show
        emitter = asyncio.create_task(self._emit(sink))
        try:
            await self.follower.follow(counting)
        finally:
            emitter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await emitter

    async def follow_records(self, sink: LogSink) -> None:
        """The records alone, without the window and its evidence (`darc-tui logs` prints only
        the records and the follower's state: counting them too was a fifth of its CPU)."""
        await self._load_format()
        await self.follower.follow(sink)

    async def _load_format(self) -> None:
        fmt, self.format_note = await load_access_format(self.host, self.config_path, self.path)
        self.follower.parse = access_fields(fmt)
        self.follower.count_parse = count_fields(fmt, ENTRY_FIELDS)

    def evidence(self, now: float | None = None) -> Evidence:
        counts = self.window.counts(now)
        return window_evidence(counts, f"{self.host.name}:{self.path}", command=self.command)

    async def _emit(self, sink: LogSink) -> None:
        last: tuple[object, ...] | None = None
        last_at = 0.0
        while True:
            ev = self.evidence()
            current = (ev.status, ev.detail)
            # a changed outcome goes out at once; an unchanged one refreshes every 15 s
            if current != last or time.monotonic() - last_at >= 15.0:
                sink.evidence(ev)
                last, last_at = current, time.monotonic()
            await asyncio.sleep(self.emit_every)


# What the Engine runs (its LogSource protocol); spelled out so darc_tui.logs never imports the
# engine, and the diagnosis rules can import the window types without a cycle.
Source = AccessLogSource | FileFollower | JournalFollower


class _CountingSink:
    """Passes everything through, counting access records into the window on the way."""

    def __init__(self, sink: LogSink, window: AccessWindow) -> None:
        self.sink, self.window = sink, window

    def records(self, records: Sequence[LogRecord]) -> None:
        self.window.add_many([(rec.fields, rec.observed_at) for rec in records if not rec.gap])
        self.sink.records(records)

    def evidence(self, ev: Evidence) -> None:
        self.sink.evidence(ev)


def build_source(
    config: Config,
    hosts: Mapping[str, Host],
    which: str,
    *,
    positions: Positions | None = None,
    since: str = "",
    gated: bool = False,
) -> Source | None:
    """One of "access", "error", "journal" for the configured Envoy host; None when not set up.
    `gated`: a flood of a file shows its newest lines (darc_tui.logs.flood: the console's)."""
    envoy = config.envoy
    host = hosts.get(envoy.host)
    if host is None:
        return None
    positions = positions or Positions()
    if which == "access" and envoy.access_log:
        return AccessLogSource(
            host,
            envoy.access_log,
            config_path=envoy.config_path,
            positions=positions,
            gate=FloodGate() if gated else None,
        )
    if which == "error" and envoy.error_log:
        return FileFollower(
            host,
            envoy.error_log,
            source="error",
            parse=envoy_log_fields,
            positions=positions,
            gate=FloodGate() if gated else None,
        )
    if which == "journal" and envoy.unit:
        sudo = bool(envoy.host in config.hosts and config.hosts[envoy.host].sudo)
        return JournalFollower(host, envoy.unit, positions=positions, since=since, sudo=sudo)
    return None


def build_sources(
    config: Config,
    hosts: Mapping[str, Host],
    *,
    positions: Positions | None = None,
    gated: bool = True,
) -> list[Source]:
    """Every log source the configuration names, sharing one position store; the engine's,
    so a flood shows its newest lines by default."""
    positions = positions or Positions()
    found = (
        build_source(config, hosts, which, positions=positions, gated=gated) for which in SOURCES
    )
    return [source for source in found if source is not None]
