"""JournalFollower against a real private journald and journal-remote files, locally and over SSH."""

from __future__ import annotations

from pathlib import Path

from darc_tui.hosts.base import Host
from darc_tui.hosts.ssh import SshHost
from darc_tui.logs.journal_follower import JournalFollower
from darc_tui.logs.positions import Positions
from darc_tui.model import Status
from darc_tui.retry import Backoff
from darc_tui.retry import Backoff as HostBackoff
from tests.lab.journald import Journald, append_export, export_entry
from tests.lab.sshd import TEST_USER, Sshd
from tests.logs._support import RecordingSink, running, until

FAST = Backoff(base=0.05, cap=0.5)


def follower(
    host: Host, match: tuple[str, ...], positions: Positions | None = None
) -> JournalFollower:
    return JournalFollower(host, match=match, positions=positions or Positions(), backoff=FAST)


async def test_entries_arrive_in_order_with_parsed_fields(host: Host, journald: Journald) -> None:
    journald.write(["first", "second"], priority="warning")
    sink = RecordingSink()
    async with running(lambda: follower(host, journald.match()).follow(sink)):
        await until(lambda: len(sink.got) == 2, "existing entries")
        journald.write(["third"])
        await until(lambda: len(sink.got) == 3, "a new entry")
        await until(lambda: any(e.status is Status.OK for e in sink.seen), "following")
    assert sink.lines() == ["first", "second", "third"]
    first = sink.got[0].fields
    assert first["priority"] == 4 and first["identifier"] == "envoy" and first["cursor"]
    assert sink.got[0].source == "journal" and sink.seen[-1].probe == "logs.journal"


async def test_the_first_entry_after_an_empty_start_arrives(host: Host, journald: Journald) -> None:
    # systemd 252: `journalctl -t envoy -n 200 -f` with no envoy entries yet drops the next one
    sink = RecordingSink()
    async with running(lambda: follower(host, journald.match()).follow(sink)):
        await until(lambda: any(e.status is Status.OK for e in sink.seen), "following")
        journald.write(["a", "b"])
        await until(lambda: len(sink.got) == 2, "both entries")
    assert sink.lines() == ["a", "b"]


async def test_restart_resumes_by_cursor_without_loss_or_repeat(
    host: Host, journald: Journald
) -> None:
    positions = Positions()
    journald.write([f"entry {i}" for i in range(5)])
    sink = RecordingSink()
    async with running(lambda: follower(host, journald.match(), positions).follow(sink)):
        await until(lambda: len(sink.got) == 5, "first entries")
    journald.write([f"entry {i}" for i in range(5, 40)])  # more than -f's implied 10
    again = RecordingSink()
    async with running(lambda: follower(host, journald.match(), positions).follow(again)):
        await until(lambda: len(again.got) == 35, "entries written while stopped")
    assert again.lines() == [f"entry {i}" for i in range(5, 40)]


async def test_forced_ssh_disconnect_loses_and_repeats_nothing(
    sshd: Sshd, journald: Journald
) -> None:
    host = SshHost(
        sshd.host_config(), ssh_config=(), connect_timeout=5.0, backoff=HostBackoff(0.05, 0.2)
    )
    sink = RecordingSink()
    try:
        async with running(lambda: follower(host, journald.match()).follow(sink)):
            await until(lambda: any(e.status is Status.OK for e in sink.seen), "following")
            for batch in range(4):
                journald.write([f"entry {batch * 25 + i}" for i in range(25)])
                await until(lambda b=batch: len(sink.got) >= (b + 1) * 25, f"batch {batch}")
                assert sshd.drop_connections() > 0
            journald.write(["last"])
            await until(lambda: bool(sink.got) and sink.got[-1].line == "last", "the last entry")
    finally:
        await host.close()
    assert sink.lines() == [f"entry {i}" for i in range(100)] + ["last"]
    assert not sink.gaps()
    assert any(e.status is Status.ERROR for e in sink.seen)


async def test_unit_filter_follows_a_journal_remote_file(host: Host, journal_file: Path) -> None:
    append_export(journal_file, [export_entry(f"m{i}", i + 1) for i in range(3)])
    append_export(journal_file, [export_entry("other", 9, unit="sshd.service")])
    match = ("--file", str(journal_file), "-u", "envoy")
    positions = Positions()
    sink = RecordingSink()
    async with running(lambda: follower(host, match, positions).follow(sink)):
        await until(lambda: len(sink.got) == 3, "the unit's entries")
        append_export(journal_file, [export_entry("m3", 20)])
        await until(lambda: len(sink.got) == 4, "an appended entry")
    assert sink.lines() == ["m0", "m1", "m2", "m3"]
    assert {r.fields["unit"] for r in sink.got} == {"envoy.service"}
    append_export(journal_file, [export_entry("m4", 21)])
    again = RecordingSink()
    async with running(lambda: follower(host, match, positions).follow(again)):
        await until(lambda: len(again.got) == 1, "the entry after the cursor")
    assert again.lines() == ["m4"]


async def test_a_cursor_from_elsewhere_is_a_gap_then_a_fresh_start(
    host: Host, journald: Journald
) -> None:
    journald.write(["here"])
    positions = Positions()
    f = follower(host, journald.match(), positions)
    positions.set(f.key, "s=0123456789abcdef0123456789abcdef;i=1;b=0;m=0;t=0;x=0")
    sink = RecordingSink()
    async with running(lambda: follower(host, journald.match(), positions).follow(sink)):
        await until(lambda: "here" in sink.lines(), "the entry")
    assert sink.got[0].gap and sink.lines() == ["here"]


async def test_no_permission_is_reported(sshd: Sshd, journald: Journald) -> None:
    host = SshHost(sshd.host_config(user=TEST_USER), ssh_config=(), connect_timeout=5.0)
    journald.write(["secret"])
    sink = RecordingSink()
    try:
        async with running(lambda: follower(host, journald.match()).follow(sink)):
            await until(lambda: any(e.status is Status.ERROR for e in sink.seen), "a report")
    finally:
        await host.close()
    assert not sink.got
    assert any("no permission" in e.detail for e in sink.seen)


def test_sudo_hosts_read_the_journal_through_sudo_n() -> None:
    """A non-root login with `sudo = true` reads other units' journals with `sudo -n` (never a
    prompt); without sudo the command is unchanged."""
    from darc_tui.hosts import LocalHost
    from darc_tui.logs.journal_follower import JournalFollower

    assert JournalFollower(LocalHost(), "envoy", sudo=True).argv()[:4] == (
        "sudo",
        "-n",
        "env",
        "LC_ALL=C",
    )
    assert JournalFollower(LocalHost(), "envoy").argv()[0] == "env"
