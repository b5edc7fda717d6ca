"""Sliding-window counts over access-log records recorded from Envoy 1.40."""

from __future__ import annotations

from pathlib import Path

from darc_tui.logs.window import PROBE, AccessWindow, window_evidence
from darc_tui.model import Status
from darc_tui.parse.access_log import parse_lines

DATA = Path(__file__).resolve().parents[1] / "data" / "logs"


def recorded_fields() -> list[dict[str, object]]:
    text = (DATA / "envoy-1.40-default.log").read_bytes().decode("utf-8", "replace")
    return [r.to_json() for r in parse_lines(text.splitlines()).records]


def test_counts_group_status_and_flags_and_upstreams() -> None:
    fields = recorded_fields()
    newest = max(float(f["timestamp"]) for f in fields)  # type: ignore[arg-type]
    window = AccessWindow(60)
    for f in fields:
        window.add(f)
    counts = window.counts(now=newest + 1)
    assert counts.total == 14
    assert counts.errors_5xx == 8  # /fail, UF, URX+UF, UH, UO, UC, 504 UT, the backend 501
    assert counts.by_status_flag["503 UF"] == 1
    assert counts.by_status_flag["503 UF,URX"] == 1
    assert counts.by_status_flag["503 -"] == 1
    assert counts.by_status_flag["404 NR"] == 1
    assert counts.by_flag["UF"] == 2
    assert counts.upstream_5xx == 2  # the backend's own 503 and 501 carry a service time
    assert sum(counts.by_upstream_5xx.values()) == 8
    assert counts.status() is Status.FAIL


def test_detail_names_the_biggest_groups() -> None:
    window = AccessWindow(60)
    for i in range(41):
        window.add({"timestamp": 1000.0 + i / 10, "status": 503, "flags": ["UF"]})
    for _ in range(9):
        window.add({"timestamp": 1001.0, "status": 200, "flags": []})
    counts = window.counts(now=1010.0)
    assert counts.detail() == "41 × 503 UF in 60 s (41 of 50 requests 5xx)"
    ev = window_evidence(counts, "edge:/var/log/envoy/access.log", command="tail")
    assert ev.probe == PROBE and ev.status is Status.FAIL
    assert ev.facts["window_s"] == 60 and ev.facts["5xx"] == 41
    assert ev.facts["by_status_flag"] == {"503 UF": 41, "200 -": 9}


def test_old_records_leave_the_window() -> None:
    window = AccessWindow(60)
    window.add({"timestamp": 100.0, "status": 503, "flags": ["UH"]})
    window.add({"timestamp": 150.0, "status": 200, "flags": []})
    assert window.counts(now=155.0).errors_5xx == 1
    later = window.counts(now=200.0)
    assert (later.total, later.errors_5xx, later.by_flag) == (1, 0, {})
    assert later.status() is Status.OK


def test_no_requests_is_unknown_not_ok() -> None:
    counts = AccessWindow(60).counts(now=1000.0)
    assert counts.status() is Status.UNKNOWN
    assert counts.detail() == "no requests in the last 60 s"


def test_a_few_scattered_5xx_are_a_warning() -> None:
    window = AccessWindow(60)
    window.add({"timestamp": 10.0, "status": 503, "flags": ["UC"]})
    for _ in range(99):
        window.add({"timestamp": 10.0, "status": 200, "flags": []})
    assert window.counts(now=20.0).status() is Status.WARN


def test_unparsed_lines_are_counted_apart() -> None:
    window = AccessWindow(60)
    window.add({}, observed_at=10.0)
    window.add({"timestamp": 10.0, "status": 200, "flags": []})
    counts = window.counts(now=11.0)
    assert (counts.total, counts.unparsed) == (1, 1)
