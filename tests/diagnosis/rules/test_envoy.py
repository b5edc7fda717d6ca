"""Envoy itself: down, listener missing, admin unreachable."""

from __future__ import annotations

from darc_tui.diagnosis import diagnose
from darc_tui.model import Vantage
from tests.diagnosis import builders as b

LISTENER = "http://127.0.0.1:8080/api/health"


def causes(*evidence, **cfg) -> list[str]:
    return [f.cause for f in diagnose(b.state(*evidence), b.config(**cfg))]


def test_no_process_and_closed_ports_is_envoy_down() -> None:
    found = diagnose(
        b.state(
            b.process(running=False),
            b.ready_failed("refused"),
            b.http(Vantage.THROUGH_ENVOY, LISTENER, None, error="connection refused"),
            b.ports(22),
        ),
        b.config(),
    )
    assert [f.cause for f in found] == ["envoy.down"]
    top = found[0]
    assert "http://127.0.0.1:9901" in top.summary and "http://127.0.0.1:8080" in top.summary
    assert "systemctl status envoy" in top.next_steps
    assert "envoy --mode validate -c /etc/envoy/envoy.yaml" in top.next_steps


def test_closed_ports_without_a_process_list_is_envoy_down_with_less_confidence() -> None:
    sure = diagnose(
        b.state(
            b.process(running=False),
            b.ready_failed(),
            b.http(Vantage.THROUGH_ENVOY, LISTENER, None, error="connection refused"),
        ),
        b.config(),
    )[0]
    unsure = diagnose(
        b.state(
            b.ready_failed(),
            b.http(Vantage.THROUGH_ENVOY, LISTENER, None, error="connection refused"),
        ),
        b.config(),
    )[0]
    assert sure.cause == unsure.cause == "envoy.down"
    assert unsure.confidence < sure.confidence


def test_admin_refused_alone_names_nothing() -> None:
    assert causes(b.ready_failed()) == []


def test_running_envoy_without_its_listener_port_is_listener_missing() -> None:
    summary = b.recorded_running()
    found = diagnose(
        b.state(
            b.process(pid=777),
            b.ready(),
            b.ports(9901),
            b.http(Vantage.THROUGH_ENVOY, LISTENER, None, error="connection refused"),
            b.running(summary),
        ),
        b.config(),
    )
    assert found[0].cause == "envoy.listener_missing"
    assert "pid 777" in found[0].summary and "http://127.0.0.1:8080" in found[0].summary
    bound = summary.listener_ports[0]
    assert f"port {bound}" in found[0].summary  # the running config binds another port


def test_admin_behind_a_dead_ssh_link_is_not_admin_unreachable() -> None:
    found = diagnose(
        b.state(
            b.process(),  # seen before the link dropped
            b.ready_failed("host down: connection refused, retry in 2s"),
            b.http(Vantage.THROUGH_ENVOY, LISTENER, 200, local_reply=False),
        ),
        b.config(),
    )
    assert "envoy.admin_unreachable" not in [f.cause for f in found]


def test_refused_admin_while_envoy_serves_is_admin_unreachable() -> None:
    disk = b.recorded_running()
    found = diagnose(
        b.state(
            b.process(),
            b.ready_failed("refused"),
            b.http(Vantage.THROUGH_ENVOY, LISTENER, 200, local_reply=False),
            b.on_disk(disk),
        ),
        b.config(admin_url="http://127.0.0.1:9902"),
    )
    assert [f.cause for f in found] == ["envoy.admin_unreachable"]
    assert "http://127.0.0.1:9902" in found[0].summary
    assert f"port {disk.admin_port}" in found[0].summary


def test_envoy_down_explains_the_missing_listener_and_admin() -> None:
    assert causes(
        b.process(running=False),
        b.ready_failed(),
        b.ports(),
        b.http(Vantage.THROUGH_ENVOY, LISTENER, None, error="connection refused"),
    ) == ["envoy.down"]


def test_invalid_config_outranks_the_envoy_it_keeps_down() -> None:
    found = causes(
        b.process(running=False),
        b.ready_failed(),
        b.http(Vantage.THROUGH_ENVOY, LISTENER, None, error="connection refused"),
        b.validate(False, "Unable to parse JSON as proto (INVALID_ARGUMENT: unknown field)"),
    )
    assert found == ["config.invalid", "envoy.down"]


def test_remote_envoy_next_steps_run_over_ssh() -> None:
    found = diagnose(
        b.state(b.process(running=False), b.ready_failed(), b.ports()),
        b.config(envoy_host="edge"),
    )
    assert found[0].cause == "envoy.down"
    assert "ssh ops@edge.internal -- 'systemctl status envoy'" in found[0].next_steps
