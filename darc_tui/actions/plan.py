"""The data of one reload attempt: the plan shown before confirming, and the result after."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum

from darc_tui.actions.target import Method
from darc_tui.actions.validate import Validation
from darc_tui.actions.wrapper_status import WrapperStatus
from darc_tui.hosts.base import shell_join
from darc_tui.parse.envoy_summary import EnvoySummary
from darc_tui.parse.server_info import ServerInfo


class Outcome(StrEnum):
    OK = "ok"  # applied and verified
    REFUSED = "refused"  # not applied (read-only, invalid config, impossible method, not LIVE)
    FAILED = "failed"  # applied, and it did not work (command failed, new epoch exited)
    UNVERIFIED = "unverified"  # applied, but the checks did not all pass before the deadline
    CANCELLED = "cancelled"  # the operator said no


@dataclass(frozen=True, slots=True)
class ReloadPlan:
    """Everything prepare_reload found out; `refusal` is None when the reload may go ahead."""

    host: str
    method: Method
    config_path: str
    config_sha256: str
    validation: Validation | None
    diff: tuple[str, ...]
    action: tuple[str, ...]  # the argv apply will run on the Envoy host
    refusal: str | None
    before: ServerInfo | None = None  # the running Envoy as it was
    wrapper: WrapperStatus | None = None  # hot-restart: the wrapper as it was
    disk: EnvoySummary | None = None  # envoy.yaml summarised, to compare after the reload
    validate_ms: float = 0.0
    prepared_at: float = field(default_factory=time.time)

    @property
    def ready(self) -> bool:
        return self.refusal is None

    @property
    def validation_ok(self) -> bool:
        return self.validation is not None and self.validation.ok

    @property
    def action_text(self) -> str:
        return (
            shell_join(self.action)
            if self.action
            else "(no command: refused before one was chosen)"
        )

    def lines(self) -> list[str]:
        """The plan as the operator reads it before saying yes."""
        out = [f"Envoy host:  {self.host}", f"Method:      {self.method} — {self.action_text}"]
        if self.wrapper is not None:
            out.append(
                f"Running:     epoch {self.wrapper.epoch} (Envoy pid {self.wrapper.pid}) under "
                f"envoy-wrapper pid {self.wrapper.wrapper_pid}"
            )
        elif self.before is not None and not self.before.error:
            out.append(f"Running:     {self.before.state} epoch {self.before.restart_epoch}")
        sha = self.config_sha256[:12] or ("not read" if self.refusal else "unreadable")
        out.append(f"Config:      {self.config_path} (sha256 {sha})")
        if self.validation is None:
            out.append("Validation:  not run")
        else:
            verdict = "OK" if self.validation.ok else "FAILED"
            out.append(f"Validation:  {verdict}: {self.validation.summary}")
        out.append(
            "Changes:" if self.diff else "Changes:     none found in clusters, listeners, admin"
        )
        out += [f"  {line}" for line in self.diff]
        if self.refusal:
            out.append(f"Refused:     {self.refusal}")
        return out


@dataclass(frozen=True, slots=True)
class ReloadResult:
    plan: ReloadPlan
    outcome: Outcome
    message: str  # one line with the concrete values
    details: tuple[str, ...] = ()  # what was checked, or the failed epoch's stderr tail
    epoch_after: int | None = None
    apply_ms: float = 0.0  # running the action (kill / systemctl / command)
    verify_ms: float = 0.0  # from the action's end until every check passed (or the deadline)
    finished_at: float = field(default_factory=time.time)

    @property
    def reload_ms(self) -> float:
        """From sending the reload to verified (or given up)."""
        return self.apply_ms + self.verify_ms

    @property
    def total_ms(self) -> float:
        return self.plan.validate_ms + self.reload_ms

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    def lines(self) -> list[str]:
        timing = f" ({self.reload_ms / 1000:.2f}s)" if self.reload_ms else ""
        return [f"{self.outcome.value.upper()}: {self.message}{timing}", *self.details]
