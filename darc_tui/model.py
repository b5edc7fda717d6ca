"""The typed, immutable data that flows between layers: evidence, findings, snapshots."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from darc_tui.errors import ErrorKind
from darc_tui.ids import CauseId, ProbeId
from darc_tui.outcome import Status as Status  # a leaf: the console's first frame draws
from darc_tui.outcome import Verdict as Verdict  # statuses before this module loads
from darc_tui.sanitize import clean, clean_mapping

# one value of Evidence.facts: what JSON can hold (mostly scalars; a few facts list endpoints)
Fact = str | int | float | bool | None | Sequence["Fact"] | Mapping[str, "Fact"]
Facts = Mapping[str, Fact]


class Vantage(StrEnum):
    """Where an observation was made from."""

    JUMP = "jump-box"  # the machine darc-tui runs on
    ENVOY_HOST = "envoy-host"  # e.g. curl/nc run on the Envoy host (SSH direct-tcpip or command)
    BACKEND_HOST = "backend-host"
    THROUGH_ENVOY = "through-envoy"  # the public URL path, end to end


@dataclass(frozen=True, slots=True)
class Evidence:
    """One timestamped observation made by one probe against one target.

    `data` carries the probe's typed payload (a frozen dataclass from `darc_tui.parse` or the probe
    module); rules match on its type. `facts` is a flat, JSON-friendly summary of the same
    observation for `check --json`, reports and the UI (strings, numbers, bools only).
    """

    probe: ProbeId  # stable probe name, e.g. ProbeId.BACKEND_HEALTH
    target: str  # what was probed, e.g. "10.0.0.100:18443"
    vantage: Vantage
    status: Status
    detail: str  # one human line with concrete values
    command: str = ""  # the equivalent shell command an engineer would type
    observed_at: float = field(default_factory=time.time)
    latency_ms: float | None = None
    via: str = ""  # how it was measured, e.g. "ssh direct-tcpip", "remote curl", "psutil"
    facts: Facts = field(default_factory=dict)
    # the probe's typed payload (a frozen dataclass); readers narrow it with isinstance
    data: object = None
    # what kind of failure the probe met (None: it met none); rules read this, never `detail`
    error_kind: ErrorKind | None = None

    def __post_init__(self) -> None:
        # the boundary for outside text: whatever a host sent, no output can be driven by it
        _clean_fields(self, "target", "detail", "command", "via")
        _clean_facts(self, "facts")

    @property
    def key(self) -> tuple[ProbeId, str]:
        return (self.probe, self.target)

    def same_outcome(self, other: Evidence | None) -> bool:
        """True when nothing a human would notice changed (status and detail)."""
        return other is not None and other.status == self.status and other.detail == self.detail

    def to_json(self) -> dict[str, Fact]:
        return {
            "name": self.probe,
            "target": self.target,
            "vantage": self.vantage.value,
            "status": self.status.value,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 2),
            "detail": self.detail,
            "command": self.command,
            "via": self.via,
            "observed_at": self.observed_at,
            "facts": self.facts,
            "error_kind": None if self.error_kind is None else self.error_kind.value,
        }


@dataclass(frozen=True, slots=True)
class EvidenceRef:
    """A piece of evidence as cited by a finding: which probe saw what, from where, when."""

    probe: ProbeId
    target: str
    vantage: Vantage
    observed_at: float
    fact: str

    def __post_init__(self) -> None:
        _clean_fields(self, "target", "fact")

    @classmethod
    def of(cls, ev: Evidence, fact: str | None = None) -> EvidenceRef:
        return cls(ev.probe, ev.target, ev.vantage, ev.observed_at, fact or ev.detail)

    def to_json(self) -> dict[str, Any]:
        return {
            "probe": self.probe,
            "target": self.target,
            "vantage": self.vantage.value,
            "observed_at": self.observed_at,
            "fact": self.fact,
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """A named root cause with its evidence, what was ruled out, and what to run next."""

    cause: CauseId  # stable id from the catalog, e.g. CauseId.BACKEND_DOWN
    title: str
    confidence: float  # 0..1
    summary: str  # one line with concrete values
    evidence: tuple[EvidenceRef, ...] = ()
    ruled_out: tuple[str, ...] = ()
    next_steps: tuple[str, ...] = ()
    severity: Verdict = Verdict.DOWN
    # the listed findings that explain this one (panic mode ← healthcheck.failing); () = a root
    explained_by: tuple[CauseId, ...] = ()

    def __post_init__(self) -> None:
        _clean_fields(self, "title", "summary")
        for name in ("ruled_out", "next_steps"):
            lines = getattr(self, name)
            cleaned = tuple(clean(line) for line in lines)
            if any(a is not b for a, b in zip(cleaned, lines, strict=True)):
                object.__setattr__(self, name, cleaned)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.cause,
            "title": self.title,
            "confidence": round(self.confidence, 2),
            "summary": self.summary,
            "severity": self.severity.value,
            "evidence": [e.to_json() for e in self.evidence],
            "ruled_out": list(self.ruled_out),
            "next_steps": list(self.next_steps),
            **({"explained_by": [str(c) for c in self.explained_by]} if self.explained_by else {}),
        }


@dataclass(frozen=True, slots=True)
class HostState:
    """Connection state of one configured host, as shown in the header."""

    name: str
    kind: str  # "local" | "ssh"
    connected: bool
    detail: str = ""  # e.g. "connecting", "retry in 4s: Connection refused"
    since: float = field(default_factory=time.time)
    # what this host's setup keeps darc-tui from seeing (no ss, no python3 and no forwarding…)
    limits: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _clean_fields(self, "detail")

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "kind": self.kind,
            "connected": self.connected,
            "detail": self.detail,
            "limits": list(self.limits),
        }


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One line from a followed log source (access, error, journal)."""

    source: str  # "access" | "error" | "journal"
    line: str  # display text (decoded with replacement, cut to a display limit)
    observed_at: float
    fields: dict[str, Any] = field(default_factory=dict)  # parsed fields (status, flags, ...)
    size: int = 0  # real byte length of the line, even when `line` was cut
    gap: bool = False  # a marker: data was really lost before this point

    def __post_init__(self) -> None:
        _clean_fields(self, "line")
        _clean_facts(self, "fields")

    @property
    def broken(self) -> bool:
        """The line says something broke: a 5xx, an error-level line or journal priority ≤ 3
        (the console's ✗ marker; what ends a calm cadence). 4xx and warnings do not."""
        return says_broken(self.fields)


