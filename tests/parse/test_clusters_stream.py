"""Big /clusters answers the typed reading refuses are read one cluster at a time, and give the
very report the whole-document parse gives (built from the recorded real Envoy 1.40 answers).
The typed reading (msgspec, tests/parse/test_clusters_typed.py) is switched off here: it reads
every well-typed answer first, and these tests are about the stream behind it."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from darc_tui.parse import clusters as clusters_module
from darc_tui.parse.clusters import parse_clusters, parse_clusters_json
from tests.parse.envoy_data import STATES, recorded, recorded_json


def big_answer(copies: int) -> bytes:
    """Every cluster of every recorded state, `copies` times with distinct names and addresses,
    pretty-printed as Envoy sends it."""
    out: list[dict[str, Any]] = []
    for n in range(copies):
        for state in STATES:
            for cluster in recorded_json(state, "clusters.json")["cluster_statuses"]:
                twin = copy.deepcopy(cluster)
                twin["name"] = f"{cluster['name']}_{state}_{n}"
                for i, host in enumerate(twin.get("host_statuses", [])):
                    sock = host.get("address", {}).get("socket_address")
                    if sock:
                        sock["address"] = f"10.{n // 250}.{n % 250}.{i % 250}"
                out.append(twin)
    return json.dumps({"cluster_statuses": out}, indent=1).encode()


def whole_document(body: bytes) -> Any:
    """The previous way: one full document (text → orjson/json), then the same builders."""
    return parse_clusters_json(body.decode())


@pytest.fixture(autouse=True)
def _stream_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clusters_module, "_decode_typed", lambda data, hosts_of=None: None)


# cluster by cluster (the default), or host by host (what a cluster over the budget gets)
BUDGETS = pytest.mark.parametrize("budget", [clusters_module.CLUSTER_TEXT_BUDGET, 0])


@BUDGETS
def test_a_big_answer_gives_the_same_report_as_the_whole_document_parse(budget, monkeypatch):
    body = big_answer(200)
    expected = whole_document(body)
    assert expected.error == "" and len(expected.clusters) > 1000
    # the streamed path alone: the whole-document fallback is not reachable here
    monkeypatch.setattr(clusters_module, "parse_clusters_json", _no_fallback)
    monkeypatch.setattr(clusters_module, "CLUSTER_TEXT_BUDGET", budget)
    assert parse_clusters(body) == expected


@BUDGETS
@pytest.mark.parametrize("state", STATES)
def test_each_recorded_answer_streams_to_the_same_report(state, budget, monkeypatch):
    body = recorded(state, "clusters.json")
    expected = whole_document(body)
    monkeypatch.setattr(clusters_module, "parse_clusters_json", _no_fallback)
    monkeypatch.setattr(clusters_module, "CLUSTER_TEXT_BUDGET", budget)
    assert parse_clusters(body) == expected


def test_host_by_host_keeps_odd_shapes_as_the_whole_document_does(monkeypatch):
    """Non-object clusters and hosts are skipped, a repeated host_statuses key: the last wins,
    a cluster without a name is dropped, hosts stay with their own cluster."""
    doc = recorded_json("healthy", "clusters.json")
    first = doc["cluster_statuses"][0]
    hosts = json.dumps(first["host_statuses"])
    statuses = ",".join(json.dumps(c) for c in doc["cluster_statuses"][1:])
    body = (
        '{"cluster_statuses": [7, {"name": "twice", "host_statuses": [1, {"weight": 2}],'
        f' "host_statuses": {hosts}}}, {{"host_statuses": {hosts}}}, "x", {statuses}]}}'
    ).encode()
    expected = whole_document(body)
    monkeypatch.setattr(clusters_module, "parse_clusters_json", _no_fallback)
    monkeypatch.setattr(clusters_module, "CLUSTER_TEXT_BUDGET", 0)
    streamed = parse_clusters(body)
    assert streamed == expected
    assert streamed.clusters[0].name == "twice" and len(streamed.clusters[0].hosts) == len(
        first["host_statuses"]
    )


def _no_fallback(body: object) -> object:
    raise AssertionError("the whole-document path was taken")


def test_names_with_escaped_terminal_controls_are_cleaned_alike_on_both_paths():
    doc = recorded_json("healthy", "clusters.json")
    doc["cluster_statuses"][0]["name"] = "evil\u001b]0;title\u0007"
    doc["cluster_statuses"][0]["host_statuses"][0]["hostname"] = "h\u009bost"
    body = json.dumps(doc).encode()
    streamed = parse_clusters(body)
    assert streamed == whole_document(body)
    assert "\x1b" not in streamed.clusters[0].name and "\x9b" not in repr(streamed)


@pytest.mark.parametrize(
    "body, needle",
    [
        (b'{"cluster_statuses": [{"name": "a"}', "not JSON"),  # cut short
        (b'{"cluster_statuses": [{"name": "a"}]} trailing', "not JSON"),
        (b'{"other": 1}', "no cluster_statuses"),
        (b'{"cluster_statuses": [{"name": "\xff\xfe"}]}', ""),  # invalid UTF-8: replaced, read
    ],
)
@BUDGETS
def test_bytes_the_stream_refuses_get_the_whole_document_wording(body, needle, budget, monkeypatch):
    monkeypatch.setattr(clusters_module, "CLUSTER_TEXT_BUDGET", budget)
    report = parse_clusters(body)
    assert report == parse_clusters_json(body)
    assert needle in report.error if needle else report.error == ""


@BUDGETS
@pytest.mark.parametrize(
    "cut, needle",
    [(-3, "not JSON: parse error: premature EOF"), (None, "no cluster listed")],
)
def test_a_big_answer_the_stream_refuses_is_an_error_without_a_second_whole_read(
    cut, needle, budget, monkeypatch
):
    body = big_answer(200)
    assert len(body) > clusters_module.WHOLE_DOCUMENT_LIMIT
    if cut is None:  # valid JSON, but not a /clusters answer
        body = body.replace(b'"cluster_statuses"', b'"something_else"', 1)
    else:
        body = body[:cut]
    monkeypatch.setattr(clusters_module, "parse_clusters_json", _no_fallback)
    monkeypatch.setattr(clusters_module, "CLUSTER_TEXT_BUDGET", budget)
    report = parse_clusters(body)
    assert report.clusters == () and needle in report.error, report.error
