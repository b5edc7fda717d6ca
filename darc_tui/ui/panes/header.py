"""Two header lines: where we look (site → Envoy host → backend, verdict) and how fresh it is."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

from darc_tui.outcome import Status
from darc_tui.ui.repaint import show
from darc_tui.ui.status import VERDICT_STATUS, VERDICT_WORD, WAITING, duration, status_content

if TYPE_CHECKING:  # the header is in the first frame, drawn before these modules load
    from darc_tui.config import Config
    from darc_tui.model import HostState, Snapshot

HEADER_LIMITS = 2  # missing tools named per host in the header (more: "+N"), to fit 80 columns
STALE_AFTER = 10.0  # seconds without new evidence before the age turns into a warning
CALM_AGE_STEP = 3.0  # a calm site publishes every 3 s: its age is shown in steps of that
# the age ticks on its own only when no snapshot redrew it for a while (stalled, paused)
TICK_AFTER = 1.5


class HeaderBar(Static):
    DEFAULT_CSS = """
    HeaderBar {
        dock: top; height: 2; background: $panel; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def __init__(self, config: Config, clock: Callable[[], float], *, id: str) -> None:
        super().__init__(id=id, markup=False)
        self.config = config
        self.clock = clock
        self.snapshot: Snapshot | None = None
        self.paused = False
        self.waiting = 0  # snapshots that arrived while paused
        # replaces "● LIVE" (a replay says where it is in the recording)
        self.mode: Callable[[], Content] | None = None
        self.drawn_at = 0.0  # time.monotonic() of the last redraw

    def on_mount(self) -> None:
        self.redraw()
        self.set_interval(1.0, self._tick)  # the age keeps counting between snapshots

    def _tick(self) -> None:
        if time.monotonic() - self.drawn_at >= TICK_AFTER:  # no snapshot drew it just now
            self.redraw()

    def show(self, snapshot: Snapshot | None, *, paused: bool, waiting: int = 0) -> None:
        self.snapshot, self.paused, self.waiting = snapshot, paused, waiting
        self.redraw()

    def redraw(self) -> None:
        self.drawn_at = time.monotonic()
        show(self, Content("\n").join([self._where(), self._freshness()]))

    def _where(self) -> Content:
        cfg = self.config
        backend = _without_userinfo(cfg.backend.url) or "backend ?"
        path = Content.assemble(
            (cfg.site.name, "bold"), " ▸ Envoy on ", (cfg.envoy.host, "bold"),
            f" ({cfg.envoy.cluster}) ▸ ", (backend, "bold"),
        )  # fmt: skip
        snap = self.snapshot
        if snap is None or not snap.evidence:
            return status_content(Status.UNKNOWN, WAITING) + Content("  ") + path
        n = len(snap.findings)
        verdict = VERDICT_WORD[snap.verdict] + (f" · {n} cause{'s' * (n != 1)}" if n else "")
        return status_content(VERDICT_STATUS[snap.verdict], verdict) + Content("  ") + path

    def _freshness(self) -> Content:
        parts = [self._live(), self._age()]
        deploy = self._deploy()
        if deploy is not None:
            parts.append(deploy)
        if self.snapshot is not None:
            # a host that is down matters more than the round counter: it goes first
            hosts = sorted(self.snapshot.hosts, key=lambda h: h.connected)
            parts.extend(_host(h) for h in hosts)
            if self.snapshot.evidence:
                parts.append(Content(f"round {self.snapshot.rounds}"))
        return Content("  ").join(parts)

    def _live(self) -> Content:
        if self.mode is not None:
            return self.mode()
        if self.paused:
            waiting = f" (collecting; {self.waiting} update{'s' * (self.waiting != 1)} waiting)"
            return Content.styled("⏸ PAUSED", "bold reverse $warning") + Content(waiting)
        live = Content.styled("● LIVE", "bold $success")
        if self.snapshot is not None and self.snapshot.calm:
            return live + Content.styled(" calm", "$text-muted")  # most probes wait longer
        return live

    def _deploy(self) -> Content | None:
        """ "deploy 2 min ago: envoy restarted, config changed" (the latest deploy)."""
        snap = self.snapshot
        if snap is None or not snap.deploys:
            return None
        from darc_tui.deploy.compare import deploys

        latest = deploys(snap.deploys)[-1]
        kinds = ", ".join(dict.fromkeys(m.kind.words for m in latest))
        text = f"▲ deploy {duration(max(0.0, self.clock() - latest[0].at))} ago: {kinds}"
        return Content.styled(text, "bold $accent")

    def _age(self) -> Content:
        snap = self.snapshot
        if snap is None or not snap.evidence:
            return Content("no evidence yet")
        newest = max(ev.observed_at for ev in snap.evidence)
        age = self.clock() - newest
        if snap.calm and age < STALE_AFTER:  # snapshots come every few seconds: no tick between
            age = age // CALM_AGE_STEP * CALM_AGE_STEP
        text = f"newest evidence {duration(age)} ago"
        if age > STALE_AFTER:
            return Content.styled(f"▲ stale: {text}", "bold $warning")
        return Content(text)


# The tools a limit line of a minimal remote host names (hosts/ssh_link.py SshSetup.limits).
_MISSING = re.compile(
    r"\b(?:no|neither|nor|or) (TCP forwarding|python3|curl|bash|ss|iptables|nft)\b"
)


def limits_words(limits: tuple[str, ...], most: int = 0) -> str:
    """ "no curl/bash/ss": what a host lacks (the first `most` and "+N", if `most`), short enough
    for the header; `check --json` and the host's probes carry the full sentences. A line naming
    no known tool keeps its first words."""
    missing: list[str] = []
    for line in limits:
        found = _MISSING.findall(line)
        if "journalctl missing" in line:
            found.append("journalctl")
        if not found:
            found.append(line.split(":", 1)[0].split(" (", 1)[0].removeprefix("no ").strip())
        missing.extend(f.removeprefix("TCP ") for f in found)
    unique = list(dict.fromkeys(missing))
    if not unique:
        return ""
    more = f" +{len(unique) - most}" if 0 < most < len(unique) else ""
    return "no " + "/".join(unique[:most] if more else unique) + more


def _host(host: HostState) -> Content:
    if host.connected:
        up = Content(f"{host.name} ") + status_content(Status.OK, "up")
        lacking = limits_words(host.limits, most=HEADER_LIMITS)
        return up + Content.styled(f" (limited: {lacking})", "$warning") if lacking else up
    detail = host.detail
    # SshHost's detail already says "down: <why>"; "connecting" and others do not
    word = detail if detail.startswith("down") else f"down: {detail}" if detail else "down"
    return Content(f"{host.name} ") + status_content(Status.FAIL, word)


def _without_userinfo(url: str) -> str:
    """`http://user:pw@host:1/x` → `host:1/x`: a password in the URL never reaches the screen."""
    netloc, slash, path = url.split("://", 1)[-1].partition("/")
    return netloc.rpartition("@")[2] + slash + path
