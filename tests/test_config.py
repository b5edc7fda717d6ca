"""Configuration: typed settings, search order, and one-line errors naming file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from darc_tui.cli import main
from darc_tui.config import ConfigError, find_config, load_config, parse_config

ROOT = Path(__file__).resolve().parent.parent

MINIMAL = """
[envoy]
admin_url = "http://127.0.0.1:9901"
[backend]
url = "http://127.0.0.1:18443"
"""


def error_of(text: str, tmp_path: Path) -> str:
    f = tmp_path / "darc.toml"
    f.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(f)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def test_example_config_loads_with_every_section() -> None:
    config = load_config(ROOT / "config.example.toml")
    assert config.envoy.host == "edge"
    assert config.hosts["app"].jump == "bastion"
    assert config.backend.address == ("10.0.0.100", 18443)
    assert config.envoy.cluster == "backend_cluster"
    assert config.ui.redact is True
    assert config.fleet is not None and config.fleet.ssh_host == "{instance_host}"


def test_wrong_type_names_file_line_and_key(tmp_path: Path) -> None:
    msg = error_of(MINIMAL + '[hosts.edge]\naddress = "e"\nport = "22"\n', tmp_path)
    assert msg.endswith("darc.toml:8: hosts.edge.port: expected an integer")


def test_malformed_toml_gives_line_and_column(tmp_path: Path) -> None:
    msg = error_of("[envoy\nx=1\n", tmp_path)
    assert msg.endswith(
        "darc.toml:1:7: invalid TOML: Expected ']' at the end of a table declaration"
    )


def test_unknown_key_lists_the_allowed_ones(tmp_path: Path) -> None:
    msg = error_of(MINIMAL + "[probes]\ninterval = 1\nintervall = 2\n", tmp_path)
    assert "probes.intervall: unknown key" in msg and "interval" in msg
    assert ":8:" in msg


def test_unknown_section(tmp_path: Path) -> None:
    assert "unknown section" in error_of(MINIMAL + "[envy]\n", tmp_path)


def test_unknown_host_name_is_refused(tmp_path: Path) -> None:
    msg = error_of(MINIMAL.replace("[envoy]", '[envoy]\nhost = "edge"'), tmp_path)
    assert "envoy.host: unknown host 'edge' (expected one of: local)" in msg


def test_unknown_jump_host_is_refused(tmp_path: Path) -> None:
    msg = error_of(MINIMAL + '[hosts.edge]\njump = "nowhere"\n', tmp_path)
    assert "hosts.edge.jump: unknown host 'nowhere'" in msg


def test_max_sessions_defaults_to_four_and_is_bounded(tmp_path: Path) -> None:
    config = parse_config(MINIMAL + "[hosts.edge]\n[hosts.app]\nmax_sessions = 2\n")
    assert (config.hosts["edge"].max_sessions, config.hosts["app"].max_sessions) == (4, 2)
    msg = error_of(MINIMAL + "[hosts.edge]\nmax_sessions = 0\n", tmp_path)
    assert "hosts.edge.max_sessions: expected a number from 1 to 64" in msg
    msg = error_of(MINIMAL + '[hosts.edge]\nmax_sessions = "4"\n', tmp_path)
    assert "hosts.edge.max_sessions" in msg


def test_a_jump_loop_is_refused_at_load(tmp_path: Path) -> None:
    text = MINIMAL + '[hosts.a]\njump = "b"\n[hosts.b]\njump = "c"\n[hosts.c]\njump = "a"\n'
    msg = error_of(text, tmp_path)
    assert "hosts.a.jump" in msg and "loop" in msg


def test_bad_url_and_bad_reload_method(tmp_path: Path) -> None:
    assert "backend.url: expected an http" in error_of(
        MINIMAL.replace("http://127.0.0.1:18443", "ftp://x"), tmp_path
    )
    assert "envoy.reload: expected one of" in error_of(
        MINIMAL.replace("[envoy]", '[envoy]\nreload = "hup"'), tmp_path
    )


def test_reload_command_required_for_command_method(tmp_path: Path) -> None:
    msg = error_of(MINIMAL.replace("[envoy]", '[envoy]\nreload = "command"'), tmp_path)
    assert "envoy.reload_command: required" in msg


def test_host_address_defaults_to_table_name() -> None:
    config = parse_config(MINIMAL + "[hosts.edge-1]\nuser = 'ops'\n")
    assert config.hosts["edge-1"].address == "edge-1"
    assert config.hosts["edge-1"].port == 22


def test_search_order_prefers_flag_then_env_then_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DARC_TUI_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    with pytest.raises(ConfigError, match="no configuration found"):
        find_config(None)
    (tmp_path / "darc-tui.toml").write_text(MINIMAL)
    assert find_config(None) == Path("darc-tui.toml")
    monkeypatch.setenv("DARC_TUI_CONFIG", "/env.toml")
    assert find_config(None) == Path("/env.toml")
    assert find_config("/flag.toml") == Path("/flag.toml")


def test_cli_prints_one_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(MINIMAL + "[probes]\ntimeout = true\n")
    assert main(["check", "-c", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "probes.timeout: expected a number" in err


def test_cli_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "-c", str(tmp_path / "nope.toml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_listener_identity_is_validated_and_the_ca_read_next_to_the_config(tmp_path: Path) -> None:
    with_url = MINIMAL
    assert "envoy.listener_host: expected a host name" in error_of(
        with_url.replace("[envoy]", '[envoy]\nlistener_host = "https://www.darc.kr/"'), tmp_path
    )
    assert "envoy.listener_ca: no such file" in error_of(
        with_url.replace("[envoy]", '[envoy]\nlistener_ca = "missing-ca.pem"'), tmp_path
    )
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    f = tmp_path / "ok.toml"
    f.write_text(with_url.replace("[envoy]", '[envoy]\nlistener_ca = "ca.pem"'))
    assert load_config(f).envoy.listener_ca == str(tmp_path / "ca.pem")
    assert "envoy.listener_verify: " in error_of(
        with_url.replace("[envoy]", '[envoy]\nlistener_verify = "no"'), tmp_path
    )
