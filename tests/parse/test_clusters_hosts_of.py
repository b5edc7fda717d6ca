"""parse_clusters(body, hosts_of=name) — what the clusters probe reads: the named cluster's hosts
in full, every other cluster's as counts — is exactly `summarized(parse_clusters(body), name)`:
the same clusters, names, limits, errors and wording, on the recorded real Envoy 1.40 answers
(JSON and text), a 10 000-host answer, and every hostile variant the typed reading is tested
with (those it reads, and those its schema refuses)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from darc_tui.parse import _clusters_typed as typed_module
from darc_tui.parse.clusters import (
    ClustersReport,
    HealthFlag,
    HostStatus,
    HostTally,
    parse_clusters,
    summarized,
    tally_of,
)
from tests.parse.envoy_data import STATES, recorded, recorded_json
from tests.parse.test_clusters_stream import big_answer
from tests.parse.test_clusters_typed import (
    _PLACES,
    _VALUES,
    RAW_READ_TYPED,
    READ_TYPED,
    REFUSED,
    _healthy,
    _put,
    _raw_variant,
)

# the hostile variants change the first cluster (nopanic_cluster): kept, one of the others, none
NAMES = ("nopanic_cluster", "backend_cluster", "missing_cluster")
HOSTS_OF = pytest.mark.parametrize("name", NAMES)


def reference(body: bytes | str, name: str) -> ClustersReport:
    """Every cluster read in full, then all but `name` counted."""
    return summarized(parse_clusters(body), name)


def check(body: bytes | str, name: str) -> ClustersReport:
    read = parse_clusters(body, name)
    assert read == reference(body, name)
    return read


@pytest.fixture(params=[typed_module.AT_ONCE, 0], ids=["at-once", "host-by-host"])
def at_once(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    budget: int = request.param
    monkeypatch.setattr(typed_module, "AT_ONCE", budget)
    return budget


@pytest.mark.parametrize("fmt", ["json", "txt"])
@pytest.mark.parametrize("state", STATES)
def test_each_recorded_answer_keeps_the_named_clusters_hosts_and_counts_the_others(state, fmt):
    body = recorded(state, f"clusters.{fmt}")
    full = parse_clusters(body)
    for name in (*full.names, "missing_cluster"):
        read = check(body, name)
        assert read.names == full.names
        for mine, whole in zip(read.clusters, full.clusters, strict=True):
            if mine.name == name:
                assert mine == whole and mine.tally is None
            else:
                assert mine.hosts == () and mine.tally == tally_of(whole.hosts)
                assert mine.tally.hosts == len(whole.hosts)
        assert check(body.decode(), name) == read  # the same from text


def test_ten_thousand_hosts_keep_the_named_clusters_hundred(at_once):
    from bench.scale_clusters import payload

    body = payload(100, 100)
    read = check(body, "backend_cluster")
    kept = read.get("backend_cluster")
    assert kept is not None and len(kept.hosts) == 100 and kept.tally is None
    assert all(c.tally == HostTally(100, 100, ()) for c in read.clusters[1:])
    assert sum(len(c.hosts) for c in read.clusters) == 100


@HOSTS_OF
def test_a_big_answer_of_recorded_clusters_is_its_summary(name, at_once):
    body = big_answer(20)
    assert check(body, name).clusters


@HOSTS_OF
@pytest.mark.parametrize("change", [c for _, c in READ_TYPED], ids=[i for i, _ in READ_TYPED])
def test_a_hostile_variant_is_its_summary(change, name, at_once):
    doc = _healthy()
    change(doc)
    check(json.dumps(doc, indent=1).encode(), name)


RAW = [*RAW_READ_TYPED, *REFUSED]


@HOSTS_OF
@pytest.mark.parametrize("old, new", [(o, n) for _, o, n in RAW], ids=[i for i, _, _ in RAW])
def test_raw_bytes_read_or_refused_are_their_summary(old, new, name):
    body = _raw_variant(old, new)
    if new == b'"circuit_bre':
        body = body[: body.index(new) + len(new)]
    check(body, name)


def test_a_host_the_schema_refuses_in_a_counted_cluster_is_refused_as_before():
    """Counting a cluster still decodes its hosts with the whole schema: what it refuses there
    sends the answer to the stream, as when every host was converted."""
    body = _raw_variant(b'"value": "3"', b'"value": 2.5')  # a stat of nopanic_cluster's host
    assert typed_module.decode_clusters(body, "backend_cluster") is None
    check(body, "backend_cluster")


@pytest.mark.parametrize(
    "body", [b"{}", b'{"cluster_statuses": []}', b'{"cluster_statuses": {}}', b"{", b"<html>", b""]
)
def test_errors_and_empty_answers_keep_their_wording(body):
    assert check(body, "backend_cluster") == parse_clusters(body)


def test_tally_counts_hosts_healthy_and_each_flag_once_per_host():
    def host(flags: set[HealthFlag] = set(), unknown: tuple[str, ...] = ()) -> HostStatus:  # noqa: B006
        return HostStatus("10.0.0.1", 80, frozenset(flags), unknown)

    hosts = [
        host(),
        host({HealthFlag.PENDING_ACTIVE_HC, HealthFlag.FAILED_ACTIVE_HC}),
        host({HealthFlag.FAILED_ACTIVE_HC}),
        host(unknown=("new_flag", "new_flag", "other")),
        host(),
    ]
    assert tally_of(hosts) == HostTally(
        5, 2, (("failed_active_hc", 2), ("pending_active_hc", 1), ("new_flag", 1), ("other", 1))
    )
    assert tally_of([]) == HostTally(0, 0, ())


def test_the_typed_count_of_every_health_status_is_tally_of_its_hosts():
    """Every boolean flag alone and with each EDS status, in one cluster counted in C."""
    doc = recorded_json("healthy", "clusters.json")
    template = doc["cluster_statuses"][3]["host_statuses"][0]
    statuses = [{}, None, {"eds_health_status": "WEIRD"}]
    for eds in ("HEALTHY", "UNHEALTHY", "DRAINING", "TIMEOUT", "DEGRADED", "UNKNOWN"):
        statuses.append({"eds_health_status": eds})
        for flag in typed_module._JSON_BOOL_FLAGS:
            statuses.append({"eds_health_status": eds, flag: True})
            statuses.append({"eds_health_status": eds, flag: False, "pending_active_hc": True})
    hosts = []
    for status in statuses:
        twin = json.loads(json.dumps(template))
        twin.pop("health_status", None)
        if status is not None:
            twin["health_status"] = status
        hosts.append(twin)
    doc["cluster_statuses"][3]["host_statuses"] = hosts
    body = json.dumps(doc).encode()
    read = check(body, "backend_cluster")
    counted = next(c for c in read.clusters if c.name == "eds_cluster")
    assert counted.tally is not None and counted.tally.hosts == len(statuses)
    assert counted.tally.healthy < counted.tally.hosts


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    changes=st.lists(st.tuples(st.sampled_from(_PLACES), _VALUES), min_size=1, max_size=3),
    name=st.sampled_from(NAMES),
    ascii_only=st.booleans(),
)
def test_any_value_anywhere_is_its_summary(changes, name, ascii_only):
    doc = _healthy()
    for (where, path), value in changes:
        _put(doc, where, path, value)
    check(json.dumps(doc, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass"), name)
