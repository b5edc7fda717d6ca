"""A flood of log lines: the gate's arithmetic, the counting of lines no record is made of, and
a real `tail` following a file that grows faster than the gate lets lines through."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from darc_tui.hosts.local import LocalHost
from darc_tui.logs.batch import batch_records
from darc_tui.logs.common import LineBatch, LineSplitter
from darc_tui.logs.flood import FloodGate, Held, batch_fields
from darc_tui.logs.formats import access_fields, count_fields, envoy_log_fields
from darc_tui.logs.sources import AccessLogSource
from darc_tui.logs.window import ENTRY_FIELDS, AccessWindow
from darc_tui.parse.access_log import DEFAULT, compile_format
from darc_tui.retry import Backoff
from tests.logs._support import RecordingSink, running, until
from tests.logs.test_batch import (
    CUSTOM_LINES,
    HOSTILE_LINES,
    JSON_FORMAT,
    JSON_LINES,
    RECORDED,
    SECRET_LINES,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "logs"
HOSTILE = [
    b'[2026-12-03T10:00:00.000Z] "GET /\x1b]52;c;aGk=\x07 HTTP/1.1" 200 - 0 2 1 1 "-" "x" "i" "a" "b"',
    b'[2026-12-03T10:00:00.000Z] "GET /api/token=a\\"b HTTP/1.1" 503 UF 0 2 1 - "-" "c" "i" "a" "-"',
    b"\xff\xfe not even text \xc2\x9b31m",
    b'[2026-12-03T10:00:00.000Z] "GET /\xe2\x80\xae HTTP/1.1" 502 UH 0 2 1 - "-" "d" "i" "a" "-"',
    b"authorization: Bearer abc.def.ghi",
    b"",
    b"\t tabbed\r",
]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def batch(lines: list[bytes]) -> LineBatch:
    return LineBatch(b"\n".join(lines), lines)


def numbered(start: int, n: int) -> LineBatch:
    return batch([b"line %d" % i for i in range(start, start + n)])


def shown_lines(held: list[Held]) -> list[bytes]:
    return [line for one in held for line in one.batch.lines]


def test_below_its_rate_every_line_passes_at_once() -> None:
    clock = Clock()
    gate = FloodGate(rate=100, period=0.5, clock=clock, burst=0.5)  # 50 lines a period
    for i in range(20):
        clock.now += 0.25  # 25 lines of budget come back every call
        assert gate.admit(numbered(i * 20, 20), at=1.0) == (True, [])
    assert not gate.flooding and gate.wait() is None


def test_a_burst_of_a_quiet_site_passes_whole() -> None:
    """Envoy flushes its access log every 10 s by default: a site at 400 requests/s hands over
    4 000 lines at once, every 10 s. Below the rate, so every line is shown."""
    clock = Clock()
    gate = FloodGate(rate=4000, period=0.5, clock=clock)
    for flush in range(6):
        clock.now += 10.0
        assert gate.admit(numbered(flush * 4000, 4000), at=clock.now) == (True, [])
    assert not gate.flooding


def test_a_flood_shows_its_newest_lines_once_a_period_and_hands_back_the_rest() -> None:
    clock = Clock()
    gate = FloodGate(rate=100, period=0.5, clock=clock, burst=0.5)
    show, out = gate.admit(numbered(0, 30), at=1.0)
    assert show and out == []  # 30 of the 50 saved up
    show, out = gate.admit(numbered(30, 40), at=2.0)  # more than the 20 left: held
    assert (show, out) == (False, []) and gate.flooding and gate.wait() == 0.5
    show, out = gate.admit(numbered(70, 30), at=3.0)  # 70 held: the oldest 20 go
    assert not show and shown_lines(out) == [b"line %d" % i for i in range(30, 50)]
    assert [o.at for o in out] == [2.0]
    assert not gate.due()
    clock.now += 0.5
    assert gate.due()
    released = gate.release()
    assert released.skipped == 20
    assert shown_lines(released.held) == [b"line %d" % i for i in range(50, 100)]
    assert [h.at for h in released.held] == [2.0, 3.0]  # each line keeps when it was read
    assert not gate.flooding and gate.tokens == 0  # the period's budget went to them
    clock.now += 0.1
    assert gate.admit(numbered(100, 5), at=4.0) == (True, [])  # 10 came back


def test_every_line_is_either_shown_or_handed_back_in_order() -> None:
    rng = random.Random(13)
    clock = Clock()
    gate = FloodGate(rate=400, period=0.25, clock=clock, burst=1.0)
    seen: list[bytes] = []
    counted: list[bytes] = []
    total = period_counted = 0
    for _ in range(500):
        clock.now += rng.choice([0.001, 0.01, 0.05, 0.3])
        n = rng.randint(1, 300)
        show, out = gate.admit(numbered(total, n), at=clock.now)
        counted += shown_lines(out)
        period_counted += len(shown_lines(out))
        if show:
            seen += [b"line %d" % i for i in range(total, total + n)]
        total += n
        if gate.due():
            released = gate.release()
            seen += shown_lines(released.held)
            assert released.skipped == period_counted  # the marker's number is exact
            period_counted = 0
    released = gate.release()
    seen += shown_lines(released.held)
    every = [b"line %d" % i for i in range(total)]
    assert sorted(seen + counted, key=lambda x: int(x.split()[1])) == every
    assert seen == sorted(seen, key=lambda x: int(x.split()[1]))  # shown in the file's order
    assert len(seen) < total  # the flood was real


PARSERS = {
    "default": access_fields(DEFAULT),
    "custom": access_fields(compile_format((DATA / "envoy-1.40-custom.format").read_text())),
    "json": access_fields(JSON_FORMAT),  # its fields need cleaning even on a clean line
    "error log": envoy_log_fields,
    "none": None,
}


@pytest.mark.parametrize("name", PARSERS)
def test_counted_lines_get_the_fields_their_records_would_have(name: str) -> None:
    parse = PARSERS[name]
    lines = [*RECORDED, *CUSTOM_LINES, *JSON_LINES, *SECRET_LINES, *HOSTILE_LINES, *HOSTILE]
    whole = LineSplitter().feed_whole(b"\n".join(lines) + b"\n")
    assert whole is not None
    for piece in [*whole.pieces(37), LineBatch(b"\n".join(JSON_LINES), list(JSON_LINES))]:
        records = batch_records("access", piece, parse, 0.0)
        assert batch_fields(piece, parse) == [r.fields for r in records]
    clean = LineBatch(b"\n".join(RECORDED[:5]), RECORDED[:5])  # the all-printable-ASCII path
    assert batch_fields(clean, parse) == [r.fields for r in batch_records("a", clean, parse, 0)]


def test_the_window_counts_a_line_alike_from_its_counting_fields() -> None:
    custom = compile_format((DATA / "envoy-1.40-custom.format").read_text())
    cases = [
        (DEFAULT, DATA / "envoy-1.40-default.log"),
        (DEFAULT, DATA / "envoy-1.40-probe-traffic.log"),
        (custom, DATA / "envoy-1.40-custom.log"),
    ]
    for fmt, path in cases:
        lines = path.read_bytes().splitlines() + HOSTILE
        whole = LineSplitter().feed_whole(b"\n".join(lines) + b"\n")
        assert whole is not None
        full = batch_fields(whole, access_fields(fmt))
        few = batch_fields(whole, count_fields(fmt, ENTRY_FIELDS))
        assert sum(1 for f in full if f) > 10
        by_full, by_few = AccessWindow(clock=lambda: 0.0), AccessWindow(clock=lambda: 0.0)
        for one, other in zip(full, few, strict=True):
            assert {k: v for k, v in one.items() if k in ENTRY_FIELDS} == {
                k: v for k, v in other.items() if k in ENTRY_FIELDS
            }
            assert by_full._entry(one, 5.0) == by_few._entry(other, 5.0)
        by_full.add_many([(f, 5.0) for f in full])
        by_few.add_many([(f, 5.0) for f in few])
        assert by_full.counts(now=10.0) == by_few.counts(now=10.0)


async def test_a_file_flood_is_counted_whole_and_shown_newest_last(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.touch()
    gate = FloodGate(rate=200, period=0.3, burst=1.0)  # 60 lines a period, 200 saved up
    source = AccessLogSource(
        LocalHost(), str(log), emit_every=0.1, poll_interval=0.2, backoff=Backoff(0.05, 0.5),
        gate=gate,
    )  # fmt: skip
    sink = RecordingSink()
    # stamped now: the window's emitter expires what is older than a minute by the clock
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    lines = [
        f'[{stamp}] "GET /api/{i} HTTP/1.1" {503 if i % 10 == 0 else 200} '
        f'{"UF" if i % 10 == 0 else "-"} 0 2 1 - "-" "curl" "id" "a" "10.0.0.1:80"\n'
        for i in range(20_000)
    ]
    async with running(lambda: source.follow(sink)):
        await until(lambda: any(e.probe == "logs.access" for e in sink.seen), "following")
        with log.open("a") as f:
            f.write("".join(lines))
        await until(lambda: _counted(source, stamp) == 20_000, "every line in the window")
        await until(lambda: bool(sink.got) and sink.got[-1].fields.get("path") == "/api/19999",
                    "the newest line shown")  # fmt: skip
    shown = [r for r in sink.got if not r.gap]
    markers = [r for r in sink.got if r.gap]
    assert len(shown) < 20_000 and markers
    assert sum(int(m.fields["not_shown"]) for m in markers) + len(shown) == 20_000
    assert all("lines not shown" in m.line and "counted" in m.line for m in markers)
    broken_shown = sum(1 for r in shown if r.broken)
    assert sum(int(m.fields["not_shown_broken"]) for m in markers) + broken_shown == 2_000
    paths = [int(str(r.fields["path"]).rsplit("/", 1)[1]) for r in shown]
    assert paths == sorted(paths)  # in the file's order
    counts = source.window.counts(now=_stamp_epoch(stamp) + 1)
    assert counts.errors_5xx == 2_000 and counts.by_status_flag["503 UF"] == 2_000


def _counted(source: AccessLogSource, stamp: str) -> int:
    counts = source.window.counts(now=_stamp_epoch(stamp) + 1)
    return counts.total + counts.unparsed


def _stamp_epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
