"""The reload flow end to end against a real Envoy: validate → apply → verify → audit."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import time
from collections.abc import Callable
from pathlib import Path

from darc_tui.actions import audit
from darc_tui.actions.plan import Outcome
from darc_tui.actions.reload import apply_reload, cancel_reload, prepare_reload
from darc_tui.config import Config, EnvoyConfig, UiConfig
from darc_tui.demo.envoy_yaml import Endpoint
from darc_tui.hosts import build_hosts
from darc_tui.parse.config_dump import parse_config_dump
from tests.actions.conftest import WrappedEnvoy, local_hosts, pid_alive, wait_until
from tests.actions.loadgen import LoadGenerator
from tests.lab.envoy import MakeLab
from tests.lab.sshd import Sshd


async def wait_gone(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        assert time.monotonic() < deadline, f"pid {pid} still running after {timeout}s"
        await asyncio.sleep(0.05)


async def test_valid_change_reloads_under_load_without_one_failed_request(
    wrapped: WrappedEnvoy,
) -> None:
    config, hosts = wrapped.config(), local_hosts()
    old = wrapped.status()
    assert old is not None and old.pid is not None
    wrapped.rewrite(hc_interval=0.7)

    plan = await prepare_reload(config, hosts)

    assert plan.ready, plan.refusal
    assert plan.validation_ok and plan.action == ("kill", "-HUP", str(old.wrapper_pid))
    assert any("health check" in line and "interval 0.7s" in line for line in plan.diff), plan.diff
    load = LoadGenerator(f"{wrapped.spec.listener_url}/api/health", clients=4, max_seconds=30)
    async with load.running():
        await load.wait_for_ok(50)
        result = await apply_reload(plan, config, hosts)
        await wait_gone(old.pid, 20)  # keep the load on until the old epoch has drained and gone

    assert result.outcome is Outcome.OK, result.lines()
    assert result.epoch_after == 1 and wrapped.epoch() == 1
    running = parse_config_dump(wrapped.config_dump_text())
    cluster = running.cluster(wrapped.spec.cluster_name)
    assert cluster is not None and cluster.health_check is not None
    assert cluster.health_check.interval == 0.7
    assert load.failures == [] and load.ok > 100, (load.ok, load.failures[:5])
    (entry,) = audit.read()
    assert (entry["outcome"], entry["method"], entry["host"]) == ("ok", "hot-restart", "local")
    assert entry["config_sha256"] == plan.config_sha256 and entry["validation"]["ok"] is True
    print(
        f"\nreload-to-verified {result.reload_ms:.0f} ms (validate {plan.validate_ms:.0f} ms); "
        f"{load.sent} requests through Envoy by 4 clients, {len(load.failures)} failed"
    )


async def test_invalid_config_is_refused_with_the_validators_message(
    wrapped: WrappedEnvoy,
) -> None:
    config, hosts = wrapped.config(), local_hosts()
    before = wrapped.status()
    assert before is not None
    text = wrapped.yaml_path.read_text()
    wrapped.yaml_path.write_text(text.replace("port_value:", "port_valu:", 1))

    plan = await prepare_reload(config, hosts)
    result = await apply_reload(plan, config, hosts)

    assert plan.refusal is not None and "does not validate" in plan.refusal
    assert "no such field: 'port_valu'" in plan.refusal
    assert result.outcome is Outcome.REFUSED
    after = wrapped.status()
    assert after is not None and (after.pid, after.epoch, after.hup_seq) == (
        before.pid,
        0,
        before.hup_seq,
    )
    assert wrapped.epoch() == 0
    (entry,) = audit.read()
    assert entry["outcome"] == "refused" and entry["validation"]["ok"] is False
    assert "port_valu" in entry["validation"]["output"]


async def test_new_epoch_that_cannot_bind_fails_and_the_old_envoy_keeps_serving(
    wrapped: WrappedEnvoy,
) -> None:
    config, hosts = wrapped.config(), local_hosts()
    old = wrapped.status()
    assert old is not None and old.pid is not None
    with socket.socket() as blocker:  # another process holds the port the new config wants
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        wrapped.rewrite(listener_port=blocker.getsockname()[1])
        plan = await prepare_reload(config, hosts)
        assert plan.ready, plan.refusal  # it validates: validation does not bind ports
        result = await apply_reload(plan, config, hosts)

    assert result.outcome is Outcome.FAILED, result.lines()
    assert f"epoch 0 (pid {old.pid}) keeps serving" in result.message
    assert any("Address already in use" in line for line in result.details)
    assert pid_alive(old.pid) and wrapped.get() == 200
    status = wrapped.status()
    assert status is not None and (status.pid, status.epoch) == (old.pid, 0)
    assert audit.read()[0]["outcome"] == "failed" and "keeps serving" in audit.read()[0]["message"]

    wrapped.rewrite(hc_interval=0.7)  # the operator fixes the file and tries again
    retry = await prepare_reload(config, hosts)
    assert retry.ready, retry.refusal  # old epoch's admin is gone, yet the wrapper knows it is LIVE
    fixed = await apply_reload(retry, config, hosts)

    assert fixed.outcome is Outcome.OK, fixed.lines()
    assert fixed.epoch_after == 1 and wrapped.epoch() == 1
    assert [e["outcome"] for e in audit.read()] == ["failed", "ok"]


async def test_hot_restart_of_a_bare_envoy_is_refused_with_the_reason(
    make_lab: MakeLab, tmp_path: Path
) -> None:
    lab = make_lab()
    assert lab.envoy.pid is not None
    pid_file = tmp_path / "envoy.pid"
    pid_file.write_text(f"{lab.envoy.pid}\n")
    envoy = EnvoyConfig(
        admin_url=lab.admin_url,
        config_path=str(lab.yaml_path),
        binary=str(lab.binary),
        reload="hot-restart",
        wrapper_pid_file=str(pid_file),
    )
    config, hosts = Config(envoy=envoy), local_hosts()

    plan = await prepare_reload(config, hosts)
    result = await apply_reload(plan, config, hosts)

    assert plan.refusal is not None
    assert f"pid {lab.envoy.pid} is Envoy itself" in plan.refusal
    assert "ignores SIGHUP" in plan.refusal
    assert plan.validation_ok  # the config itself is fine: the method is what cannot work
    assert result.outcome is Outcome.REFUSED
    assert lab.envoy.running
    assert audit.read()[0]["outcome"] == "refused"


async def test_read_only_refuses_everything_without_touching_the_host() -> None:
    hosts = local_hosts()
    envoy = EnvoyConfig(config_path="/nonexistent/envoy.yaml", reload="hot-restart")

    from_config = await prepare_reload(Config(envoy=envoy, ui=UiConfig(read_only=True)), hosts)
    from_flag = await prepare_reload(Config(envoy=envoy), hosts, read_only=True)
    result = await apply_reload(from_flag, Config(envoy=envoy), hosts)

    for plan in (from_config, from_flag):
        assert plan.refusal is not None and plan.refusal.startswith("read-only mode")
        assert plan.validation is None and plan.action == ()
    assert result.outcome is Outcome.REFUSED
    assert [e["outcome"] for e in audit.read()] == ["refused"]


async def test_command_method_verifies_and_refuses_a_file_edited_after_validation(
    wrapped: WrappedEnvoy,
) -> None:
    hosts = local_hosts()
    does_nothing = wrapped.config(reload="command", reload_command="true")
    wrapped.rewrite(hc_interval=0.7)

    nothing = await apply_reload(
        await prepare_reload(does_nothing, hosts), does_nothing, hosts, timeout=1
    )

    assert nothing.outcome is Outcome.UNVERIFIED, nothing.lines()
    assert "restart epoch still 0" in nothing.message

    config = wrapped.config(reload="command", reload_command=f"kill -HUP {wrapped.wrapper_pid}")
    plan = await prepare_reload(config, hosts)
    wrapped.rewrite(hc_interval=0.8)  # someone edits the file while the operator reads the plan

    stale = await apply_reload(plan, config, hosts)

    assert stale.outcome is Outcome.REFUSED and "changed since it was validated" in stale.message
    assert wrapped.epoch() == 0
    result = await apply_reload(await prepare_reload(config, hosts), config, hosts)
    assert result.outcome is Outcome.OK, result.lines()
    assert result.epoch_after == 1
    assert [e["outcome"] for e in audit.read()] == ["unverified", "refused", "ok"]


async def test_prepare_refuses_while_envoy_is_still_initializing(
    make_wrapped: Callable[..., WrappedEnvoy],
) -> None:
    with socket.socket() as silent:  # accepts, never answers: the first health check times out
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        wrapped = make_wrapped(
            hc_timeout=5.0,
            hc_interval=5.0,
            endpoints=(Endpoint("127.0.0.1", silent.getsockname()[1]),),
        )
        wrapped.spawn()
        wait_until(
            lambda: (
                (wrapped.server_info() or {}).get("state") in ("PRE_INITIALIZING", "INITIALIZING")
            ),
            10,
            "Envoy initializing",
        )
        wait_until(wrapped.status, 10, "the wrapper status")

        plan = await prepare_reload(wrapped.config(), local_hosts())

    assert plan.refusal is not None and "not LIVE" in plan.refusal


async def test_a_cancelled_plan_is_audited_and_sends_nothing(wrapped: WrappedEnvoy) -> None:
    plan = await prepare_reload(wrapped.config(), local_hosts())

    result = await cancel_reload(plan)

    assert result.outcome is Outcome.CANCELLED
    assert wrapped.epoch() == 0
    assert [e["outcome"] for e in audit.read()] == ["cancelled"]


async def test_reload_over_ssh_validates_signals_and_verifies_on_the_envoy_host(
    wrapped: WrappedEnvoy, sshd: Sshd
) -> None:
    local = wrapped.config()
    config = dataclasses.replace(
        local,
        hosts={"edge": sshd.host_config("edge")},
        envoy=dataclasses.replace(local.envoy, host="edge"),
    )
    hosts = build_hosts(config)
    wrapped.rewrite(hc_interval=0.7)
    try:
        plan = await prepare_reload(config, hosts)
        assert plan.ready, plan.refusal
        assert plan.host == "edge" and any("interval 0.7s" in line for line in plan.diff)

        result = await apply_reload(plan, config, hosts)
    finally:
        await asyncio.gather(*(host.close() for host in hosts.values()))

    assert result.outcome is Outcome.OK, result.lines()
    assert wrapped.epoch() == 1
    assert audit.read()[0]["host"] == "edge"
    print(
        f"\nover SSH: reload-to-verified {result.reload_ms:.0f} ms, validate {plan.validate_ms:.0f} ms"
    )
