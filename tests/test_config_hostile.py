"""Config values are validated: finite numbers in sane ranges, URLs that do not parse, jump loops —
each one line naming file:line and the key, never a traceback; `--since -10min` is accepted."""

from __future__ import annotations

import pytest

from darc_tui.cli import _glue_since, build_parser
from darc_tui.config import ConfigError, parse_config

BASE = '[envoy]\nadmin_url = "http://127.0.0.1:9901"\n[backend]\nurl = "http://127.0.0.1:1"\n'


@pytest.mark.parametrize(
    ("probes", "message"),
    [
        ("timeout = inf", "probes.timeout: expected a finite number, got inf"),
        ("interval = nan", "probes.interval: expected a finite number, got nan"),
        ("interval = -inf", "probes.interval: expected a finite number, got -inf"),
        ("interval = 1e308", "probes.interval: expected 0.05 to 3600 seconds, got 1e+308"),
        ("interval = 0.0", "probes.interval: expected 0.05 to 3600 seconds, got 0"),
        ("timeout = 9000", "probes.timeout: expected 0.001 to 600 seconds, got 9000"),
        ("calm_interval = -1", "probes.calm_interval: expected 0 .off. to 3600 seconds"),
        ("calm_interval = nan", "probes.calm_interval: expected a finite number, got nan"),
    ],
)
def test_numbers_must_be_finite_and_in_range(probes: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("+", r"\+")):
        parse_config(f"{BASE}[probes]\n{probes}\n")


def test_an_unparseable_url_is_one_line_without_the_password() -> None:
    text = BASE.replace("http://127.0.0.1:1", "http://ops:hunter2@[::1")
    with pytest.raises(ConfigError) as exc:
        parse_config(text)
    assert "backend.url: not a valid URL" in str(exc.value)
    assert "hunter2" not in str(exc.value) and "\n" not in str(exc.value)


def test_a_wrong_scheme_error_does_not_print_the_password() -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config(BASE.replace("http://127.0.0.1:1", "redis://:r3dispw@127.0.0.1:6379"))
    assert "r3dispw" not in str(exc.value) and "expected an http://" in str(exc.value)


def test_a_jump_loop_is_refused() -> None:
    hosts = (
        '[hosts.a]\njump = "b"\n[hosts.b]\njump = "c"\n[hosts.c]\njump = "a"\n'
        '[hosts.d]\njump = "a"\n'
    )
    with pytest.raises(ConfigError, match=r"hosts\.a\.jump: jump hosts form a loop: a → b → c → a"):
        parse_config(BASE + hosts)


def test_a_jump_chain_without_a_loop_is_fine() -> None:
    config = parse_config(BASE + '[hosts.a]\njump = "b"\n[hosts.b]\njump = "c"\n[hosts.c]\n')
    assert config.hosts["a"].jump == "b"


def test_since_minus_ten_minutes_is_accepted_as_documented() -> None:
    args = build_parser().parse_args(_glue_since(["logs", "--since", "-10min", "access"]))
    assert args.since == "-10min" and args.source == "access"
    args = build_parser().parse_args(_glue_since(["logs", "access", "--since=-2h"]))
    assert args.since == "-2h"


def test_an_endless_config_file_is_refused_not_read() -> None:
    from darc_tui.config import load_config

    with pytest.raises(ConfigError, match="/dev/zero: larger than 1024 KiB: not a config"):
        load_config("/dev/zero")
