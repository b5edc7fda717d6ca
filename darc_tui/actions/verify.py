"""After the reload was sent: did a new Envoy take over, LIVE, with healthy hosts and the file's config?"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from darc_tui.actions.admin import Admin
from darc_tui.actions.plan import Outcome
from darc_tui.actions.wrapper_status import ReloadOutcome, WrapperStatus, parse_status
from darc_tui.hosts.base import Host
from darc_tui.parse.envoy_summary import EnvoySummary, diff
from darc_tui.parse.server_info import ServerInfo, ServerState

POLL = 0.1
DETAIL_LINES = 40


@dataclass(frozen=True, slots=True)
class Verification:
    outcome: Outcome
    message: str
    details: tuple[str, ...] = ()
    epoch: int | None = None


@dataclass(frozen=True, slots=True)
class _Round:
    """One look at the admin: each check is "" when it passed, else what is still wrong."""

    info: ServerInfo
    restarted: str
    live: str
    hosts: str
    config: str = "not compared yet"

    @property
    def pending(self) -> list[str]:
        """What is still wrong, in the order an operator would check it."""
        return [x for x in (self.restarted, self.live, self.hosts, self.config) if x]


async def wait_for_wrapper(
    host: Host, status_file: str, seq_before: int, *, deadline: float
) -> WrapperStatus | None:
    """The wrapper's status once it has finished with our SIGHUP (LIVE, failed or refused)."""
    done = (ReloadOutcome.LIVE, ReloadOutcome.FAILED, ReloadOutcome.REFUSED)
    while time.monotonic() < deadline:
        read = await host.run(["cat", status_file], timeout=max(0.5, deadline - time.monotonic()))
        status = parse_status(read.text()) if read.ok else None
        last = status.last_reload if status is not None else None
        if (
            status is not None
            and last is not None
            and last.seq > seq_before
            and last.outcome in done
        ):
            return status
        await asyncio.sleep(POLL)
    return None


def wrapper_verdict(status: WrapperStatus | None, waited: float) -> Verification | None:
    """FAILED/REFUSED/UNVERIFIED from the wrapper's report; None when the new epoch is LIVE."""
    if status is None or status.last_reload is None:
        return Verification(
            Outcome.UNVERIFIED, f"the wrapper did not report on the SIGHUP within {waited:g}s"
        )
    last = status.last_reload
    if last.outcome is ReloadOutcome.LIVE:
        return None
    lines = last.error.splitlines() or [last.outcome.value]
    outcome = Outcome.FAILED if last.outcome is ReloadOutcome.FAILED else Outcome.REFUSED
    prefix = "" if outcome is Outcome.FAILED else "the wrapper refused the SIGHUP: "
    return Verification(
        outcome, prefix + lines[0], tuple(lines[1:][-DETAIL_LINES:]), epoch=status.epoch
    )


async def verify_envoy(
    admin: Admin,
    *,
    cluster: str,
    before: ServerInfo | None,
    expected_epoch: int | None,
    disk: EnvoySummary | None,
    deadline: float,
) -> Verification:
    """Poll the admin until every check passes; UNVERIFIED with what is missing at the deadline."""
    last: _Round | None = None
    while True:
        last = await _look(admin, cluster, before, expected_epoch)
        if not (last.restarted or last.live or last.hosts):
            last = await _compare_config(admin, last, disk)
            if not last.pending:
                return _verified(last, before, cluster)
        if time.monotonic() >= deadline:
            break
        await asyncio.sleep(POLL)
    return Verification(
        Outcome.UNVERIFIED,
        "not every check passed in time: " + "; ".join(last.pending),
        epoch=last.info.restart_epoch,
    )


async def _look(
    admin: Admin, cluster: str, before: ServerInfo | None, expected_epoch: int | None
) -> _Round:
    info = await admin.server_info()
    if info.error:
        return _Round(info, f"admin not answering ({info.error})", "state unknown", "unknown")
    restarted = _restart_check(info, before, expected_epoch)
    ready = await admin.ready()
    live = (
        "" if info.state is ServerState.LIVE and ready.live else f"state {ready.text or info.state}"
    )
    return _Round(info, restarted, live, await _hosts_check(admin, cluster))


def _restart_check(info: ServerInfo, before: ServerInfo | None, expected: int | None) -> str:
    epoch = info.restart_epoch or 0
    if expected is not None:
        return "" if epoch == expected else f"restart epoch {epoch}, waiting for {expected}"
    if before is None or before.error:
        return ""  # nothing to compare with: LIVE is all we can ask for
    if epoch > (before.restart_epoch or 0):
        return ""
    now, then = info.uptime_current_epoch, before.uptime_current_epoch
    if now is not None and then is not None and now < then:
        return ""  # a full restart: the epoch stays 0 but the uptime starts again
    return (
        f"restart epoch still {epoch} and uptime not reset ({now:g}s)" if now else "no restart seen"
    )


async def _hosts_check(admin: Admin, cluster: str) -> str:
    report = await admin.clusters()
    if report.error:
        return f"/clusters unreadable ({report.error})"
    status = report.get(cluster)
    if status is None:
        return f"cluster {cluster} not in /clusters"
    if not status.hosts:
        return f"cluster {cluster} has no hosts"
    if status.unhealthy_hosts:
        bad = ", ".join(f"{h.endpoint} {h.flag_words()}" for h in status.unhealthy_hosts)
        return f"{cluster}: {len(status.healthy_hosts)}/{len(status.hosts)} healthy ({bad})"
    return ""


async def _compare_config(admin: Admin, look: _Round, disk: EnvoySummary | None) -> _Round:
    if disk is None or disk.error:
        return _Round(look.info, look.restarted, look.live, look.hosts, "")
    running = await admin.config_dump()
    if running.error:
        return _Round(
            look.info, look.restarted, look.live, look.hosts, f"/config_dump: {running.error}"
        )
    changes = diff(disk, running)
    left = "; ".join(map(str, changes[:3])) + (" …" if len(changes) > 3 else "")
    config = f"running config still differs from the file: {left}" if changes else ""
    return _Round(look.info, look.restarted, look.live, look.hosts, config)


def _verified(look: _Round, before: ServerInfo | None, cluster: str) -> Verification:
    epoch = look.info.restart_epoch or 0
    was = before.restart_epoch if before is not None and not before.error else None
    epochs = f"epoch {was} → {epoch}" if was is not None else f"epoch {epoch}"
    return Verification(
        Outcome.OK,
        f"Envoy reloaded: {epochs}, LIVE, {cluster} healthy, running config matches the file",
        epoch=epoch,
    )
