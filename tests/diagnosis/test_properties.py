"""Property: any partial, contradictory or garbled state goes through every rule without raising."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from darc_tui.diagnosis import CATALOG, diagnose
from darc_tui.diagnosis.context import Context
from darc_tui.diagnosis.rules import RULES
from darc_tui.model import Evidence, Status, Vantage
from darc_tui.parse.clusters import HealthFlag
from tests.diagnosis import builders as b

PROBES = (
    "envoy.ready",
    "envoy.server_info",
    "envoy.clusters",
    "envoy.stats",
    "envoy.config_dump",
    "envoy.config_file",
    "envoy.validate",
    "envoy.drift",
    "envoy.process",
    "envoy.ports",
    "backend.health",
    "backend.tcp",
    "cors.preflight",
    "firewall.rules",
    "host.load",
    "envoy.access_log",
)
FACT_KEYS = (
    "status",
    "error",
    "local_reply",
    "flag",
    "body",
    "url",
    "ok",
    "host",
    "port",
    "state",
    "running",
    "pid",
    "listening_ports",
    "blocking",
    "allowed",
    "origin",
    "allow_origin",
    "total",
    "load1",
    "cpus",
    "reset_reason",
    "overloaded",
    "reachable",
    "status_code",
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 70000),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["refused", "timeout", "LIVE", "PRE_INITIALIZING", "UF", "NR", "-"]),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=5), scalars, max_size=3),
)

flags = st.frozensets(st.sampled_from(list(HealthFlag)), max_size=3)
hosts = st.lists(
    st.tuples(st.sampled_from(["127.0.0.1", "10.0.0.1", "::1"]), st.integers(1, 65535), flags),
    max_size=4,
)
reports = hosts.map(lambda hs: b.report_of("backend_cluster", *hs))
summaries = st.sampled_from([b.recorded_running(), b.recorded_running("pre_initializing")])
counters = st.dictionaries(
    st.sampled_from(
        [
            "cluster.backend_cluster.upstream_cx_connect_fail",
            "cluster.backend_cluster.lb_healthy_panic",
            "cluster.backend_cluster.health_check.network_failure",
            "http.ingress_http.no_route",
            "cluster.backend_cluster.upstream_rq_pending_overflow",
            "cluster.backend_cluster.ssl.connection_error",
        ]
    ),
    st.integers(-10, 10**6),
    max_size=4,
)
data = st.one_of(
    st.none(),
    values,
    reports,
    summaries,
    counters.map(lambda c: b.stats(c, c).data),
    st.dictionaries(
        st.tuples(st.integers(0, 600), st.sampled_from(["-", "UF", "UC", "UO", "NR", "UH"])),
        st.integers(-1, 50),
        max_size=4,
    ).map(lambda c: b.access(c).data),
)


@st.composite
def evidence(draw: st.DrawFn) -> Evidence:
    probe = draw(st.sampled_from(PROBES))
    return Evidence(
        probe,
        draw(st.sampled_from(["a", "b", "127.0.0.1:18443"])),
        draw(st.sampled_from(list(Vantage))),
        draw(st.sampled_from(list(Status))),
        draw(st.text(max_size=20)),
        observed_at=b.NOW - draw(st.floats(0, 400)),
        latency_ms=draw(st.none() | st.floats(0, 1e5)),
        facts=draw(st.dictionaries(st.sampled_from(FACT_KEYS), values, max_size=6)),
        data=draw(data),
    )


ports = st.sampled_from([18443, 18444, 8080, 9901])
statuses = st.none() | st.sampled_from([200, 204, 404, 500, 502, 503])
errors = st.sampled_from(["", "refused", "timeout", "tls", "reset"])
response_flags = st.sampled_from(["", "UF", "UH", "UO", "UPE", "NR", "UC"])
access_counts = st.dictionaries(
    st.tuples(
        st.sampled_from([200, 404, 500, 502, 503]),
        st.sampled_from(["-", "UF", "UC", "UO", "NR", "UH", "UPE"]),
    ),
    st.integers(0, 300),
    max_size=4,
)
plausible = st.one_of(
    st.builds(b.process, st.booleans()),
    st.builds(b.ready, st.sampled_from(["LIVE", "PRE_INITIALIZING", "DRAINING"])),
    st.builds(b.ready_failed, st.sampled_from(["refused", "timeout"])),
    st.builds(b.clusters, reports),
    st.builds(b.stats, counters, counters, at=st.floats(b.NOW - 60, b.NOW)),
    st.builds(b.running, summaries),
    st.builds(
        b.on_disk, summaries.map(lambda s: b.with_cluster(s, "backend_cluster", upstream_tls=True))
    ),
    st.builds(
        b.http,
        st.sampled_from(list(Vantage)),
        st.just("http://127.0.0.1:18443/api/health"),
        statuses,
        error=errors,
        local_reply=st.none() | st.booleans(),
        flag=response_flags,
        body=st.sampled_from(["", b.UF_BODY, "no healthy upstream"]),
        latency_ms=st.none() | st.floats(0, 5000),
        overloaded=st.booleans(),
    ),
    st.builds(b.tcp, st.just("127.0.0.1"), ports, st.booleans(), errors),
    st.builds(
        b.firewall,
        st.lists(st.just("-A INPUT -p tcp --dport 18443 -j DROP"), max_size=1),
        st.booleans(),
    ),
    st.builds(b.access, access_counts),
    st.builds(b.validate, st.booleans(), st.text(max_size=10)),
    st.builds(b.cors, st.booleans()),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(evidence() | plausible, max_size=14))
def test_no_rule_raises_on_any_partial_state(items: list[Evidence]) -> None:
    ctx = Context(b.state(*items), b.config())
    for rule in RULES:
        for f in rule(ctx):  # a raising rule fails the test (diagnose() would only log it)
            assert f.cause in CATALOG
            assert 0 < f.confidence < 1
            assert f.summary and f.next_steps


@settings(max_examples=100, deadline=None)
@given(st.lists(evidence() | plausible, max_size=14))
def test_diagnose_ranks_unique_causes(items: list[Evidence]) -> None:
    found = diagnose(b.state(*items), b.config())
    assert len({f.cause for f in found}) == len(found)
