import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from darc_tui.parse.envoy_validate import parse_validate_output
from tests.parse.envoy_data import ENVOY_DATA

VALIDATE = ENVOY_DATA / "validate"


def recorded(case: str):
    exit_status = int((VALIDATE / f"{case}.exit").read_text())
    return parse_validate_output(
        exit_status,
        (VALIDATE / f"{case}.stdout").read_bytes(),
        (VALIDATE / f"{case}.stderr").read_bytes(),
    )


def test_valid_file_is_ok_with_envoys_words():
    result = recorded("ok")
    assert (
        result.ok
        and result.message.startswith("configuration '")
        and result.message.endswith("' OK")
    )


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("yaml_error", "yaml-cpp: error at line 27, column 3: illegal block entry"),
        ("unknown_cluster", "route: unknown cluster 'nope'"),
        (
            "unknown_enum",
            "Protobuf message (type envoy.config.bootstrap.v3.Bootstrap reason INVALID_ARGUMENT",
        ),
        (
            "unknown_field",
            "Protobuf message (type envoy.config.bootstrap.v3.Bootstrap reason INVALID_ARGUMENT",
        ),
        ("missing_file", "Invalid path: /"),
    ],
)
def test_invalid_file_gives_envoys_reason_on_one_line(case, message):
    result = recorded(case)
    assert not result.ok
    assert result.message.startswith(message) and "\n" not in result.message


def test_long_protobuf_errors_keep_the_field_they_name():
    assert recorded("unknown_field").message.endswith(
        "(offset 703): no such field: 'bogus') has unknown fields"
    )
    assert "unknown enum value: 'STATIK'" in recorded("unknown_enum").message


def test_unrecognised_failure_falls_back_to_the_last_line_without_log_prefix():
    stderr = b"[2026-01-01 00:00:00.000][1][critical][main] [x.cc:1] something odd\n"
    assert parse_validate_output(1, b"", stderr).message == "something odd"
    assert parse_validate_output(139, b"", b"").message == "exit status 139"


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.integers()), st.binary(max_size=200), st.binary(max_size=200))
def test_any_output_never_raises(exit_status, stdout, stderr):
    result = parse_validate_output(exit_status, stdout, stderr)
    assert "\n" not in result.message
