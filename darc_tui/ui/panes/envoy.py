"""Pane 1: is Envoy running, since when, on which ports, with a valid and current config."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Static

from darc_tui.ids import ProbeId
from darc_tui.model import Evidence, Facts, Snapshot, Status
from darc_tui.ui.panes.base import Pane
from darc_tui.ui.repaint import show
from darc_tui.ui.screens.details import DetailView
from darc_tui.ui.status import WAITING, duration, status_content

# (row label, probes that can fill it, first present wins)
ROWS = (
    ("process", (ProbeId.ENVOY_PROCESS,)),
    ("server", (ProbeId.ENVOY_SERVER_INFO, ProbeId.ENVOY_READY)),
    ("ports", (ProbeId.ENVOY_PORTS,)),
    ("config", (ProbeId.ENVOY_VALIDATE, ProbeId.ENVOY_CONFIG_FILE)),
)
DRIFT = ProbeId.ENVOY_DRIFT  # shares the config row: valid and current are one question at 3 a.m.
PROBES = (*(p for _, probes in ROWS for p in probes), DRIFT)
# a failing config row leads with what is wrong: the detail starts with a path the pane cuts
FAILED_WORD = {ProbeId.ENVOY_VALIDATE: "INVALID", ProbeId.ENVOY_DRIFT: "DRIFT"}


class EnvoyPane(Pane, can_focus=True):
    NUMBER = 1
    TITLE = "Envoy"
    DEFAULT_CSS = """
    EnvoyPane > Static { text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def compose(self) -> ComposeResult:
        yield Static(WAITING, id="envoy-body", markup=False)

    def render_snapshot(self, snapshot: Snapshot | None) -> None:
        body = self.query_one("#envoy-body", Static)
        if snapshot is None or not self.evidence(*PROBES):
            show(body, WAITING)
            return
        lines = [self._row(label, probes, snapshot.taken_at) for label, probes in ROWS]
        show(body, Content("\n").join(lines))

    def _row(self, label: str, probes: tuple[ProbeId, ...], now: float) -> Content:
        found = self.evidence(*probes)
        head = Content.styled(f"{label:<8}", "$text-muted")
        if not found:
            return head + status_content(Status.UNKNOWN)
        row = head + _state(found[0], now)
        drift = self.evidence(DRIFT)
        if label == "config" and drift:
            row += Content(" · ") + _state(drift[0], now)
        return row

    def details(self) -> DetailView | None:
        found = self.evidence(*PROBES)
        if not found:
            return None
        rows: list[tuple[str, str | Content]] = []
        for ev in found:
            rows.append((ev.probe, status_content(ev.status) + Content(f"  {ev.detail}")))
            rows.extend((f"  {k}", str(v)) for k, v in ev.facts.items())
            if ev.command:
                rows.append(("  command", ev.command))
        return DetailView("Envoy", tuple(rows), command=found[0].command)

    def copy_text(self) -> str | None:
        found = self.evidence(*PROBES)
        return next(
            (ev.command for ev in found if ev.status is not Status.OK and ev.command),
            found[0].command if found else None,
        )


def _state(ev: Evidence, now: float) -> Content:
    """`✓ running, pid 4242` when fine; `✗ FAIL no envoy process` otherwise (word + detail)."""
    word = _word(ev)
    if ev.status is Status.OK and word is None:
        return status_content(ev.status, _summary(ev, now))
    return status_content(ev.status, word) + Content(f" {_summary(ev, now)}")


def _word(ev: Evidence) -> str | None:
    """A short state word where the probe gives one (LIVE, valid, …); None = the status word."""
    if ev.probe in (ProbeId.ENVOY_SERVER_INFO, ProbeId.ENVOY_READY) and ev.facts.get("state"):
        return str(ev.facts["state"])
    if ev.status in (Status.FAIL, Status.WARN):
        return FAILED_WORD.get(ev.probe)
    return None


def _summary(ev: Evidence, now: float) -> str:
    """A short line for a narrow pane: the probe's facts when fine, its full detail when not."""
    if ev.status is not Status.OK:
        return ev.detail
    short = _SHORT.get(ev.probe)
    return (short(ev.facts) if short else None) or _server(ev, now) or ev.detail


def _process(facts: Facts) -> str | None:
    if "pid" not in facts:
        return None
    wrapper = f", wrapper {facts['wrapper_pid']}" if facts.get("wrapper_pid") else ""
    return f"running, pid {facts['pid']}{wrapper}"


def _ports(facts: Facts) -> str | None:
    roles = [k.removesuffix("_port") for k in facts if k.endswith("_port")]
    bound = [f"{role} :{facts[role + '_port']}" for role in roles if facts.get(role + "_bound")]
    return " ".join(bound) or None  # the ✓ already says "bound as expected"


_SHORT: dict[ProbeId, Callable[[Facts], str | None]] = {
    ProbeId.ENVOY_PROCESS: _process,
    ProbeId.ENVOY_PORTS: _ports,
    ProbeId.ENVOY_VALIDATE: lambda facts: "valid" if facts.get("valid") else None,
    ProbeId.ENVOY_DRIFT: lambda facts: "no drift",
}


def _server(ev: Evidence, now: float) -> str | None:
    if ev.probe == ProbeId.ENVOY_SERVER_INFO:
        parts = []
        uptime = _seconds(ev.facts.get("uptime_s", ev.facts.get("uptime")))
        if uptime is not None:
            # as of this snapshot: a calm site reads server_info every 20 s, and "up 7s" on a
            # 25-second-old reading looked like a restart
            parts.append(f"up {duration(uptime + max(0.0, now - ev.observed_at))}")
        if "restart_epoch" in ev.facts:
            parts.append(f"epoch {ev.facts['restart_epoch']}")
        if ev.facts.get("version"):
            parts.append(f"v{_short_version(str(ev.facts['version']))}")
        if parts:
            return " · ".join(parts)
    return None


def _seconds(value: object) -> float | None:
    """Envoy reports uptime as seconds (a number, or "123s" in JSON durations)."""
    try:
        return float(str(value).rstrip("s"))
    except ValueError:
        return None


def _short_version(version: str) -> str:
    """`<hash>/1.40.0/Clean/RELEASE/BoringSSL` → `1.40.0`."""
    parts = version.split("/")
    return parts[1] if len(parts) > 2 else version
