"""[deploy] and the backend's version keys in the configuration."""

from __future__ import annotations

import pytest

from darc_tui.config import ConfigError, DeployConfig, parse_config

BASE = '[envoy]\nadmin_url = "http://127.0.0.1:9901"\n[backend]\nurl = "http://127.0.0.1:1"\n'


def test_defaults_are_five_minutes_before_and_until_now() -> None:
    assert parse_config(BASE).deploy == DeployConfig(300.0, 0.0, 5.0, 0.01)


def test_deploy_windows_and_version_source_are_read() -> None:
    text = BASE + 'version_header = "x-version"\n[deploy]\nbefore = 120\nmax_5xx_rate = 0.05\n'
    config = parse_config(text)
    assert config.backend.version_header == "x-version"
    assert (config.deploy.before, config.deploy.max_5xx_rate) == (120.0, 0.05)


@pytest.mark.parametrize("line", ["before = -1", "settle = nan", "after = inf", "before = 0"])
def test_a_bad_window_is_one_line_naming_the_key(line: str) -> None:
    key = line.split()[0]
    with pytest.raises(ConfigError, match=rf"<config>:6: deploy\.{key}: "):
        parse_config(BASE + "[deploy]\n" + line + "\n")
