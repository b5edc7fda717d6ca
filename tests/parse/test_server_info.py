import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from darc_tui.parse.server_info import ServerState, parse_ready, parse_server_info
from tests.parse.envoy_data import ENVOY_DATA, json_values, recorded


def test_live_server_info():
    info = parse_server_info(recorded("healthy", "server_info.json"))
    assert info.error == ""
    assert info.state is ServerState.LIVE
    assert info.semver == "1.40.0"
    assert info.version.endswith("/1.40.0/Clean/RELEASE/BoringSSL")
    assert info.hot_restart_version == "11.104"
    assert (info.restart_epoch, info.base_id, info.concurrency) == (0, 0, 1)
    assert info.config_path.endswith("/envoy.yaml")
    assert info.uptime_current_epoch is not None and info.uptime_all_epochs is not None
    assert info.node_id == "darc-capture"


@pytest.mark.parametrize(
    ("state", "expected"),
    [("pre_initializing", ServerState.PRE_INITIALIZING), ("draining", ServerState.DRAINING)],
)
def test_other_server_states(state, expected):
    assert parse_server_info(recorded(state, "server_info.json")).state is expected


@pytest.mark.parametrize(
    ("state", "word"),
    [("healthy", "LIVE"), ("pre_initializing", "PRE_INITIALIZING"), ("draining", "DRAINING")],
)
def test_ready_word_and_status(state, word):
    status = json.loads((ENVOY_DATA / state / "status_codes.json").read_text())["/ready"]
    ready = parse_ready(recorded(state, "ready.txt"), status)
    assert ready.state is ServerState(word) and ready.error == ""
    assert ready.live == (word == "LIVE")
    assert ready.status_code == (200 if word == "LIVE" else 503)


def test_ready_garbage_is_an_error():
    ready = parse_ready(b"<html>nginx</html>", 502)
    assert ready.state is None and "not a /ready answer" in ready.error
    assert parse_ready(b"").error == "empty /ready answer"


@pytest.mark.parametrize("body", [b"", b"<html></html>", b'{"version": "x"', b"[]", b'{"a": 1}'])
def test_server_info_garbage_is_an_error(body):
    info = parse_server_info(body)
    assert info.error and info.state is None


def test_unknown_state_word_is_kept_as_none_not_a_crash():
    info = parse_server_info(json.dumps({"version": "a/1.99.0/b", "state": "WARMING_UP"}))
    assert info.error == "" and info.state is None and info.semver == "1.99.0"


@settings(max_examples=200, deadline=None)
@given(json_values(), st.binary(max_size=100))
def test_any_input_never_raises(doc, raw):
    parse_server_info(json.dumps(doc))
    parse_server_info(json.dumps({"state": doc, "command_line_options": doc, "node": doc}))
    parse_ready(raw)
