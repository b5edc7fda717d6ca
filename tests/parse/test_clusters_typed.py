"""The typed reading of /clusters?format=json (msgspec, darc_tui/parse/_clusters_typed.py) gives
the very report the whole-document parse gives, on the recorded real Envoy 1.40 answers and on
hostile variants of them; what its schema refuses is read as before (the stream, then the whole
document), with the same wording."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from darc_tui.parse import _clusters_typed as typed_module
from darc_tui.parse import clusters as clusters_module
from darc_tui.parse._clusters_typed import decode_clusters
from darc_tui.parse.clusters import ClustersReport, parse_clusters, parse_clusters_json
from tests.parse.envoy_data import STATES, recorded, recorded_json
from tests.parse.test_clusters_stream import big_answer


@pytest.fixture
def at_once(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Each host list decoded in one call (the default), or host by host (a list over AT_ONCE)."""
    budget: int = request.param
    monkeypatch.setattr(typed_module, "AT_ONCE", budget)
    return budget


def whole_document(body: bytes) -> ClustersReport:
    """The reference: one full document (text → orjson/json), then the same builders."""
    return parse_clusters_json(body)


def before(body: bytes, monkeypatch: pytest.MonkeyPatch) -> ClustersReport:
    """What parse_clusters gave before the typed reading existed (the stream, then the whole
    document)."""
    with monkeypatch.context() as patch:
        patch.setattr(clusters_module, "_decode_typed", lambda data, hosts_of=None: None)
        return parse_clusters(body)


def typed(body: bytes) -> ClustersReport | None:
    """The typed reading alone (None: refused)."""
    built = decode_clusters(body)
    return None if built is None else ClustersReport(tuple(c for c in built if c.name))


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("at_once", [typed_module.AT_ONCE, 0], indirect=True)
def test_each_recorded_answer_is_read_typed_into_the_whole_document_report(state, at_once):
    body = recorded(state, "clusters.json")
    expected = whole_document(body)
    assert expected.error == "" and expected.clusters
    assert typed(body) == expected
    assert parse_clusters(body) == expected


@pytest.mark.parametrize("at_once", [typed_module.AT_ONCE, 0], indirect=True)
def test_a_big_answer_is_read_typed_into_the_whole_document_report(at_once):
    body = big_answer(200)
    expected = whole_document(body)
    assert expected.error == "" and len(expected.clusters) > 1000
    assert typed(body) == expected


def _healthy() -> dict[str, Any]:
    return copy.deepcopy(recorded_json("healthy", "clusters.json"))


def _first_host(doc: dict[str, Any]) -> dict[str, Any]:
    host: dict[str, Any] = doc["cluster_statuses"][0]["host_statuses"][0]
    return host


