"""What an SRE reads off the panes at 80x24: each state in words, nothing cut before it says what is
wrong, and the keys the footer offers are the keys that work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from textual.widgets import DataTable, Static

from darc_tui.model import Evidence, HostState, LogRecord, Status, Vantage
from darc_tui.parse.clusters import HealthFlag
from darc_tui.ui.app import DarcApp
from darc_tui.ui.screens.details import DetailScreen
from tests.ui import scenarios
from tests.ui.conftest import publish, screen_text
from tests.ui.fakes import FakeEngine

MakeApp = Callable[..., tuple[DarcApp, FakeEngine]]
SIZE = (80, 24)


def notifications(app: DarcApp) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


def rate_line(app: DarcApp) -> str:
    return str(app.logs_pane.query_one("#log-rate", Static).content)


async def test_an_unconfigured_log_source_says_so_instead_of_following(make_app: MakeApp) -> None:
    config = scenarios.config()
    app, engine = make_app(config=replace(config, envoy=replace(config.envoy, unit="")))
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, engine, scenarios.healthy())
        await pilot.press("5", "l", "l")  # l: access → error → journal
        await pilot.pause()
        assert app.logs_pane.active_view.source == "journal"
        assert (
            rate_line(app) == "journal: not followed — envoy.unit is not set in the configuration"
        )


async def test_a_log_source_that_cannot_be_read_shows_why(make_app: MakeApp) -> None:
    app, engine = make_app()
    broken = Evidence("logs.error", "edge:/var/log/envoy/error.log", Vantage.ENVOY_HOST,
                      Status.ERROR, "no such file: /var/log/envoy/error.log")  # fmt: skip
    snap = scenarios.healthy()
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, engine, replace(snap, evidence=(*snap.evidence, broken)))
        await pilot.press("5", "l")
        await pilot.pause()
        assert "⚠ no such file: /var/log/envoy/error.log" in rate_line(app)


async def test_the_filter_state_comes_before_the_access_counts_and_follows(
    make_app: MakeApp,
) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, engine, scenarios.faulted())
        engine.publish_logs(scenarios.log_records())
        await pilot.press("slash", "5", "0", "3", "enter")
        await pilot.pause()
        line = rate_line(app)
        assert line.index("filter “503”") < line.index("following") < line.index("UF")
        assert "window_s" not in line


async def test_a_log_records_timestamp_is_shown_as_utc(make_app: MakeApp) -> None:
    app, engine = make_app()
    record = LogRecord("access", '[2025-11-24T16:00:00.250Z] "GET / HTTP/1.1" 200', 0.0,
                       fields={"timestamp": 1_764_000_000.25, "status": 200})  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        engine.publish_logs([record])
        await pilot.press("5", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        assert ("timestamp", "2025-11-24 16:00:00.250Z") in app.screen.view.rows


async def test_a_down_ssh_host_is_not_said_down_twice(make_app: MakeApp) -> None:
    app, engine = make_app()
    edge = HostState("edge", "ssh", False, "down: connection refused, retry in 4s")
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, engine, replace(scenarios.healthy(), hosts=(edge,)))
        text = screen_text(app)
        assert "edge ✗ down: connection refused" in text and "down: down:" not in text


async def test_a_drifted_config_says_drift_before_its_path(make_app: MakeApp) -> None:
    app, engine = make_app()
    drift = Evidence("envoy.drift", "/etc/envoy/envoy.yaml", Vantage.ENVOY_HOST, Status.FAIL,
                     "/etc/envoy/envoy.yaml differs from the running config: port 18443 → 18444")  # fmt: skip
    snap = scenarios.healthy()
    async with app.run_test(size=SIZE) as pilot:
        others = tuple(ev for ev in snap.evidence if ev.probe != "envoy.drift")
        await publish(pilot, engine, replace(snap, evidence=(*others, drift)))
        config_row = next(line for line in screen_text(app).splitlines() if " config " in line)
        assert "✗ DRIFT /etc/" in config_row


async def test_a_cause_that_flaps_is_announced_once(make_app: MakeApp) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        healthy, faulted = scenarios.healthy(), scenarios.faulted()
        await publish(pilot, engine, healthy, faulted, healthy, faulted, healthy, faulted)
        announced = [n for n in notifications(app) if n.startswith("new cause: Backend is down")]
        assert len(announced) == 1


async def test_the_footer_offers_details_on_every_pane_that_opens_them(
    make_app: MakeApp,
) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, engine, scenarios.faulted())
        for key in ("3", "4", "6"):  # a list or table has focus: its own enter selects
            await pilot.press(key)
            await pilot.pause()
            assert "⏎ Details" in screen_text(app).splitlines()[-1], key
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, DetailScreen), key
            await pilot.press("escape")


async def test_from_30_rows_causes_shows_a_second_finding(make_app: MakeApp) -> None:
    app, engine = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await publish(pilot, engine, scenarios.faulted())
        text = screen_text(app)
        assert "Backend is down" in text and "Envoy is in panic mode" in text


async def test_the_probes_detail_column_is_not_squeezed_by_the_waiting_row(
    make_app: MakeApp,
) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, engine, scenarios.faulted())
        await pilot.press("6")
        await pilot.pause()
        table = app.query_one("#probes-table", DataTable)
        probe_width = max(len(str(key.value).split("|")[0]) for key in table.rows)
        assert (
            table.columns[table.ordered_columns[0].key].get_render_width(table) <= probe_width + 2
        )


async def test_every_clusters_column_fits_at_80_columns_whatever_the_health_words(
    make_app: MakeApp,
) -> None:
    app, engine = make_app()
    flags = (HealthFlag.FAILED_ACTIVE_HC, HealthFlag.ACTIVE_HC_TIMEOUT)
    sick = scenarios.with_hosts(scenarios.faulted(), scenarios.host(18443, *flags),
                                scenarios.host(18444, HealthFlag.EXCLUDED_VIA_IMMEDIATE_HC_FAIL))  # fmt: skip
    well = scenarios.with_hosts(scenarios.faulted(), scenarios.host(18443), scenarios.host(18444))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await publish(pilot, engine, sick)
        await pilot.press("down")  # the cursor is on the second host
        await publish(pilot, engine, well, sick)
        lines = screen_text(app).splitlines()
        header = next(line for line in lines if " health " in line)
        for label in ("host", "cx act", "rq act", "rq total", "rq err", "cx fail", "success"):
            assert label in header, label
        assert any("127.0.0.1:18443 ✗ failed hc +1" in line for line in lines)
        assert app.query_one("#clusters-table", DataTable).cursor_row == 1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        assert ("health", "excluded (immediate health-check fail)") in app.screen.view.rows


async def test_up_in_the_logs_picks_a_line_and_enter_shows_that_record(make_app: MakeApp) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        engine.publish_logs([scenarios.access_line(i, 200, "-") for i in range(30)])
        await pilot.press("5")
        await pilot.pause()
        newest = app.logs_pane.details()
        assert newest is not None and "req-0029" in str(newest.rows[1][1])
        await pilot.press("up", "k", "j", "up")  # two lines above the newest
        engine.publish_logs([scenarios.access_line(i, 200, "-") for i in range(30, 40)])
        await pilot.pause()
        view = app.logs_pane.active_view
        assert view.selected is not None
        picked = view.render_line(view.selected - int(view.scroll_y))
        assert any(seg.style and seg.style.reverse for seg in picked), "the picked line stands out"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        assert "req-0027" in str(app.screen.view.rows[1][1])
        assert "▼ 10 new — f follows" in rate_line(app)
        await pilot.press("escape", "f")
        await pilot.pause()
        await pilot.pause()
        following = app.logs_pane.details()
        assert following is not None and "req-0039" in str(following.rows[1][1])
        assert "following" in rate_line(app)


async def test_a_consequence_is_shown_indented_under_its_cause(make_app: MakeApp) -> None:
    app, engine = make_app()
    snap = scenarios.faulted()
    panic = replace(scenarios.PANIC, explained_by=("backend.down",))
    snap = replace(snap, findings=(scenarios.BACKEND_DOWN, panic))
    async with app.run_test(size=(100, 30)) as pilot:
        await publish(pilot, engine, snap)
        lines = screen_text(app).splitlines()
        cause = next(i for i, line in enumerate(lines) if "Backend is down" in line)
        under = next(i for i, line in enumerate(lines) if "Envoy is in panic mode" in line)
        assert under > cause and "↳" in lines[under]
        assert "envoy.panic_mode ← backend.down" in lines[under]


async def test_a_flood_marker_counts_the_lines_it_stands_for(make_app: MakeApp) -> None:
    """Past the display budget the follower hands over the newest lines after a marker saying how
    many it did not show: the rate line counts those too, the marker draws as what it says."""
    from darc_tui.logs.flood import skipped_record

    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        marker = skipped_record("access", 45_000, 700, 4000, scenarios.T0 - 1)
        engine.publish_logs([marker, *(scenarios.access_line(i, 503, "UF") for i in range(5))])
        await pilot.press("5")
        await pilot.pause()
        assert "access: 45005/min · ✗ 705/min" in rate_line(app)  # 700 of them were broken
        first = app.logs_pane.feed("access").lines[0]
        assert first == (
            "≈ -- 45000 lines not shown (700 of them broken): more than 4000 lines/s arrive, "
            "each of them is counted --"
        )


async def test_a_flood_keeps_the_newest_lines_and_counts_every_one(make_app: MakeApp) -> None:
    """Bursts bigger than the view: the view ends with the newest MAX_LINES records (as if each
    had been written), the picked line stays picked, the "new" count, the rate and the ✗ count
    take every record, and the rate line forgets them a minute later."""
    from darc_tui.ui.panes import logs

    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        engine.publish_logs([scenarios.access_line(i, 200, "-") for i in range(30)])
        await pilot.press("5", "up")
        await pilot.pause()
        pane = app.logs_pane
        view = pane.active_view
        burst = [scenarios.access_line(i, 503 if i % 3 else 200, "UF") for i in range(30, 2530)]
        for start in range(0, len(burst), 500):
            engine.publish_logs(burst[start : start + 500])
        await pilot.pause(0.3)  # the drawing waits LOGS_EVERY at most
        await pilot.pause()
        assert [r.line for r in view.shown] == [r.line for r in [*burst][-logs.MAX_LINES :]]
        assert view.line_count == logs.MAX_LINES
        assert view.unseen == len(burst) and view.selected == 0
        bad = sum(1 for i in range(30, 2530) if i % 3)
        assert (pane.arrived["access"], pane.bad_arrivals["access"]) == (2530, bad)
        assert f"access: 2530/min · ✗ {bad}/min" in rate_line(app)
        pane.update_rate(scenarios.clock() + logs.RATE_WINDOW + 1)
        assert "access: 0/min · ✗ 0/min" in rate_line(app) and not pane.arrivals["access"]
