"""Incident report export (Markdown and JSON) from a snapshot and its timeline, redacted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from darc_tui.config import Config
from darc_tui.model import Snapshot
from darc_tui.redact import redact_snapshot, redact_text


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _url(url: str, config: Config) -> str:
    return redact_text(url) if config.ui.redact else url


def report_json(snap: Snapshot, config: Config) -> dict[str, Any]:
    # values are masked before serialisation: masking JSON text broke it (`/token=a"b`)
    if config.ui.redact:
        snap = redact_snapshot(snap)
    return {
        "site": config.site.name,
        "envoy_host": config.envoy.host,
        "backend": _url(config.backend.url, config),
        "generated_at": datetime.fromtimestamp(snap.taken_at, UTC).isoformat(),
        "verdict": snap.verdict.value,
        "causes": [f.to_json() for f in snap.findings],
        "probes": [e.to_json() for e in snap.evidence],
        "hosts": [
            {"name": h.name, "kind": h.kind, "connected": h.connected, "detail": h.detail}
            for h in snap.hosts
        ],
        "timeline": [{"at": t.at, "kind": t.kind, "text": t.text} for t in snap.timeline],
    }


def report_markdown(snap: Snapshot, config: Config) -> str:
    """A report to paste into the incident channel or the post-mortem."""
    if config.ui.redact:
        snap = redact_snapshot(snap)
    public_url = _url(config.site.public_url, config)
    lines = [
        f"# Incident report — {config.site.name}",
        "",
        f"- generated: {_when(snap.taken_at)}",
        f"- path: {public_url or '(no public URL)'} → Envoy on `{config.envoy.host}` "
        f"(cluster `{config.envoy.cluster}`) → backend {_url(config.backend.url, config)}",
        f"- verdict: **{snap.verdict.value.upper()}**",
        "",
        "## Causes",
        "",
    ]
    if not snap.findings:
        lines += ["No cause found.", ""]
    i = 0
    for f in snap.findings:
        if f.explained_by:  # a consequence, under the cause that explains it
            by = ", ".join(f"`{c}`" for c in f.explained_by)
            head = f"#### ↳ `{f.cause}` — {f.title} ({f.confidence:.0%}), explained by {by}"
        else:
            i += 1
            head = f"### {i}. `{f.cause}` — {f.title} ({f.confidence:.0%})"
        lines += [head, "", f.summary, ""]
        if f.evidence:
            lines.append("Evidence:")
            lines += [
                f"- {_when(r.observed_at)} `{r.probe}` from {r.vantage.value}: {r.fact}"
                for r in f.evidence
            ]
            lines.append("")
        if f.ruled_out:
            lines.append("Ruled out:")
            lines += [f"- {r}" for r in f.ruled_out]
            lines.append("")
        if f.next_steps:
            lines.append("Next steps:")
            lines += ["```sh", *f.next_steps, "```", ""]
    lines += [
        "## Probes",
        "",
        "| status | probe | from | target | ms | detail |",
        "|---|---|---|---|---|---|",
    ]
    for e in sorted(snap.evidence, key=lambda e: (e.probe, e.target)):
        ms = "" if e.latency_ms is None else f"{e.latency_ms:.1f}"
        detail = e.detail.replace("|", "\\|")
        lines.append(
            f"| {e.status.value} | `{e.probe}` | {e.vantage.value} | {e.target} | {ms} | {detail} |"
        )
    lines += ["", "## Timeline", ""]
    if not snap.timeline:
        lines.append("(no state change recorded)")
    lines += [f"- {_when(t.at)} [{t.kind}] {t.text}" for t in snap.timeline]
    return "\n".join(lines) + "\n"