def _set_host(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda doc: _first_host(doc).update(fields)


def _set_cluster(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc["cluster_statuses"][0].update(fields)


def _set_stat(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        for stat in _first_host(doc)["stats"]:
            if stat["name"] == name:
                stat["value"] = value

    return change


def _repeat_without_value(doc: dict[str, Any]) -> None:
    stats = _first_host(doc)["stats"]
    stats += [{"name": "cx_total", "value": "9"}, {"name": "cx_total"}]  # omitted = 0, last wins


def _sock(**fields: Any) -> dict[str, Any]:
    return {"socket_address": fields}


# (id, change to the healthy answer): every one is read by the typed path
READ_TYPED: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    (
        "escaped terminal controls in names",
        _set_cluster(
            name="evil\u001b]0;t\u0007", observability_name="o\u009bx", eds_service_name="e\nf"
        ),
    ),
    ("bidi override and C1 in hostname", _set_host(hostname="\u202eh\u0085ost\u2028")),
    (
        "controls in the address",
        _set_host(address=_sock(address="10.0.0.1\u001b[2J", port_value=1)),
    ),
    ("a huge hostname", _set_host(hostname="h" * 3_000_000 + "\u0007")),
    ("a pipe address", _set_host(address={"pipe": {"path": "/run/envoy.sock", "mode": 384}})),
    (
        "an internal address",
        _set_host(address={"envoy_internal_address": {"server_listener_name": "l"}}),
    ),
    (
        "an empty socket_address falls to the pipe",
        _set_host(address={"socket_address": {}, "pipe": {"path": "/p"}}),
    ),
    ("a socket_address without address", _set_host(address=_sock(protocol="TCP"))),
    ("no address at all", lambda doc: _first_host(doc).pop("address")),
    ("port as a string", _set_host(address=_sock(address="a", port_value="8080"))),
    ("port as a float", _set_host(address=_sock(address="a", port_value=80.0))),
    ("port as a bool", _set_host(address=_sock(address="a", port_value=True))),
    ("port beyond 64 bits", _set_host(address=_sock(address="a", port_value=2**70))),
    ("weight as text", _set_host(weight="abc")),
    ("weight as a decimal string", _set_host(weight=" 7 ")),
    ("priority as a float", _set_host(priority=2.0)),
    ("priority null", _set_host(priority=None)),
    ("hostname as a number", _set_host(hostname=5)),
    ("a stat value with a decimal point", _set_stat("cx_total", "3.0")),
    ("a stat value with spaces", _set_stat("cx_total", " 7 ")),
    ("a stat value in Arabic-Indic digits", _set_stat("cx_total", "\u0663")),
    ("a stat value of 21 digits", _set_stat("cx_total", "1" * 21)),
    ("a stat value as a JSON number", _set_stat("cx_total", 12)),
    ("a negative stat value", _set_stat("cx_total", -4)),
    ("a stat value beyond 64 bits", _set_stat("rq_total", 2**80)),
    (
        "a repeated stat: the last wins",
        lambda doc: _first_host(doc)["stats"].append({"name": "cx_total", "value": "99"}),
    ),
    ("a repeated stat without a value: 0 wins", _repeat_without_value),
    (
        "an unknown stat",
        lambda doc: _first_host(doc)["stats"].append({"name": "new", "value": "x"}),
    ),
    (
        "every boolean health flag",
        _set_host(
            health_status={k: True for k in clusters_module._JSON_BOOL_FLAGS}
            | {"eds_health_status": "DRAINING"}
        ),
    ),
    ("an unknown EDS health status", _set_host(health_status={"eds_health_status": "WEIRD"})),
    (
        "a success rate",
        _set_host(success_rate={"value": 93.5}, local_origin_success_rate={"value": "88"}),
    ),
    ("a success rate that is not a number", _set_host(success_rate={"value": "NaN"})),
    ("an empty success rate", _set_host(success_rate={})),
    (
        "thresholds of odd types",
        lambda doc: doc["cluster_statuses"][0]["circuit_breakers"]["thresholds"].append(
            {"priority": 3, "max_connections": "1024", "max_retries": 2.5}
        ),
    ),
    ("an ejection threshold", _set_cluster(success_rate_ejection_threshold={"value": 1.9})),
    ("added_via_api as a string", _set_cluster(added_via_api="true")),
    ("added_via_api true", _set_cluster(added_via_api=True)),
    ("a cluster without a name is dropped", _set_cluster(name=None)),
    ("a cluster named by a number is dropped", _set_cluster(name=5)),
    ("a cluster without hosts", _set_cluster(host_statuses=[])),
    (
        "unknown fields of every type",
        _set_host(locality={"zone": [1, {"a": None}], "big": 2**90, "f": 1e300}),
    ),
]


@pytest.mark.parametrize("change", [c for _, c in READ_TYPED], ids=[i for i, _ in READ_TYPED])
@pytest.mark.parametrize("at_once", [typed_module.AT_ONCE, 0], indirect=True)
def test_a_hostile_variant_read_typed_gives_the_whole_document_report(change, at_once):
    doc = _healthy()
    change(doc)
    body = json.dumps(doc, indent=1).encode()
    expected = whole_document(body)
    assert typed(body) == expected
    assert parse_clusters(body) == expected


def _raw_variant(old: bytes, new: bytes) -> bytes:
    body = recorded("healthy", "clusters.json")
    assert old in body
    return body.replace(old, new, 1)


# raw bytes a JSON encoder would not write
RAW_READ_TYPED = [
    (
        "repeated keys: the last wins",
        b'"name": "cx_total"',
        b'"name": "cx_connect_fail", "name": "cx_total"',
    ),
    (
        "repeated host_statuses: the last wins",
        b'"host_statuses": [',
        b'"host_statuses": [1, 2], "host_statuses": [',
    ),
    ("invalid UTF-8 in a field not read", b'"locality": {}', b'"locality": {"zone": "\xff\xfe"}'),
    (
        "raw non-ASCII and DEL in a name",
        b'"name": "backend_cluster"',
        '"name": "b\u00e9\u202e\x7f"'.encode(),
    ),
]


@pytest.mark.parametrize(
    "old, new", [(o, n) for _, o, n in RAW_READ_TYPED], ids=[i for i, _, _ in RAW_READ_TYPED]
)
@pytest.mark.parametrize("at_once", [typed_module.AT_ONCE, 0], indirect=True)
def test_raw_bytes_read_typed_give_the_whole_document_report(old, new, at_once):
    body = _raw_variant(old, new)
    expected = whole_document(body)
    assert typed(body) == expected
    assert parse_clusters(body) == expected


# what the schema refuses: read as before, with the same wording
REFUSED = [
    (
        "a health flag as a string",
        b'"eds_health_status": "HEALTHY"',
        b'"eds_health_status": "HEALTHY", "pending_active_hc": "yes"',
    ),
    ("an EDS status as a number", b'"eds_health_status": "HEALTHY"', b'"eds_health_status": 1'),
    ("a stat value as a float", b'"value": "3"', b'"value": 2.5'),
    ("a stat name as a number", b'"name": "cx_total"', b'"name": 7'),
    ("a host that is not an object", b'"host_statuses": [', b'"host_statuses": [7, '),
    ("a cluster that is not an object", b'"cluster_statuses": [', b'"cluster_statuses": ["x", '),
    ("an address that is a string", b'"address": {', b'"address": "a", "x": {'),
    ("invalid UTF-8 in a name", b'"name": "backend_cluster"', b'"name": "back\xffend"'),
    ("a raw control character in a string", b'"name": "backend_cluster"', b'"name": "back\x01end"'),
    ("a lone surrogate", b'"name": "backend_cluster"', b'"name": "\\ud800"'),
    ("NaN", b'"weight": 1', b'"weight": NaN'),
    ("a number out of range", b'"weight": 1', b'"weight": 1e400'),
    ("trailing bytes", b"}\n", b"} trailing"),
    ("cut short", b'"circuit_breakers"', b'"circuit_bre'),
]


@pytest.mark.parametrize(
    "old, new", [(o, n) for _, o, n in REFUSED], ids=[i for i, _, _ in REFUSED]
)
def test_what_the_schema_refuses_is_read_as_before(old, new, monkeypatch):
    body = _raw_variant(old, new)
    if new == b'"circuit_bre':
        body = body[: body.index(new) + len(new)]
    assert typed(body) is None
    assert parse_clusters(body) == before(body, monkeypatch)


@pytest.mark.parametrize(
    "body", [b"{}", b'{"other": 1}', b'{"cluster_statuses": []}', b'{"cluster_statuses": {}}']
)
def test_documents_without_clusters_keep_their_wording(body, monkeypatch):
    assert typed(body) is None
    assert parse_clusters(body) == before(body, monkeypatch) == whole_document(body)


@pytest.mark.parametrize(
    "depth, padding, refused", [(2_000, 0, False), (200_000, 0, False), (200_000, 2**21, False),
                                (200_000, 0, True), (200_000, 2**21, True)],
)  # fmt: skip
def test_a_document_nested_too_deeply_gets_the_whole_document_wording_at_once(
    depth, padding, refused
):
    """Deep nesting in a field not read: the stream behind the typed reading crawled through
    200 000 levels for minutes; the whole-document path refuses it, and so does this one, also
    for an answer too big to be read again as one document, and one the schema refuses first
    (a cluster that is not an object)."""
    deep = b"[" * depth + b"]" * depth
    pad = b', "pad": "' + b"x" * padding + b'"'
    body = _raw_variant(b'"locality": {}', b'"locality": ' + deep + pad)
    if refused:  # before the deep part: msgspec stops there, the stream would go on
        body = body.replace(b'"cluster_statuses": [', b'"cluster_statuses": ["x", ', 1)
        assert decode_clusters(body) is None
    assert (len(body) > clusters_module.WHOLE_DOCUMENT_LIMIT) == (padding > 0)
    report = parse_clusters(body)
    assert report == whole_document(body)
    assert report.error == "not JSON: nested too deeply"


def test_a_64_mib_answer_cut_short_is_the_error_it_was():
    body = big_answer(200)
    inner = body[body.index(b"[") + 1 : body.rindex(b"]")]
    copies = 64 * 2**20 // len(inner) + 1
    huge = b'{"cluster_statuses": [' + b",".join([inner] * copies) + b"]}"
    assert len(huge) > 64 * 2**20
    cut = huge[: -len(huge) // 3]
    assert typed(cut) is None
    report = parse_clusters(cut)
    assert report.clusters == () and report.error.startswith("not JSON: parse error"), report.error


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
# every place the builders read, at the cluster (c) or its first host (h)
_PLACES = [
    ("c", ("name",)), ("c", ("added_via_api",)), ("c", ("observability_name",)),
    ("c", ("eds_service_name",)), ("c", ("success_rate_ejection_threshold",)),
    ("c", ("success_rate_ejection_threshold", "value")), ("c", ("circuit_breakers",)),
    ("c", ("circuit_breakers", "thresholds")), ("c", ("circuit_breakers", "thresholds", 0)),
    ("c", ("circuit_breakers", "thresholds", 0, "priority")),
    ("c", ("circuit_breakers", "thresholds", 0, "max_retries")), ("c", ("host_statuses",)),
    ("h", ("address",)), ("h", ("address", "socket_address")),
    ("h", ("address", "socket_address", "address")),
    ("h", ("address", "socket_address", "port_value")), ("h", ("address", "pipe")),
    ("h", ("address", "envoy_internal_address")), ("h", ("stats",)), ("h", ("stats", 0)),
    ("h", ("stats", 1, "value")), ("h", ("stats", 1, "name")), ("h", ("health_status",)),
    ("h", ("health_status", "pending_active_hc")), ("h", ("health_status", "eds_health_status")),
    ("h", ("hostname",)), ("h", ("weight",)), ("h", ("priority",)), ("h", ("success_rate",)),
    ("h", ("success_rate", "value")), ("h", ("local_origin_success_rate", "value")),
]  # fmt: skip


def _put(doc: dict[str, Any], where: str, path: tuple[Any, ...], value: Any) -> None:
    node: Any = doc["cluster_statuses"][0]
    if where == "h":
        node = _child(_child(node, "host_statuses"), 0)
    for key in path[:-1]:
        node = _child(node, key)
    last = path[-1]
    if (isinstance(node, dict) and isinstance(last, str)) or (
        isinstance(node, list) and isinstance(last, int) and last < len(node)
    ):
        node[last] = value


def _child(node: Any, key: str | int) -> Any:
    if isinstance(node, dict) and isinstance(key, str):
        return node.get(key)
    if isinstance(node, list) and isinstance(key, int) and key < len(node):
        return node[key]
    return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    changes=st.lists(st.tuples(st.sampled_from(_PLACES), _VALUES), min_size=1, max_size=3),
    ascii_only=st.booleans(),
    host_by_host=st.booleans(),
)
def test_any_value_anywhere_read_typed_is_the_whole_document_report_else_as_before(
    changes, ascii_only, host_by_host
):
    doc = _healthy()
    for (where, path), value in changes:
        _put(doc, where, path, value)
    body = json.dumps(doc, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    with pytest.MonkeyPatch.context() as patch:
        if host_by_host:
            patch.setattr(typed_module, "AT_ONCE", 0)
        read = typed(body)
        if read is not None:
            assert read == whole_document(body)
            assert parse_clusters(body) == read
        else:
            assert parse_clusters(body) == before(body, patch)
