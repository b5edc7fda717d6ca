"""JSON shapes of what a recording holds, both ways (the `to_json` of the model and back).

A recorded Evidence has no `data` (the probes' typed payload does not travel); everything the
console shows from `facts`, `detail` and the findings survives.
"""

from __future__ import annotations

from typing import Any

from darc_tui.ids import CauseId, ProbeId
from darc_tui.model import (
    DeployKind,
    DeployMarker,
    Evidence,
    EvidenceRef,
    Finding,
    HostState,
    Status,
    TimelineEvent,
    Vantage,
    Verdict,
)
from darc_tui.recording.payloads import payload_from_json

FORMAT = "darc-tui-recording"
VERSION = 1


def evidence_to_json(ev: Evidence) -> dict[str, Any]:
    return ev.to_json()


def evidence_from_json(raw: dict[str, Any]) -> Evidence:
    return Evidence(
        probe=ProbeId(raw["name"]),
        target=str(raw["target"]),
        vantage=Vantage(raw["vantage"]),
        status=Status(raw["status"]),
        detail=str(raw.get("detail", "")),
        command=str(raw.get("command", "")),
        observed_at=float(raw["observed_at"]),
        latency_ms=_float_or_none(raw.get("latency_ms")),
        via=str(raw.get("via", "")),
        facts=dict(raw.get("facts") or {}),
        data=payload_from_json(str(raw["name"]), raw.get("data")),
    )


def finding_from_json(raw: dict[str, Any]) -> Finding:
    refs = tuple(
        EvidenceRef(
            ProbeId(r["probe"]),
            str(r["target"]),
            Vantage(r["vantage"]),
            float(r["observed_at"]),
            str(r["fact"]),
        )
        for r in raw.get("evidence", ())
    )
    return Finding(
        cause=CauseId(raw["id"]),
        title=str(raw.get("title", "")),
        confidence=float(raw.get("confidence", 0.0)),
        summary=str(raw.get("summary", "")),
        evidence=refs,
        ruled_out=tuple(map(str, raw.get("ruled_out", ()))),
        next_steps=tuple(map(str, raw.get("next_steps", ()))),
        severity=Verdict(raw.get("severity", Verdict.DOWN.value)),
    )


def host_to_json(host: HostState) -> dict[str, Any]:
    return {
        "name": host.name,
        "kind": host.kind,
        "connected": host.connected,
        "detail": host.detail,
        "since": host.since,
    }


def host_from_json(raw: dict[str, Any]) -> HostState:
    return HostState(
        str(raw["name"]),
        str(raw["kind"]),
        bool(raw["connected"]),
        str(raw.get("detail", "")),
        float(raw.get("since", 0.0)),
    )


def marker_from_json(raw: dict[str, Any]) -> DeployMarker:
    began = raw.get("began")
    return DeployMarker(
        float(raw["at"]),
        str(raw["host"]),
        DeployKind(raw["kind"]),
        str(raw["detail"]),
        None if began is None else float(began),
    )


def event_to_json(event: TimelineEvent) -> dict[str, Any]:
    return {"at": event.at, "kind": event.kind, "text": event.text}


def event_from_json(raw: dict[str, Any]) -> TimelineEvent:
    return TimelineEvent(float(raw["at"]), str(raw["kind"]), str(raw["text"]))


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)
