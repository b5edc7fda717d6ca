"""envoy.yaml against reality: invalid, drift, endpoint/TLS/protocol mismatch, no route."""

from __future__ import annotations

from darc_tui.diagnosis import diagnose
from darc_tui.model import Vantage
from darc_tui.parse.envoy_summary import Endpoint
from tests.diagnosis import builders as b

HEALTH = "http://127.0.0.1:18443/api/health"
THROUGH = "http://127.0.0.1:8080/api/health"


def pointing_at(port: int) -> b.EnvoySummary:
    return b.with_cluster(
        b.recorded_running(), "backend_cluster", endpoints=(Endpoint("127.0.0.1", port),)
    )


def wrong_port_evidence() -> list:
    return [
        b.process(),
        b.ready(),
        b.clusters(b.report_of("backend_cluster", ("127.0.0.1", 18444, b.FAILED_HC))),
        b.running(pointing_at(18444)),
        b.tcp("127.0.0.1", 18443),
        b.http(Vantage.ENVOY_HOST, HEALTH, 200),
        b.http(Vantage.THROUGH_ENVOY, THROUGH, 503, local_reply=True, flag="UF", body=b.UF_BODY),
    ]


def test_invalid_file_names_the_validation_error() -> None:
    found = diagnose(
        b.state(b.process(), b.ready(), b.validate(False, 'unknown field "tmeout"')), b.config()
    )
    assert [f.cause for f in found] == ["config.invalid"]
    assert '/etc/envoy/envoy.yaml does not validate: unknown field "tmeout"' in found[0].summary
    assert "running Envoy is unaffected" in found[0].summary


def test_wrong_port_beats_backend_down() -> None:
    found = diagnose(b.state(*wrong_port_evidence()), b.config())
    causes = [f.cause for f in found]
    assert causes[0] == "config.endpoint_mismatch", causes
    assert "backend.down" not in causes
    assert "127.0.0.1:18444" in found[0].summary and "127.0.0.1:18443" in found[0].summary
    assert any("18444" in s for s in found[0].next_steps)


def test_drift_beats_the_mismatch_it_explains() -> None:
    disk = pointing_at(18443)
    found = diagnose(b.state(*wrong_port_evidence(), b.on_disk(disk)), b.config())
    causes = [f.cause for f in found]
    assert causes[:2] == ["config.drift", "config.endpoint_mismatch"], causes
    assert "127.0.0.1:18444 → 127.0.0.1:18443" in found[0].summary
    assert any("darc-tui reload" in s or "systemctl reload" in s for s in found[0].next_steps)


def test_same_config_running_and_on_disk_is_no_drift() -> None:
    found = diagnose(
        b.state(b.running(b.recorded_running()), b.on_disk(b.recorded_running())), b.config()
    )
    assert found == []


def test_endpoint_by_dns_name_compares_ports_only() -> None:
    found = diagnose(
        b.state(
            b.clusters(b.report_of("backend_cluster", ("10.1.2.3", 18443, b.HEALTHY))),
            b.tcp("backend.internal", 18443),
        ),
        b.config(backend_url="http://backend.internal:18443"),
    )
    assert found == []


def test_upstream_tls_against_a_plain_backend_is_tls_mismatch() -> None:
    summary = b.with_cluster(b.recorded_running(), "backend_cluster", upstream_tls=True)
    ssl = "cluster.backend_cluster.ssl.connection_error"
    found = diagnose(
        b.state(
            b.process(),
            b.ready(),
            b.clusters(b.report_of("backend_cluster", ("127.0.0.1", 18443, b.FAILED_HC))),
            b.running(summary),
            b.tcp("127.0.0.1", 18443),
            b.http(Vantage.ENVOY_HOST, HEALTH, 200),
            b.http(
                Vantage.THROUGH_ENVOY, THROUGH, 503, local_reply=True, flag="UF", body=b.UF_BODY
            ),
            *b.stats_window({ssl: 2}, {ssl: 9}),
        ),
        b.config(),
    )
    causes = [f.cause for f in found]
    assert causes[0] == "config.tls_mismatch", causes
    assert "backend.down" not in causes  # the same refused connect under a wrong name
    assert all(f.explained_by for f in found[1:])  # the failing check and panic: consequences
    assert "TLS" in found[0].summary and "127.0.0.1" in found[0].summary
    assert any("ssl.connection_error +7" in e.fact for e in found[0].evidence)


