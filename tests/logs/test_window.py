"""Sliding-window counts over access-log records recorded from Envoy 1.40."""

from __future__ import annotations

from pathlib import Path

from darc_tui.logs.window import PROBE, TOP_PATHS, AccessWindow, WindowCounts, window_evidence
from darc_tui.model import Status
from darc_tui.parse.access_log import parse_lines

DATA = Path(__file__).resolve().parents[1] / "data" / "logs"


def recorded_fields(name: str = "envoy-1.40-default.log") -> list[dict[str, object]]:
    text = (DATA / name).read_bytes().decode("utf-8", "replace")
    return [r.to_json() for r in parse_lines(text.splitlines()).records]


def recorded_window(name: str) -> WindowCounts:
    fields = recorded_fields(name)
    newest = max(float(f["timestamp"]) for f in fields)  # type: ignore[arg-type]
    window = AccessWindow(60)
    for f in fields:
        window.add(f)
    return window.counts(now=newest + 1)


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


# darc-tui's own requests, and 5xx per path (envoy-1.40-probe-traffic.log, see its capture script)


def test_darc_tuis_own_probe_requests_are_counted_apart_not_as_traffic() -> None:
    counts = recorded_window("envoy-1.40-probe-traffic.log")
    assert counts.probe_requests == 5  # 3 health GETs, 1 API GET, 1 OPTIONS with darc-tui/…
    assert counts.total == 12  # the outside monitor's and the users' requests only
    assert counts.errors_5xx == 8 and counts.upstream_5xx == 6
    assert counts.by_status_flag == {"500 -": 4, "200 -": 4, "503 -": 2, "503 UF": 2}
    assert window_evidence(counts, "t", command="tail").facts["probe_requests"] == 5


def test_5xx_per_path_tell_the_health_endpoint_from_the_api() -> None:
    counts = recorded_window("envoy-1.40-probe-traffic.log")
    assert counts.by_path_5xx == {"/api/orders": 5, "/api/health": 2, "/api/cart": 1}
    # the backend's own answers only: the two 503 UF on /api/orders are Envoy's
    assert counts.by_path_upstream_5xx == {"/api/orders": 3, "/api/health": 2, "/api/cart": 1}


def test_only_probe_requests_is_still_no_traffic() -> None:
    window = AccessWindow(60)
    for i in range(3):
        window.add({"timestamp": 10.0 + i, "status": 503, "flags": [], "user_agent": "darc-tui/9"})
    counts = window.counts(now=20.0)
    assert (counts.total, counts.errors_5xx, counts.probe_requests) == (0, 0, 3)
    assert counts.status() is Status.UNKNOWN
    assert counts.detail() == "no requests in the last 60 s (3 darc-tui probe requests not counted)"
    assert window.counts(now=100.0).probe_requests == 0  # they leave the window too


def test_per_path_5xx_keeps_the_top_paths_and_forgets_expired_ones() -> None:
    window = AccessWindow(60)
    for i in range(TOP_PATHS + 5):
        for _ in range(i + 1):
            window.add({"timestamp": 10.0, "status": 502, "flags": [], "path": f"/p{i}?x=1"})
    window.add({"timestamp": 50.0, "status": 500, "flags": ["UF"], "path": "/late"})
    counts = window.counts(now=20.0)
    assert len(counts.by_path_5xx) == TOP_PATHS
    assert next(iter(counts.by_path_5xx.items())) == (f"/p{TOP_PATHS + 4}", TOP_PATHS + 5)
    later = window.counts(now=100.0)
    assert later.by_path_5xx == {"/late": 1} and later.by_path_upstream_5xx == {}


def test_the_cycle_collector_stops_walking_counted_entries() -> None:
    """A busy log keeps up to MAX_KEPT entries: each must be a tuple of atoms the collector
    untracks (a NamedTuple never is), or every collection walks half a million of them."""
    import gc

    window = AccessWindow(clock=lambda: 1000.0)
    fields = {"timestamp": 999.0, "status": 503, "flags": ["UF"], "path": "/api?q=1"}
    window.add_many([(dict(fields, upstream_host=f"10.0.0.{i}:80"), None) for i in range(50)])
    gc.collect()
    assert window._entries and not any(gc.is_tracked(e) for e in window._entries)
    assert window.counts(now=1000.0).by_status_flag == {"503 UF": 50}
