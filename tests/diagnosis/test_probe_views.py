"""The rules' views read what the real probes emit (built here with the probes' own judging code
from recorded Envoy 1.40 answers), and read "unknown" from anything else."""

from __future__ import annotations

import dataclasses

from darc_tui.diagnosis.endpoint_views import endpoint_tcp_views, hc_request_view
from darc_tui.diagnosis.probe_views import access_view, http_view, ready_view, tcp_view
from darc_tui.errors import ErrorKind
from darc_tui.hosts.base import TcpResult
from darc_tui.hosts.http import HttpResult
from darc_tui.hosts.local import LocalHost
from darc_tui.logs.window import AccessWindow, window_evidence
from darc_tui.model import Evidence, Status, Vantage
from darc_tui.parse.access_log import DEFAULT
from darc_tui.probes._admin_http import AdminResponse
from darc_tui.probes.admin import ReadyProbe
from darc_tui.probes.backend_health import HttpHealthProbe
from tests.diagnosis import builders as b

LOG = b.RECORDED.parent / "logs" / "envoy-1.40-default.log"
URL = "http://127.0.0.1:8080/api/health"


def through_envoy(status: int | None, body: str = "", error: str = "", **headers: str) -> Evidence:
    probe = HttpHealthProbe(LocalHost(), URL, Vantage.THROUGH_ENVOY)
    result = HttpResult(
        URL,
        "GET",
        status,
        tuple(headers.items()),
        body.encode(),
        total_ms=4.0,
        error=error,
        error_kind=b.kind_of(error) if status is None else None,
    )
    return probe.judge(result)


def test_recorded_access_log_window_counts_flags_and_upstream_5xx() -> None:
    window = AccessWindow(10**9, clock=lambda: b.NOW)
    for line in LOG.read_bytes().decode("utf-8", "replace").splitlines():
        record = DEFAULT.parse(line)
        window.add({} if record is None else record.to_json(), b.NOW)
    view = access_view(window_evidence(window.counts(b.NOW), "access.log", command="tail"))
    assert view is not None and view.total == 14  # every parsed record, incl. a 0 DC
    assert view.flagged("UF") == 2  # "503 UF" and "503 URX,UF"
    assert view.flagged("NR") == 1 and view.example("NR") == 404
    assert view.upstream_5xx() == 2  # "503 -" and "501 -": the backend's own answers


def test_a_window_without_requests_is_unknown_not_healthy() -> None:
    empty = window_evidence(AccessWindow(60).counts(b.NOW), "access.log", command="tail")
    assert empty.status is Status.UNKNOWN and access_view(empty) is None


def test_envoys_uf_reply_reads_as_a_local_reply_with_its_reset_reason() -> None:
    view = http_view(through_envoy(503, b.UF_BODY, server="envoy"))
    assert view is not None
    assert view.local_reply is True and view.flag == "UF"
    assert view.reset_reason == "remote connection failure"


def test_a_backend_500_through_envoy_reads_as_from_upstream() -> None:
    view = http_view(
        through_envoy(
            500, '{"error": "boom"}', server="envoy", **{"x-envoy-upstream-service-time": "3"}
        )
    )
    assert view is not None and view.from_upstream and view.status == 500


def test_connect_errors_keep_their_kind_and_words() -> None:
    view = http_view(through_envoy(None, error="connection refused"))
    assert view is not None and view.error is ErrorKind.REFUSED
    assert view.error_text == "connection refused"
    slow = http_view(through_envoy(None, error="read timeout"))
    assert slow is not None and slow.error is ErrorKind.READ_TIMEOUT


def test_the_kind_decides_not_the_words() -> None:
    """Rewording a message changes nothing: the view reads the kind the host layer set."""
    reworded = dataclasses.replace(
        through_envoy(None, error="connection refused"), detail="Verbindung abgelehnt"
    )
    view = http_view(dataclasses.replace(reworded, facts={**reworded.facts, "error": "nein"}))
    assert view is not None and view.error is ErrorKind.REFUSED


