"""Pane 3: ranked causes — summary, evidence, what was ruled out, the next command."""

from __future__ import annotations

import math
import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widget import Widget
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from darc_tui.model import Finding, Snapshot, Status, Verdict
from darc_tui.ui.panes.base import Pane
from darc_tui.ui.screens.details import DetailView
from darc_tui.ui.status import VERDICT_STATUS, VERDICT_WORD, WAITING, status_content

QUIET_AFTER = 60.0  # seconds a cause must have been gone before its return is toasted again


class CauseList(OptionList):
    """The findings; enter (select → the pane opens its details) shows as Details in the footer."""

    BINDINGS = [Binding("enter", "select", "Details", key_display="⏎", id="details_cause")]


class CausesPane(Pane):
    NUMBER = 3
    TITLE = "Causes"
    DEFAULT_CSS = """
    CausesPane OptionList {
        height: 1fr; border: none; padding: 0; background: transparent;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    CausesPane OptionList:focus { border: none; }
    CausesPane OptionList > .option-list--option { padding: 0; }
    """

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self._shown: tuple[object, ...] | None = None
        # cause id → when it was last on screen; None until the first snapshot (no toast at start)
        self._last_seen: dict[str, float] | None = None

    def compose(self) -> ComposeResult:
        yield CauseList(Option(WAITING, disabled=True), id="causes-list", markup=False)

    @property
    def options(self) -> OptionList:
        return self.query_one("#causes-list", OptionList)

    def focus_target(self) -> Widget:
        return self.options

    def show_snapshot(self, snapshot: Snapshot | None) -> None:
        if snapshot is not None and snapshot.evidence:
            self._announce(snapshot.findings)
        super().show_snapshot(snapshot)

    def render_snapshot(self, snapshot: Snapshot | None) -> None:
        signature = _signature(snapshot)
        if signature == self._shown:
            return
        self._shown = signature
        options = self.options
        keep = options.highlighted_option.id if options.highlighted_option else None
        options.set_options(_options(snapshot))
        ids = [o.id for o in options.options]
        if keep in ids:
            options.highlighted = ids.index(keep)
        elif snapshot is not None and snapshot.findings:
            options.highlighted = 0
        n = len(snapshot.findings) if snapshot else 0
        self.border_title = f"{self.NUMBER} {self.TITLE}" + (f" ({n})" if n else "")

    def _announce(self, findings: tuple[Finding, ...]) -> None:
        now = self.darc.clock()
        if self._last_seen is not None:
            for f in findings:
                # a cause that flaps (gone for a round, back the next) is not news again
                if now - self._last_seen.get(f.cause, -math.inf) > QUIET_AFTER:
                    # short on purpose: the Causes pane has the summary; a toast must not hide it
                    self.notify(
                        f"{f.title} [{f.cause}]",
                        title="new cause",
                        markup=False,
                        timeout=6,
                        severity="error" if f.severity is Verdict.DOWN else "warning",
                    )
        else:
            self._last_seen = {}
        self._last_seen.update((f.cause, now) for f in findings)

    def selected(self) -> Finding | None:
        if self.snapshot is None or not self.snapshot.findings:
            return None
        option = self.options.highlighted_option
        by_id: dict[str, Finding] = {f.cause: f for f in self.snapshot.findings}
        return by_id.get(option.id if option and option.id else "", self.snapshot.findings[0])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.darc.action_details()

    def details(self) -> DetailView | None:
        finding = self.selected()
        return None if finding is None else finding_view(finding, self.darc.clock())

    def copy_text(self) -> str | None:
        finding = self.selected()
        return finding.next_steps[0] if finding and finding.next_steps else None


def finding_view(f: Finding, now: float) -> DetailView:
    rows: list[tuple[str, str | Content]] = [
        ("cause", f"{f.cause} — {f.title}"),
        *((("explained by", ", ".join(f.explained_by)),) if f.explained_by else ()),
        ("severity", status_content(VERDICT_STATUS[f.severity], VERDICT_WORD[f.severity])),
        ("confidence", f"{f.confidence:.0%}"),
        ("summary", f.summary),
    ]
    for ref in f.evidence:
        stamp = time.strftime("%H:%M:%SZ", time.gmtime(ref.observed_at))  # UTC, like Envoy's logs
        age = f"{max(0, now - ref.observed_at):.0f}s ago"
        rows.append(("evidence", f"{ref.probe} @ {ref.vantage.value} {stamp} ({age}): {ref.fact}"))
    rows.extend(("ruled out", line) for line in f.ruled_out)
    rows.extend(("next", f"$ {step}") for step in f.next_steps)
    return DetailView(
        f"Cause: {f.title}", tuple(rows), command=f.next_steps[0] if f.next_steps else ""
    )


def _signature(snapshot: Snapshot | None) -> tuple[object, ...] | None:
    """What the list shows, minus evidence timestamps (they move every round)."""
    if snapshot is None:
        return None
    if not snapshot.findings:
        failing = sum(ev.status in (Status.FAIL, Status.ERROR) for ev in snapshot.evidence)
        return ("none", len(snapshot.evidence), failing)
    return tuple(
        (
            f.cause,
            f.title,
            round(f.confidence, 2),
            f.summary,
            f.severity,
            f.explained_by,
            f.ruled_out,
            f.next_steps,
            tuple((r.probe, r.vantage, r.fact) for r in f.evidence),
        )
        for f in snapshot.findings
    )


def _options(snapshot: Snapshot | None) -> list[Option]:
    if snapshot is None or not snapshot.evidence:
        return [Option(WAITING, disabled=True)]
    if not snapshot.findings:
        failing = sum(ev.status in (Status.FAIL, Status.ERROR) for ev in snapshot.evidence)
        if failing:
            text = f"no cause identified — {failing} failing check(s), see 6 Probes"
            return [Option(status_content(Status.WARN, text), disabled=True)]
        text = f"no cause found — {len(snapshot.evidence)} checks agree the path is healthy"
        return [Option(status_content(Status.OK, text), disabled=True)]
    return [Option(_prompt(f), id=f.cause) for f in snapshot.findings]


def _prompt(f: Finding) -> Content:
    if f.explained_by:
        return _consequence_prompt(f)
    status = VERDICT_STATUS[f.severity]
    head = status_content(status, VERDICT_WORD[f.severity]) + Content.assemble(
        "  ", (f.title, "bold"), f"  {f.confidence:.0%}  ", (f"({f.cause})", "$text-muted")
    )
    lines = [head, Content(f"  {f.summary}")]
    if f.evidence:
        facts = " · ".join(f"{r.probe} @ {r.vantage.value}: {r.fact}" for r in f.evidence)
        lines.append(Content.assemble(("  evidence: ", "$text-muted"), facts))
    if f.ruled_out:
        lines.append(Content.assemble(("  ruled out: ", "$text-muted"), " · ".join(f.ruled_out)))
    if f.next_steps:
        lines.append(Content.assemble(("  next ▶ ", "bold $accent"), f.next_steps[0]))
    return Content("\n").join(lines)


def _consequence_prompt(f: Finding) -> Content:
    """A finding its cause explains: indented under that cause, not shown as a rival."""
    by = ", ".join(f.explained_by)
    head = Content.assemble(
        "  ↳ ", (f.title, "bold"), f"  {f.confidence:.0%}  ", (f"({f.cause} ← {by})", "$text-muted")
    )
    return Content("\n").join([head, Content(f"      {f.summary}")])
