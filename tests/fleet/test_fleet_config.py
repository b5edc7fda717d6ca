"""[fleet] in the configuration: validated with file:line, and what the drill-down makes of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from darc_tui.cli import main
from darc_tui.config import LOCAL, ConfigError, parse_config
from darc_tui.demo.lab import free_port
from darc_tui.fleet.drill import DrillError, drill_config, template_fields

BASE = """
[envoy]
admin_url = "http://127.0.0.1:9901"
[backend]
url = "http://127.0.0.1:18443"
"""


def config(fleet: str):  # type: ignore[no-untyped-def]
    return parse_config(BASE + "[fleet]\n" + fleet, Path("f.toml"))


def test_fleet_defaults_and_templates() -> None:
    cfg = config('prometheus_url = "https://mimir.example/prometheus"\n')
    assert cfg.fleet is not None
    assert (cfg.fleet.job, cfg.fleet.instance_label, cfg.fleet.refresh) == (
        "envoy",
        "instance",
        5.0,
    )
    assert parse_config(BASE).fleet is None


@pytest.mark.parametrize(
    ("fleet", "message"),
    [
        ("job = 'envoy'\n", "f.toml:6: fleet.prometheus_url: required"),
        ("prometheus_url = 'ftp://x'\n", "fleet.prometheus_url: expected an http"),
        ("prometheus_url = 'http://p:9090'\nssh_host = '{host}'\n", "unknown placeholder {host}"),
        ("prometheus_url = 'http://p:9090'\nrefresh = 0\n", "f.toml:8: fleet.refresh: must be"),
        ("prometheus_url = 'http://p:9090'\ninstance_label = 'a-b'\n", "a Prometheus label name"),
        ("prometheus_url = 'http://p:9090'\nheaders = { X = 1 }\n", "fleet.headers: expected"),
        ("prometheus_url = 'http://p:9090'\ncert_file = 'c.pem'\n", "fleet.key_file: set both"),
        ("prometheus_url = 'http://p:9090'\nnope = 1\n", "fleet.nope: unknown key"),
        (
            "prometheus_url = 'http://p:9090'\n[fleet.envoy]\nport = '1'\n",
            "fleet.envoy.port: unknown key",
        ),
    ],
)
def test_bad_fleet_values_are_one_line_naming_the_key(fleet: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("{", r"\{").replace(".", r"\.")):
        config(fleet)


def test_template_fields_split_host_and_port() -> None:
    assert template_fields("10.1.2.3:9901", "envoy")["instance_host"] == "10.1.2.3"
    assert template_fields("[::1]:9901", "envoy")["instance_host"] == "::1"
    assert template_fields("edge-7", "envoy") == {
        "instance": "edge-7",
        "instance_host": "edge-7",
        "instance_port": "",
        "job": "envoy",
    }


def test_drill_config_maps_an_instance_to_its_host_and_admin() -> None:
    cfg = config(
        "prometheus_url = 'http://p:9090'\n"
        "[fleet.envoy]\nadmin_url = 'http://127.0.0.1:{instance_port}'\n"
    )
    drilled = drill_config(cfg, "edge-3.internal:9902")
    assert drilled.envoy.host == "edge-3.internal"
    assert drilled.hosts["edge-3.internal"].address == "edge-3.internal"
    assert drilled.envoy.admin_url == "http://127.0.0.1:9902"
    assert drill_config(config("prometheus_url = 'http://p'\nssh_host = 'local'\n"), "x:1")
    assert (
        drill_config(config("prometheus_url = 'http://p'\nssh_host = 'local'\n"), "x:1").envoy.host
        == LOCAL
    )
    with pytest.raises(DrillError, match="not a host name"):
        drill_config(config("prometheus_url = 'http://p'\nssh_host = '{instance}'\n"), "a b")


def test_an_address_inherits_the_ssh_like_host() -> None:
    hosts = (
        '[hosts.bastion]\naddress = "127.0.0.1"\n'
        '[hosts.edge]\naddress = "edge-1"\nuser = "ops"\njump = "bastion"\nport = 2222\n'
    )
    cfg = parse_config(
        BASE + hosts + "[fleet]\nprometheus_url = 'http://p'\nssh_like = 'edge'\n", Path("f.toml")
    )
    host = drill_config(cfg, "10.1.2.3:9901").hosts["10.1.2.3"]
    assert (host.address, host.user, host.jump, host.port) == ("10.1.2.3", "ops", "bastion", 2222)
    with pytest.raises(ConfigError, match=r"fleet\.ssh_like: unknown host 'nope'"):
        config("prometheus_url = 'http://p'\nssh_like = 'nope'\n")


def test_fleet_command_without_fleet_section_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(BASE)
    assert main(["fleet", "-c", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has no [fleet] section" in err


def test_unreachable_prometheus_is_exit_2_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.toml"
    port = free_port()  # nothing listens there
    path.write_text(BASE + f"[fleet]\nprometheus_url = 'http://127.0.0.1:{port}'\ntimeout = 1\n")
    assert main(["fleet", "-c", str(path), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and f"127.0.0.1:{port}/api/v1/query" in err