def says_broken(fields: Mapping[str, Any]) -> bool:
    """LogRecord.broken of a line's parsed fields (also for lines no record is made of)."""
    status = fields.get("status")
    if isinstance(status, int) and status >= 500:
        return True
    priority = fields.get("priority")
    return str(fields.get("level", "")).lower() in _ERROR_LEVELS or (
        isinstance(priority, int) and priority <= 3
    )


_ERROR_LEVELS = frozenset({"emerg", "alert", "crit", "critical", "err", "error", "fatal"})


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    at: float
    kind: str  # "probe" | "finding" | "host" | "action" | "log"
    text: str

    def __post_init__(self) -> None:
        _clean_fields(self, "text")


class DeployKind(StrEnum):
    """What a deploy marker saw change."""

    ENVOY_RESTARTED = "envoy.restarted"  # a new Envoy process (pid, uptime reset)
    ENVOY_HOT_RESTART = "envoy.hot_restart"  # a new hot-restart epoch
    CONFIG_CHANGED = "envoy.config_changed"  # the running config (/config_dump)
    CONFIG_FILE_CHANGED = "envoy.config_file_changed"  # envoy.yaml on disk
    BACKEND_RESTARTED = "backend.restarted"
    BACKEND_VERSION = "backend.version"  # the configured version header or health-body field

    @property
    def words(self) -> str:
        return _DEPLOY_WORDS[self]


_DEPLOY_WORDS = {
    DeployKind.ENVOY_RESTARTED: "envoy restarted",
    DeployKind.ENVOY_HOT_RESTART: "envoy hot restart",
    DeployKind.CONFIG_CHANGED: "config changed",
    DeployKind.CONFIG_FILE_CHANGED: "envoy.yaml changed",
    DeployKind.BACKEND_RESTARTED: "backend restarted",
    DeployKind.BACKEND_VERSION: "backend version changed",
}


@dataclass(frozen=True, slots=True)
class DeployMarker:
    """A deploy seen on a watched host: something was restarted or changed at `at`."""

    at: float
    host: str
    kind: DeployKind
    detail: str  # one human line with the concrete values ("pid 4120 → 4388")
    # when the old state was last seen: between `began` and `at` the deploy itself happened
    # (a restart's gap), which counts neither as before nor as after
    began: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "host": self.host,
            "kind": self.kind.value,
            "detail": self.detail,
            "began": self.began,
        }


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the UI and reports render, as of one moment. Immutable; replaced, never edited."""

    taken_at: float
    evidence: tuple[Evidence, ...]
    findings: tuple[Finding, ...]
    hosts: tuple[HostState, ...]
    verdict: Verdict
    timeline: tuple[TimelineEvent, ...] = ()
    rounds: int = 0  # completed probe rounds
    deploys: tuple[DeployMarker, ...] = ()  # oldest first
    calm: bool = False  # healthy and unchanged: most probes wait longer (engine/cadence.py)

    def get(self, probe: ProbeId, target: str | None = None) -> Evidence | None:
        for ev in self.evidence:
            if ev.probe == probe and (target is None or ev.target == target):
                return ev
        return None


def _clean_fields(obj: object, *names: str) -> None:
    """Replace each named str field of a frozen dataclass by its `clean` form (if it changes)."""
    for name in names:
        value = getattr(obj, name)
        cleaned = clean(value)
        if cleaned is not value:
            object.__setattr__(obj, name, cleaned)


def _clean_facts(obj: object, name: str) -> None:
    mapping = getattr(obj, name)
    cleaned = clean_mapping(mapping)
    if cleaned is not mapping:
        object.__setattr__(obj, name, cleaned)
