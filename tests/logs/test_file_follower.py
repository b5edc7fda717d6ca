"""FileFollower with real GNU tail and real files, on the local host and over a real sshd."""

from __future__ import annotations

from pathlib import Path

from darc_tui.hosts.base import Host
from darc_tui.logs.common import DISPLAY_LIMIT
from darc_tui.logs.file_follower import FileFollower
from darc_tui.logs.positions import FilePosition, Positions
from darc_tui.model import Status
from darc_tui.retry import Backoff
from tests.logs._support import RecordingSink, append, running, tails_reading, until

FAST = Backoff(base=0.05, cap=0.5)


def follower(
    host: Host, path: Path, positions: Positions | None = None, **kw: object
) -> FileFollower:
    return FileFollower(
        host,
        str(path),
        positions=positions or Positions(),
        poll_interval=0.2,
        backoff=FAST,
        **kw,  # type: ignore[arg-type]
    )


def numbered(start: int, stop: int, prefix: str = "line") -> bytes:
    return b"".join(f"{prefix} {i}\n".encode() for i in range(start, stop))


async def test_existing_and_appended_lines_arrive_in_order(host: Host, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(numbered(0, 3))
    sink = RecordingSink()
    f = follower(host, log)
    async with running(lambda: f.follow(sink)):
        await until(lambda: len(sink.got) == 3, "existing lines")
        append(log, numbered(3, 10))
        await until(lambda: len(sink.got) == 10, "appended lines")
    assert sink.lines() == [f"line {i}" for i in range(10)]
    assert all(r.source == "access" and r.size == len(r.line) + 1 for r in sink.got)
    assert sink.seen[0].status is Status.OK and sink.seen[0].probe == "logs.access"
    assert f.position is not None and f.position.offset == log.stat().st_size


async def test_first_start_reads_only_the_tail_from_a_line_boundary(
    host: Host, tmp_path: Path
) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(numbered(0, 1000))
    sink = RecordingSink()
    async with running(lambda: follower(host, log, initial_bytes=100).follow(sink)):
        await until(lambda: bool(sink.got) and sink.got[-1].line == "line 999", "the tail")
    lines = sink.lines()
    assert 5 < len(lines) < 15
    first = int(lines[0].split()[1])
    assert lines == [f"line {i}" for i in range(first, 1000)]


async def test_resume_continues_exactly_after_the_last_complete_line(
    host: Host, tmp_path: Path
) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(numbered(0, 5) + b"half a li")
    positions = Positions()
    sink = RecordingSink()
    async with running(lambda: follower(host, log, positions).follow(sink)):
        await until(lambda: len(sink.got) == 5, "first lines")
    append(log, b"ne\n" + numbered(5, 8))
    again = RecordingSink()
    async with running(lambda: follower(host, log, positions).follow(again)):
        await until(lambda: len(again.got) == 4, "resumed lines")
    assert again.lines() == ["half a line", "line 5", "line 6", "line 7"]
    assert not again.gaps()


async def test_positions_survive_a_restart_through_the_state_file(
    host: Host, tmp_path: Path
) -> None:
    log, state = tmp_path / "access.log", tmp_path / "state" / "positions.json"
    log.write_bytes(numbered(0, 3))
    positions = Positions(state)
    sink = RecordingSink()
    async with running(lambda: follower(host, log, positions).follow(sink)):
        await until(lambda: len(sink.got) == 3, "lines")
    assert state.is_file()  # flushed when the follower stopped
    append(log, numbered(3, 4))
    again = RecordingSink()
    async with running(lambda: follower(host, log, Positions(state)).follow(again)):
        await until(lambda: len(again.got) == 1, "the new line")
    assert again.lines() == ["line 3"]


async def test_rotation_by_rename_drains_the_old_file_then_reads_the_new(
    host: Host, tmp_path: Path
) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(numbered(0, 3))
    sink = RecordingSink()
    async with running(lambda: follower(host, log).follow(sink)):
        await until(lambda: len(sink.got) == 3, "first lines")
        log.rename(tmp_path / "access.log.1")
        append(tmp_path / "access.log.1", numbered(3, 5))  # the writer has not reopened yet
        log.write_bytes(numbered(0, 2, "new"))
        await until(lambda: len(sink.got) == 7, "old remainder and new lines")
    assert sink.lines() == [f"line {i}" for i in range(5)] + ["new 0", "new 1"]
    assert not sink.gaps()


async def test_rotation_while_stopped_reads_the_rest_from_dot_one(
    host: Host, tmp_path: Path
) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(numbered(0, 3))
    positions = Positions()
    sink = RecordingSink()
    async with running(lambda: follower(host, log, positions).follow(sink)):
        await until(lambda: len(sink.got) == 3, "first lines")
    append(log, numbered(3, 5))
    log.rename(tmp_path / "access.log.1")
    log.write_bytes(numbered(0, 1, "new"))
    again = RecordingSink()
    async with running(lambda: follower(host, log, positions).follow(again)):
        await until(lambda: len(again.got) == 3, "remainder + new")
    assert again.lines() == ["line 3", "line 4", "new 0"]
    assert not again.gaps()


async def test_copytruncate_takes_the_unread_rest_from_the_copy(host: Host, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(numbered(0, 3))
    positions = Positions()
    sink = RecordingSink()
    async with running(lambda: follower(host, log, positions).follow(sink)):
        await until(lambda: len(sink.got) == 3, "first lines")
    append(log, numbered(3, 6))
    (tmp_path / "access.log.1").write_bytes(log.read_bytes())  # logrotate copytruncate
    with log.open("r+b") as f:
        f.truncate(0)
    append(log, numbered(0, 1, "new"))
    again = RecordingSink()
    async with running(lambda: follower(host, log, positions).follow(again)):
        await until(lambda: len(again.got) == 4, "copied rest + new")
    assert again.lines() == ["line 3", "line 4", "line 5", "new 0"]


async def test_live_truncation_restarts_at_zero(host: Host, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(numbered(0, 3))
    sink = RecordingSink()
    f = follower(host, log)
    async with running(lambda: f.follow(sink)):
        await until(lambda: len(sink.got) == 3, "first lines")
        with log.open("r+b") as fh:
            fh.truncate(0)
        await until(lambda: f.position is not None and f.position.offset == 0, "truncation seen")
        append(log, numbered(0, 2, "new"))
        await until(lambda: len(sink.got) == 5, "lines after truncation")
    assert sink.lines()[3:] == ["new 0", "new 1"]
    assert not any("truncated" in line for line in sink.lines())


async def test_a_file_that_appears_late_is_read_from_its_first_byte(
    host: Host, tmp_path: Path
) -> None:
    log = tmp_path / "later.log"
    sink = RecordingSink()
    async with running(lambda: follower(host, log, initial_bytes=5).follow(sink)):
        await until(lambda: bool(sink.seen), "a waiting notice")
        assert sink.seen[0].status is Status.WARN and "waiting for" in sink.seen[0].detail
        log.write_bytes(numbered(0, 50))
        await until(lambda: len(sink.got) == 50, "every line of the late file")
    assert sink.lines()[0] == "line 0"
    assert sink.seen[-1].status is Status.OK


async def test_non_utf8_bytes_are_replaced_for_display_but_counted(
    host: Host, tmp_path: Path
) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(b"caf\xe9 \xff\xfe\n" + b"ok\n")
    sink = RecordingSink()
    async with running(lambda: follower(host, log).follow(sink)):
        await until(lambda: len(sink.got) == 2, "both lines")
    assert sink.got[0].line == "caf\ufffd \ufffd\ufffd" and sink.got[0].size == 8


async def test_a_one_mib_line_is_cut_for_display_but_its_size_is_exact(
    host: Host, tmp_path: Path
) -> None:
    log = tmp_path / "access.log"
    big = b"x" * (1024 * 1024)
    log.write_bytes(b"before\n")
    sink = RecordingSink()
    f = follower(host, log)
    async with running(lambda: f.follow(sink)):
        await until(lambda: len(sink.got) == 1, "first line")
        append(log, big + b"\nafter\n")
        await until(lambda: len(sink.got) == 3, "the big line and the next")
    assert sink.got[1].size == len(big) + 1 and len(sink.got[1].line) <= DISPLAY_LIMIT
    assert sink.got[2].line == "after"
    assert f.position is not None and f.position.offset == log.stat().st_size


async def test_gap_marker_only_when_unread_data_was_lost(host: Host, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(numbered(0, 2, "new"))
    inode = log.stat().st_ino + 1  # "our" file is gone and there is no access.log.1
    lost = Positions()
    lost.set_file(f"file:{host.name}:{log}", FilePosition(inode, 10, b"", seen_size=50))
    sink = RecordingSink()
    async with running(lambda: follower(host, log, lost).follow(sink)):
        await until(lambda: len(sink.lines()) == 2, "new lines")
    assert len(sink.gaps()) == 1 and sink.got[0].gap

    fine = Positions()
    fine.set_file(f"file:{host.name}:{log}", FilePosition(inode, 10, b"", seen_size=10))
    sink = RecordingSink()
    async with running(lambda: follower(host, log, fine).follow(sink)):
        await until(lambda: len(sink.lines()) == 2, "new lines")
    assert not sink.gaps()


async def test_fields_are_parsed_per_line(host: Host, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(b"503\nnot a number\n")
    sink = RecordingSink()

    def parse(text: str) -> dict[str, object]:
        return {"status": int(text)} if text.isdigit() else {}

    async with running(lambda: follower(host, log, parse=parse).follow(sink)):
        await until(lambda: len(sink.got) == 2, "two lines")
    assert [r.fields for r in sink.got] == [{"status": 503}, {}]


async def test_no_tail_is_left_running_after_cancel(host: Host, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(b"a\n")
    sink = RecordingSink()
    async with running(lambda: follower(host, log).follow(sink)):
        await until(lambda: len(sink.got) == 1, "a line")
        assert tails_reading(log)
    await until(lambda: not tails_reading(log), "tail to exit", timeout=10)
