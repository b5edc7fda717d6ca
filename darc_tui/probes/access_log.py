"""The access log's last minute, read once (for `darc-tui check`): status × RESPONSE_FLAGS counts.

Reads the tail of the file on the Envoy host together with that host's clock, so the window is
"the last 60 s on the Envoy host" even when the jump box's clock is off.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from darc_tui.config import Config
from darc_tui.hosts.base import Host, shell_join
from darc_tui.logs.formats import access_fields, load_access_format
from darc_tui.logs.window import PROBE, WINDOW_S, AccessWindow, WindowCounts, window_evidence
from darc_tui.model import Evidence, Status, Vantage
from darc_tui.parse.access_log import AnyFormat
from darc_tui.probes.base import AnyProbe, Probe

TAIL_BYTES = 262144
_READ = 'date +%s.%N; exec tail -c "$2" -- "$1"'


class AccessLogProbe(Probe[WindowCounts]):
    """`tail -c 262144 -- ACCESS_LOG` on the Envoy host, counted over the last 60 s."""

    name = PROBE
    vantage = Vantage.ENVOY_HOST
    interval = 5.0

    def __init__(
        self,
        host: Host,
        path: str,
        *,
        config_path: str = "",
        window_s: float = WINDOW_S,
        interval: float | None = None,
        timeout: float = 5.0,
    ) -> None:
        super().__init__(f"{host.name}:{path}", interval=interval, timeout=timeout)
        self.host, self.path, self.config_path, self.window_s = host, path, config_path, window_s
        self._format: AnyFormat | None = None
        self._fields: Any = None  # access_fields(format): text → the record's JSON, {} if none
        self._format_note = ""
        self._parsed: dict[bytes, dict[str, Any]] = {}  # raw line → fields, from the last run

    @property
    def command(self) -> str:
        human = shell_join(["tail", "-c", str(TAIL_BYTES), "--", self.path])
        return human if self.host.kind == "local" else f"ssh {self.host.name} {shell_join([human])}"

    async def run(self) -> Evidence:
        started = time.perf_counter()
        try:
            if self._format is None:
                self._format, self._format_note = await load_access_format(
                    self.host, self.config_path, self.path
                )
            argv = ("sh", "-c", _READ, "darc-access", self.path, str(TAIL_BYTES))
            result = await self.host.run(argv, timeout=self.timeout)
        except Exception as exc:  # the boundary: a probe never raises into the engine
            return self.evidence(Status.ERROR, f"reading {self.path} failed: {exc}")
        latency = (time.perf_counter() - started) * 1000
        clock, _, body = result.stdout.partition(b"\n")
        if not result.ok:
            return self.evidence(
                Status.ERROR, f"cannot read {self.path}: {result.why()}", latency_ms=latency
            )
        return self.judge(body, _float(clock), latency)

    def judge(self, body: bytes, now: float | None, latency_ms: float | None = None) -> Evidence:
        lines = body.split(b"\n")
        if len(body) >= TAIL_BYTES and lines:
            lines = lines[1:]  # tail -c starts mid-line
        window = AccessWindow(self.window_s)
        fmt = self._format
        assert fmt is not None
        if self._fields is None:
            self._fields = access_fields(fmt)  # the followers' fast parser: the same fields
        fields_of = self._fields
        # the tail overlaps the previous one almost entirely: parse only the lines not seen then
        seen, parsed = self._parsed, {}
        for raw in lines:
            if not raw.strip():
                continue
            fields = seen.get(raw)
            if fields is None:
                fields = fields_of(raw.decode("utf-8", "replace"))
            parsed[raw] = fields
            window.add(fields, now)
        self._parsed = parsed
        counts = window.counts(now if now is not None else time.time())
        ev = window_evidence(counts, self.target, command=self.command)
        facts = {**ev.facts, "format": self._format_note}
        return self.evidence(
            ev.status, ev.detail, facts=facts, data=counts, latency_ms=latency_ms, via="tail -c"
        )


def _float(text: bytes) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        return None


def build(config: Config, hosts: Mapping[str, Host]) -> list[AnyProbe]:
    host = hosts.get(config.envoy.host)
    if host is None or not config.envoy.access_log:
        return []
    return [
        AccessLogProbe(
            host,
            config.envoy.access_log,
            config_path=config.envoy.config_path,
            interval=max(config.probes.interval, AccessLogProbe.interval),
            timeout=max(config.probes.timeout, 5.0),
        )
    ]
