"""The reload flow, for the console and headless: prepare → (confirm) → apply → verify → audit.

    plan = await prepare_reload(config, hosts)      # validate, diff, check the method; no change
    result = await apply_reload(plan, config, hosts)  # send it, verify it, append to the audit log

Nothing here raises for an expected failure: a refused, failed or unverified reload is a result.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Mapping

from darc_tui.actions import audit
from darc_tui.actions.admin import Admin
from darc_tui.actions.plan import Outcome, ReloadPlan, ReloadResult
from darc_tui.actions.target import Method, Target, envoy_binary, resolve_target
from darc_tui.actions.validate import DiskConfig, Validation, read_disk_config, validate_config
from darc_tui.actions.verify import (
    Verification,
    verify_envoy,
    wait_for_wrapper,
    wrapper_verdict,
)
from darc_tui.actions.wrapper_status import status_path_for
from darc_tui.config import Config
from darc_tui.hosts.base import Host
from darc_tui.parse.envoy_summary import EnvoySummary, diff
from darc_tui.parse.envoy_yaml import parse_envoy_yaml
from darc_tui.parse.server_info import ServerInfo, ServerState

READ_TIMEOUT = 5.0  # reading a pid file, a status file, envoy.yaml
ACTION_TIMEOUT = 60.0  # kill / systemctl reload / the reload command
VERIFY_TIMEOUT = 30.0
BIG_YAML = 256 * 1024
READ_ONLY = "read-only mode: darc-tui changes nothing on the hosts (ui.read_only, --read-only)"


async def prepare_reload(
    config: Config, hosts: Mapping[str, Host], *, read_only: bool = False
) -> ReloadPlan:
    """Find out everything a reload needs and whether it may go ahead; changes nothing."""
    envoy = config.envoy
    plan = ReloadPlan(
        host=envoy.host,
        method=Method(envoy.reload),
        config_path=envoy.config_path,
        config_sha256="",
        validation=None,
        diff=(),
        action=(),
        refusal=READ_ONLY if read_only or config.ui.read_only else None,
    )
    host = hosts.get(envoy.host)
    if plan.refusal or host is None:
        return dataclasses.replace(plan, refusal=plan.refusal or f"no host {envoy.host!r}")
    async with Admin(host, envoy.admin_url, timeout=config.probes.timeout) as admin:
        before = await admin.server_info()
        target = await resolve_target(host, config, timeout=READ_TIMEOUT)
        disk = await read_disk_config(host, envoy.config_path, timeout=READ_TIMEOUT)
        validation = None
        if not disk.error:
            binary = await envoy_binary(host, config, target.envoy_pid, timeout=READ_TIMEOUT)
            validation = await validate_config(host, binary, envoy.config_path)
        summary, changes = await _changes(admin, disk)
    return dataclasses.replace(
        plan,
        config_sha256=disk.sha256,
        validation=validation,
        diff=changes,
        action=target.action,
        refusal=_refusal(disk, validation, target, before),
        before=before,
        wrapper=target.wrapper,
        disk=summary,
        validate_ms=validation.duration_ms if validation else 0.0,
    )


async def _changes(admin: Admin, disk: DiskConfig) -> tuple[EnvoySummary | None, tuple[str, ...]]:
    """envoy.yaml summarised, and how it differs from what Envoy runs (`/config_dump`)."""
    if disk.error:
        return None, ()
    if len(disk.content) > BIG_YAML:
        summary = await asyncio.to_thread(parse_envoy_yaml, disk.content, source=disk.path)
    else:
        summary = parse_envoy_yaml(disk.content, source=disk.path)
    if summary.error:
        return summary, (f"cannot compare: {summary.error}",)
    running = await admin.config_dump()
    if running.error:
        return summary, (f"cannot compare with the running config: {running.error}",)
    return summary, tuple(str(change) for change in diff(summary, running))


def _refusal(
    disk: DiskConfig, validation: Validation | None, target: Target, before: ServerInfo
) -> str | None:
    reasons = []
    if disk.error:
        reasons.append(disk.error)
    if validation is not None and not validation.ok:
        reasons.append(f"envoy.yaml does not validate: {validation.summary}")
    if target.refusal:
        reasons.append(target.refusal)
    if before.state is not None and before.state is not ServerState.LIVE:
        reasons.append(
            f"Envoy is {before.state}, not LIVE: wait until it has started (a hot restart "
            "now fails with 'previous envoy process is still initializing')"
        )
    return "; ".join(reasons) or None


async def apply_reload(
    plan: ReloadPlan,
    config: Config,
    hosts: Mapping[str, Host],
    *,
    timeout: float = VERIFY_TIMEOUT,
    record: bool = True,
) -> ReloadResult:
    """Send the planned reload, verify it within `timeout` seconds, append it to the audit log."""
    result = await _apply(plan, config, hosts, timeout)
    return await _audited(result) if record else result


async def cancel_reload(plan: ReloadPlan, *, record: bool = True) -> ReloadResult:
    """The operator said no: nothing was sent, and the audit log says so."""
    result = ReloadResult(plan, Outcome.CANCELLED, "the operator did not confirm; nothing was sent")
    return await _audited(result) if record else result


async def _apply(
    plan: ReloadPlan, config: Config, hosts: Mapping[str, Host], timeout: float
) -> ReloadResult:
    host = hosts.get(plan.host)
    if plan.refusal or host is None:
        return ReloadResult(plan, Outcome.REFUSED, plan.refusal or f"no host {plan.host!r}")
    disk = await read_disk_config(host, plan.config_path, timeout=READ_TIMEOUT)
    if disk.sha256 != plan.config_sha256:
        now = disk.sha256[:12] or disk.error
        message = (
            f"{plan.config_path} changed since it was validated (sha256 "
            f"{plan.config_sha256[:12]} → {now}): prepare the reload again"
        )
        return ReloadResult(plan, Outcome.REFUSED, message)
    started = time.monotonic()
    sent = await host.run(plan.action, timeout=ACTION_TIMEOUT)
    apply_ms = (time.monotonic() - started) * 1000.0
    if not sent.ok:
        message = f"`{plan.action_text}` failed on {plan.host}: {sent.why()}"
        return ReloadResult(plan, Outcome.FAILED, message, apply_ms=apply_ms)
    verified = await _verify(plan, config, host, time.monotonic() + timeout, timeout)
    return ReloadResult(
        plan,
        verified.outcome,
        verified.message,
        verified.details,
        verified.epoch,
        apply_ms=apply_ms,
        verify_ms=(time.monotonic() - started) * 1000.0 - apply_ms,
    )


async def _verify(
    plan: ReloadPlan, config: Config, host: Host, deadline: float, timeout: float
) -> Verification:
    expected_epoch = None
    if plan.method is Method.HOT_RESTART and plan.wrapper is not None:
        status_file = status_path_for(config.envoy.wrapper_pid_file)
        status = await wait_for_wrapper(host, status_file, plan.wrapper.hup_seq, deadline=deadline)
        verdict = wrapper_verdict(status, timeout)
        if verdict is not None:
            return verdict
        assert status is not None and status.last_reload is not None
        expected_epoch = status.last_reload.epoch
    async with Admin(host, config.envoy.admin_url, timeout=config.probes.timeout) as admin:
        return await verify_envoy(
            admin,
            cluster=config.envoy.cluster,
            before=plan.before,
            expected_epoch=expected_epoch,
            disk=plan.disk,
            deadline=deadline,
        )


async def _audited(result: ReloadResult) -> ReloadResult:
    try:
        await audit.record(result)
    except OSError as exc:
        note = f"the audit log was not written: {exc}"
        return dataclasses.replace(result, details=(*result.details, note))
    return result