def test_http2_upstream_with_upe_is_protocol_mismatch_while_hc_is_green() -> None:
    summary = b.with_cluster(b.recorded_running(), "backend_cluster", upstream_protocol="http2")
    found = diagnose(
        b.state(
            b.process(),
            b.ready(),
            b.clusters(b.report_of("backend_cluster", ("127.0.0.1", 18443, b.HEALTHY))),
            b.running(summary),
            b.http(
                Vantage.THROUGH_ENVOY,
                THROUGH,
                502,
                local_reply=True,
                flag="UPE",
                body="upstream connect error or disconnect/reset before headers. reset reason: protocol error",
            ),
            b.access({(502, "UPE"): 8}),
        ),
        b.config(),
    )
    assert [f.cause for f in found] == ["config.protocol_mismatch"]
    assert "HTTP/2" in found[0].summary and "502" in found[0].summary
    assert any("stays green" in line for line in found[0].ruled_out)


def test_envoys_own_404_is_no_route() -> None:
    found = diagnose(
        b.state(
            b.http(
                Vantage.THROUGH_ENVOY,
                "http://127.0.0.1:8080/v2/health",
                404,
                local_reply=True,
                flag="NR",
            ),
            *b.stats_window({"http.ingress_http.no_route": 0}, {"http.ingress_http.no_route": 5}),
        ),
        b.config(),
    )
    assert [f.cause for f in found] == ["config.no_route"]
    assert "/v2/health" in found[0].summary and "NR" in found[0].summary


def test_backend_404_is_not_no_route() -> None:
    found = diagnose(
        b.state(b.http(Vantage.THROUGH_ENVOY, THROUGH, 404, local_reply=False)), b.config()
    )
    assert found == []


def test_a_few_stray_nr_on_a_healthy_site_are_not_an_outage() -> None:
    found = diagnose(
        b.state(
            b.http(Vantage.THROUGH_ENVOY, THROUGH, 200, local_reply=False),
            b.access({(200, "-"): 120, (404, "NR"): 3}),
            *b.stats_window({"http.ingress_http.no_route": 0}, {"http.ingress_http.no_route": 3}),
        ),
        b.config(),
    )
    assert found == []


def test_listening_sockets_tell_wrong_port_from_nothing_there() -> None:
    found = diagnose(b.state(*wrong_port_evidence(), b.ports(8080, 9901, 18443)), b.config())
    facts = [e.fact for e in found[0].evidence]
    assert "nothing listens on port 18444 on the Envoy host (ss)" in facts
    assert "listens on port 18443 on the Envoy host (ss)" in facts


def test_a_refused_connect_to_the_clusters_port_proves_the_mismatch_before_any_traffic() -> None:
    """No request went through Envoy yet and the health check has not failed: the plain connect
    to the port the cluster dials, refused while the backend URL answers, is enough."""

    def diagnosed(*extra: b.Evidence) -> list:
        report = b.report_of("backend_cluster", ("127.0.0.1", 18444, b.HEALTHY))
        return diagnose(
            b.state(
                b.process(),
                b.ready(),
                b.clusters(report),
                b.running(pointing_at(18444)),
                b.tcp("127.0.0.1", 18443),
                b.http(Vantage.ENVOY_HOST, HEALTH, 200),
                *extra,
            ),
            b.config(),
        )

    assert diagnosed() == []  # without the per-host connect nothing shows the mismatch yet
    found = diagnosed(*b.endpoint_tcp("backend_cluster", ("127.0.0.1", 18444, "refused")))
    top = found[0]
    assert top.cause == "config.endpoint_mismatch"
    assert "127.0.0.1:18444 refuses connections from the Envoy host" in top.summary
    assert any(e.probe == "endpoint.tcp" for e in top.evidence)
