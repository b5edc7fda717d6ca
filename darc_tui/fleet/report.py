"""The headless fleet verdict: two samples one refresh apart, printed as text or JSON."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Sequence
from typing import TextIO

from darc_tui.config import Config
from darc_tui.fleet.collect import FleetSource
from darc_tui.fleet.model import EnvoyRow, FleetSnapshot
from darc_tui.redact import redact_json, redact_text

EXIT_OK, EXIT_CAUSES, EXIT_USAGE = 0, 1, 2


async def one_shot(config: Config, *, as_json: bool, out: TextIO, err: TextIO) -> int:
    """Sample twice, `refresh` apart; a cause is reported when both samples show it (one bad
    scrape or a rate that has not settled does not make a verdict). Exit 0/1, 2 when Prometheus
    cannot be read."""
    assert config.fleet is not None
    source = FleetSource(config.fleet)
    try:
        first = await source.sample()
        if first.error:
            err.write(f"darc-tui: fleet: {first.error}\n")
            return EXIT_USAGE
        await asyncio.sleep(config.fleet.refresh)
        second = await source.sample()
    finally:
        await source.aclose()
    if second.error:
        err.write(f"darc-tui: fleet: {second.error}\n")
        return EXIT_USAGE
    snap = confirmed(first, second)
    if as_json:  # values masked before serialisation: masking JSON text can break it
        doc = snap.to_json()
        text = json.dumps(redact_json(doc) if config.ui.redact else doc, ensure_ascii=False)
    else:
        text = format_text(snap)
        text = redact_text(text) if config.ui.redact else text
    out.write(text + "\n")
    if not as_json:
        for warning in snap.warnings:
            err.write(f"darc-tui: fleet: warning: {warning}\n")
    out.flush()
    return EXIT_CAUSES if snap.findings else EXIT_OK


def confirmed(first: FleetSnapshot, second: FleetSnapshot) -> FleetSnapshot:
    """`second`, keeping only the findings whose cause `first` showed as well."""
    earlier = {f.cause for f in first.findings}
    kept = tuple(f for f in second.findings if f.cause in earlier)
    return dataclasses.replace(second, findings=kept)


def _num(value: float | None, fmt: str = "{:.2f}") -> str:
    return "-" if value is None else fmt.format(value)


def envoy_cells(e: EnvoyRow) -> tuple[str, ...]:
    """The fleet table's cells for one Envoy (shared by the text report and the console)."""
    worst = e.worst_cluster
    health = f"{worst.healthy}/{worst.total}" if worst and worst.total is not None else "-"
    live = "-" if e.live is None else ("live" if e.live else e.state_name.lower())
    return (
        e.instance,
        e.scrape.value,
        live,
        _num(e.epoch, "{}"),
        _num(e.rq_5xx_per_s),
        health,
        _num(e.connect_fail_per_s),
        _num(e.overflow_per_s),
        _num(e.panic_per_s),
        worst.name if worst else "-",
    )


# the worst cluster's name goes last: on 80 columns it is what gets cut, not a number
ENVOY_HEADER = ("INSTANCE", "SCRAPE", "LIVE", "EPOCH", "5XX/S", "HEALTHY", "CXFAIL/S",
                "OVERFLOW/S", "PANIC/S", "WORST CLUSTER")  # fmt: skip


def format_text(snap: FleetSnapshot) -> str:
    n = len(snap.findings)
    lines = [
        f"darc-tui fleet — {len(snap.envoys)} Envoys: "
        + (f"{n} cause{'s' if n != 1 else ''}" if n else "no cause found")
        + f" (rates over {snap.window_s:g}s)",
        "",
    ]
    lines += _table([ENVOY_HEADER, *(envoy_cells(e) for e in snap.envoys)])
    lines.append("")
    lines += _table(
        [("CLUSTER", "UNHEALTHY ON", "OF")]
        + [(c.name, str(len(c.envoys_unhealthy)), str(c.envoys_total)) for c in snap.clusters]
    )
    for i, f in enumerate(snap.findings, 1):
        lines += [
            "",
            f"{i}. [{f.cause}] {f.title} — confidence {f.confidence:.0%}",
            f"   {f.summary}",
        ]
        lines += [f"   evidence  {r.target}: {r.fact}" for r in f.evidence[:10]]
        lines += [f"   ruled out {line}" for line in f.ruled_out]
        lines += [f"   next      $ {step}" for step in f.next_steps]
    for a in snap.alerts:
        lines.append(f"alert {a.state}: {a.name} {a.instance}".rstrip())
    return "\n".join(lines)


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