def test_tcp_timeout_is_a_connect_timeout() -> None:
    result = TcpResult("127.0.0.1", 18443, False, error="timeout")
    ev = b.ev(
        "backend.tcp",
        Status.FAIL,
        data=result,
        host="127.0.0.1",
        port=18443,
        ok=False,
        error="timeout",
        error_kind=ErrorKind.TIMEOUT,
    )
    view = tcp_view(ev)
    assert view is not None and not view.ok and view.error is ErrorKind.CONNECT_TIMEOUT


def test_refused_admin_reads_as_unreachable_with_the_reason() -> None:
    probe = ReadyProbe(LocalHost(), "http://127.0.0.1:9901")
    refused = AdminResponse(
        "http://127.0.0.1:9901/ready",
        None,
        error="connection refused",
        error_kind=ErrorKind.REFUSED,
    )
    view = ready_view(probe.unreachable(refused))
    assert view is not None and not view.reachable and view.error is ErrorKind.REFUSED


def test_evidence_of_another_shape_reads_as_unknown() -> None:
    assert http_view(b.ev("backend.health", Status.UNKNOWN)) is None
    assert tcp_view(b.ev("backend.tcp", Status.ERROR)) is None
    assert access_view(b.ev("envoy.access_log", data={"total": 3})) is None


def test_access_view_reads_5xx_per_path_and_leaves_darc_tuis_requests_out() -> None:
    view = access_view(b.recorded_access("envoy-1.40-probe-traffic.log"))
    assert view is not None and view.total == 12 and view.probe_requests == 5
    assert view.by_path_upstream_5xx == {"/api/orders": 3, "/api/health": 2, "/api/cart": 1}
    assert view.by_path_5xx["/api/orders"] == 5  # incl. Envoy's own 503 UF


def test_only_the_hosts_of_the_newest_round_are_current() -> None:
    """A host that left the cluster keeps its last evidence in State; the newest round's summary
    does not list it, so the views do not read it."""
    old = b.endpoint_tcp("backend_cluster", ("127.0.0.1", 18443, "refused"))
    new = b.endpoint_tcp("backend_cluster", ("127.0.0.1", 18444, ""))
    state = b.state(*old, *new)
    evs = sorted(state.all_latest("endpoint.tcp"), key=lambda e: e.observed_at, reverse=True)
    views = endpoint_tcp_views(evs, "backend_cluster")
    assert [(v.endpoint, v.ok) for v in views] == [("127.0.0.1:18444", True)]
    assert endpoint_tcp_views(evs, "other_cluster") == ()


def test_hc_request_view_reads_what_the_probe_judged() -> None:
    settings = b.hc_settings("/wrong/health", "backend_cluster", (200, 204), 1.0)
    host, summary = b.hc_requests(
        "backend_cluster", settings, ("127.0.0.1", 18443, b.hc_answer(404, total_ms=6.0))
    )
    view = hc_request_view(host)
    assert view is not None and hc_request_view(summary) is None
    assert (view.endpoint, view.path, view.host_header) == (
        "127.0.0.1:18443",
        "/wrong/health",
        "backend_cluster",
    )
    assert (view.status, view.expected, view.passed, view.slow) == (404, (200, 204), False, False)
    assert view.fact() == (
        "GET /wrong/health (Host: backend_cluster) to 127.0.0.1:18443 from the Envoy host → 404 "
        "in 6 ms: Envoy's check fails (accepts 200/204)"
    )
    (timed_out, _) = b.hc_requests(
        "backend_cluster", settings, ("127.0.0.1", 18443, b.hc_answer(None, error="read timeout"))
    )
    slow = hc_request_view(timed_out)
    assert (
        slow is not None
        and slow.slow
        and slow.error is ErrorKind.READ_TIMEOUT
        and not slow.answered
    )
