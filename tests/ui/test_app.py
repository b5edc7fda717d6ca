"""The console on a fake engine at 80x24: what arrives is drawn, and every key does what it says."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Static

from darc_tui.model import Evidence, HostState, LogRecord, Snapshot, Status, Vantage, Verdict
from darc_tui.parse.clusters import HealthFlag
from darc_tui.redact import MASK
from darc_tui.ui import engine_link
from darc_tui.ui.app import DarcApp
from darc_tui.ui.panes.logs import LogsPane
from darc_tui.ui.screens.details import DetailScreen
from darc_tui.ui.screens.help import HelpScreen
from tests.ui import scenarios
from tests.ui.conftest import publish, screen_text
from tests.ui.fakes import FakeEngine

MakeApp = Callable[..., tuple[DarcApp, FakeEngine]]
SIZE = (80, 24)


def notifications(app: DarcApp) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


async def test_first_frame_says_waiting_before_the_first_probe_round(make_app: MakeApp) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "waiting for first probe…" in text
        assert "✓" not in text and "DOWN" not in text  # nothing claims health before evidence
        assert engine.started


async def test_host_connection_states_show_before_the_first_evidence(make_app: MakeApp) -> None:
    app, engine = make_app()
    engine.publish(Snapshot(0.0, (), (), (HostState("edge", "ssh", False, "connecting"),),
                            Verdict.OK))  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "edge ✗ down: connecting" in text and "waiting for first probe…" in text


async def test_app_stops_the_engine_it_started_on_quit(make_app: MakeApp) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert engine.stopped


async def test_faulted_snapshot_shows_verdict_cause_and_failing_vantages(
    make_app: MakeApp,
) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, engine, scenarios.faulted())
        text = screen_text(app)
        assert "✗ DOWN · 2 causes" in text
        assert "Backend is down" in text and "next ▶ ss -tlnp 'sport = :18443'" in text
        assert "✗ 503" in text  # through Envoy: status code beside the glyph
        assert "app ✗ down: retry in 4s" in text  # unreachable host shown in the header


async def test_snapshot_change_updates_clusters_row_in_place_and_keeps_the_cursor(
    make_app: MakeApp,
) -> None:
    app, engine = make_app()
    hosts = [scenarios.host(18443), scenarios.host(18444), scenarios.host(18445)]
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, engine, scenarios.with_hosts(scenarios.healthy(), *hosts))
        await pilot.press("4", "down")
        table = app.query_one("#clusters-table", DataTable)
        assert table.cursor_row == 1
        sick = scenarios.host(18444, HealthFlag.FAILED_ACTIVE_HC)
        await publish(pilot, engine, scenarios.with_hosts(scenarios.healthy(), hosts[0], sick,
                                                          hosts[2]))  # fmt: skip
        assert table.cursor_row == 1
        assert str(table.get_cell("127.0.0.1:18444", "health")).strip() == "✗ failed hc"
        assert [k.value for k in table.rows] == [h.endpoint for h in hosts]
        await publish(pilot, engine, scenarios.with_hosts(scenarios.healthy(), hosts[0], sick))
        assert table.row_count == 2 and table.cursor_row == 1


async def test_pause_freezes_the_display_and_resume_shows_the_newest(make_app: MakeApp) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, engine, scenarios.healthy())
        await pilot.press("p")
        await publish(pilot, engine, scenarios.faulted())
        engine.publish_logs(scenarios.log_records())
        await pilot.pause()
        text = screen_text(app)
        assert "⏸ PAUSED" in text and "1 update waiting" in text
        assert "✓ OK" in text and "Backend is down" not in text
        assert len(app.logs_pane.feed("access").shown) == 0
        await pilot.press("p")
        await pilot.pause()
        text = screen_text(app)
        assert "● LIVE" in text and "✗ DOWN" in text
        assert len(app.logs_pane.feed("access").shown) == 12


async def test_filter_shows_only_matching_log_lines_and_esc_clears_it(make_app: MakeApp) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        engine.publish_logs(scenarios.log_records())
        await pilot.pause()
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.focused, Input)
        await pilot.press("5", "0", "3", "enter")
        view = app.logs_pane.feed("access")
        assert len(view.shown) == 6 and all(" 503 " in r.line for r in view.shown)
        assert all(" 503 " in line for line in view.lines)
        assert app.focused is app.logs_pane.active_view
        await pilot.press("escape")
        assert len(view.shown) == 12 and not app.logs_pane.query_text


async def test_log_lines_carry_a_marker_glyph_for_5xx(make_app: MakeApp) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        engine.publish_logs(scenarios.log_records())
        await pilot.press("5")  # a view writes its lines when it is on screen
        await pilot.pause()
        lines = app.logs_pane.feed("access").lines
        assert lines[0].startswith("  [") and lines[-1].startswith("✗ [")


async def test_scrolling_up_stops_following_and_f_follows_again(make_app: MakeApp) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        engine.publish_logs([scenarios.access_line(i, 200, "-") for i in range(50)])
        await pilot.press("5")
        await pilot.pause()
        view = app.logs_pane.active_view
        view.scroll_home(animate=False, immediate=True)
        await pilot.pause()
        engine.publish_logs([scenarios.access_line(i, 503, "UF") for i in range(50, 53)])
        await pilot.pause()
        assert view.scroll_y == 0 and view.unseen == 3
        assert "▼ 3 new — f follows" in screen_text(app)
        await pilot.press("f")
        await pilot.pause()
        assert view.is_vertical_scroll_end and view.unseen == 0


async def test_question_mark_lists_the_bindings(make_app: MakeApp) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "freeze the display; collection continues" in text and "1 Envoy" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_enter_on_a_cause_shows_all_its_evidence_and_c_copies_the_next_step(
    make_app: MakeApp,
) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, engine, scenarios.faulted())
        await pilot.press("3", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        rows = [f"{label} {value}" for label, value in app.screen.view.rows]
        assert sum(label == "evidence" for label, _ in app.screen.view.rows) == 3
        assert any(row.endswith("12 × 503 UF in 60 s") for row in rows)
        assert "ruled out network.firewall: no rule matches 18443" in rows
        assert "ruled out" in screen_text(app)
        await pilot.press("escape", "c")
        await pilot.pause()
        assert app.clipboard == "ss -tlnp 'sport = :18443'"
        assert "copied to clipboard: ss -tlnp 'sport = :18443'" in notifications(app)


async def test_enter_on_a_probe_row_shows_the_evidence(make_app: MakeApp) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, engine, scenarios.faulted())
        await pilot.press("6", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        assert "running, pid 4242" in screen_text(app)


async def test_snapshots_arriving_under_a_dialog_are_shown_when_it_closes(
    make_app: MakeApp,
) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, engine, scenarios.healthy())
        await pilot.press("1", "enter")
        assert isinstance(app.screen, DetailScreen)
        await publish(pilot, engine, scenarios.faulted())
        engine.publish_logs(scenarios.log_records())
        await pilot.press("5", "M", "slash", "f")  # pane keys wait while a dialog is open
        assert isinstance(app.screen, DetailScreen) and app.strip.current == "clusters"
        await pilot.press("escape")
        await pilot.pause()
        assert "✗ DOWN" in screen_text(app) and len(app.logs_pane.feed("access").shown) == 12


async def test_h_shows_the_timeline_newest_first(make_app: MakeApp) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, engine, scenarios.faulted())
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        texts = [str(value) for _, value in app.screen.view.rows]
        assert texts[0].startswith("host: host app down") and texts[-1].startswith("probe: ")
        assert "(30s ago)" in app.screen.view.rows[0][0]


async def test_ctrl_r_asks_the_engine_to_probe_now(make_app: MakeApp) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        assert engine.probe_now_calls == 1


async def test_reload_without_a_handler_says_not_available(make_app: MakeApp) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await pilot.pause()
        assert any("reload: not available" in n for n in notifications(app))


async def test_reload_calls_the_injected_handler_with_the_app(make_app: MakeApp) -> None:
    calls: list[DarcApp] = []

    async def reload(app: DarcApp) -> None:
        calls.append(app)

    app, _ = make_app(on_reload=reload)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await app.workers.wait_for_complete()
        assert calls == [app]


async def test_read_only_hides_reload_from_footer_and_palette(make_app: MakeApp) -> None:
    calls: list[object] = []
    app, _ = make_app(read_only=True, on_reload=calls.append)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await pilot.pause()
        assert calls == []
        assert "Reload" not in screen_text(app).splitlines()[-1]


async def test_t_cycles_the_loaded_themes_and_recolours_table_cells(make_app: MakeApp) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, engine, scenarios.healthy())
        await pilot.press("6")
        table = app.query_one("#probes-table", DataTable)
        key = "envoy.process|edge|envoy-host"

        def ok_colour() -> str:
            cell = table.get_cell(key, "status")
            return cell.style.color.get_truecolor().hex  # type: ignore[union-attr]

        assert app.theme == "darc" and ok_colour() == "#3fb950"
        await pilot.press("t")
        await pilot.pause()
        assert app.theme == "high-contrast" and ok_colour() == "#00ff00"
        await pilot.press("t")
        assert app.theme == "darc"


async def test_capital_m_maximizes_the_focused_pane_and_esc_restores(make_app: MakeApp) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, engine, scenarios.faulted())
        await pilot.press("6", "M")
        await pilot.pause()
        assert app.screen.maximized is app.query_one("#probes")
        assert "host.load" in screen_text(app)  # all 17 probe rows fit once maximized
        await pilot.press("escape")
        assert app.screen.maximized is None


async def test_number_keys_switch_the_shared_lower_pane(make_app: MakeApp) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert app.query_one("#clusters").display and not app.query_one("#logs").display
        await pilot.press("5")
        await pilot.pause()
        assert app.query_one("#logs").display and not app.query_one("#clusters").display
        assert app.focused is app.logs_pane.active_view


async def test_a_new_finding_is_announced_once(make_app: MakeApp) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, engine, scenarios.healthy(), scenarios.faulted(), scenarios.faulted())
        announced = [n for n in notifications(app) if n.startswith("new cause: Backend is down")]
        assert len(announced) == 1


async def test_probe_errors_and_unknown_probes_show_in_place(make_app: MakeApp) -> None:
    app, engine = make_app()
    odd = Evidence("dns.resolve", "backend.internal", Vantage.ENVOY_HOST, Status.ERROR,
                   "resolver timed out", observed_at=scenarios.T0 - 1)  # fmt: skip
    snap = scenarios.faulted()
    async with app.run_test(size=SIZE) as pilot:
        await publish(
            pilot, engine, snap.__class__(**{**_fields(snap), "evidence": (*snap.evidence, odd)})
        )
        await pilot.press("6")
        table = app.query_one("#probes-table", DataTable)
        keys = [k.value for k in table.rows]
        assert "dns.resolve|backend.internal|envoy-host" in keys
        row = table.get_row("dns.resolve|backend.internal|envoy-host")
        assert str(row[2]) == "⚠ ERROR" and str(row[4]) == "resolver timed out"
        extra = str(app.query_one("#health-extra", Static).content)
        assert "load ⚠ ERROR host app unreachable" in extra


async def test_secrets_are_masked_in_log_lines_and_details(make_app: MakeApp) -> None:
    app, engine = make_app()
    secret = LogRecord("access", "GET /x?token=abc123secret Authorization: Bearer sk-live-9f8e7d6c",
                       scenarios.T0, {"authorization": "Bearer sk-live-9f8e7d6c"})  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        engine.publish_logs([secret])
        await pilot.press("5", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert isinstance(app.screen, DetailScreen)
        assert "abc123secret" not in text and "sk-live" not in text and MASK in text
        assert "sk-live" not in "".join(app.logs_pane.feed("access").lines)


async def test_redaction_off_shows_lines_verbatim(make_app: MakeApp) -> None:
    app, engine = make_app(config=scenarios.config(redact=False))
    async with app.run_test(size=SIZE) as pilot:
        engine.publish_logs([LogRecord("access", "GET /x?token=abc123", scenarios.T0)])
        await pilot.press("5")
        await pilot.pause()
        assert "token=abc123" in app.logs_pane.feed("access").lines[0]


def count_drains(app: DarcApp) -> list[int]:
    """How many records each drain of the app's log inbox handed over, in order."""
    handled: list[int] = []
    original = app.link.drain

    def counting(limit: int | None = None) -> tuple[list[LogRecord], int]:
        records, dropped = original(limit)
        handled.append(len(records))
        return records, dropped

    app.link.drain = counting  # type: ignore[method-assign]
    return handled


async def test_a_log_flood_is_drawn_in_batches_and_capped(make_app: MakeApp) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        handled = count_drains(app)
        for batch in range(40):
            engine.publish_logs([scenarios.access_line(batch * 100 + i, 200, "-")
                                 for i in range(100)])  # fmt: skip
        await pilot.pause()
        await pilot.press("5")
        await pilot.pause()
        view: LogsPane = app.logs_pane
        assert len(handled) == 1 and handled[0] == 4000  # one message for the whole burst
        assert len(view.feed("access").lines) == 2000  # a feed keeps the newest MAX_LINES
        assert view.feed("access").lines[-1].endswith(f'"{scenarios.BACKEND}"')


async def test_a_backlog_is_drawn_in_turns_with_keys_between(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A resume after a long pause finds thousands of records waiting: they are drawn
    DRAIN_MAX at a time, oldest first, each turn a separate callback on the loop, and every
    record is drawn and counted in the end."""
    from darc_tui.ui import app as app_module

    monkeypatch.setattr(app_module, "DRAIN_MAX", 100)
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        handled = count_drains(app)
        await pilot.press("5", "p")
        engine.publish_logs([scenarios.access_line(i, 503, "UF") for i in range(450)])
        await pilot.pause()
        assert app.logs_pane.paused_waiting == 450 and handled == []
        await pilot.press("p")
        await pilot.pause()
        await pilot.pause()
        assert handled == [100, 100, 100, 100, 50]
        feed = app.logs_pane.feed("access")
        assert [r.line for r in feed.shown] == [scenarios.access_line(i, 503, "UF").line
                                                for i in range(450)]  # fmt: skip
        assert "access: 450/min · ✗ 450/min · following" in screen_text(app)


async def test_records_dropped_while_paused_leave_a_gap_marker(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_link, "INBOX", 10)
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.link.inbox = deque(maxlen=10)
        await pilot.press("p")
        engine.publish_logs([scenarios.access_line(i, 200, "-") for i in range(15)])
        await pilot.pause()
        assert app.logs_pane.paused_waiting == 10
        await pilot.press("p", "5")
        await pilot.pause()
        lines = app.logs_pane.feed("access").lines
        assert len(lines) == 11
        assert lines[0].startswith("≈ ── lines were lost here ── 5 lines dropped")
        assert "req-0005" in lines[1]


async def test_below_80x24_says_the_terminal_is_too_small(make_app: MakeApp) -> None:
    app, _ = make_app()
    async with app.run_test(size=(70, 20)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "terminal too small: darc-tui needs at least 80x24 (now 70x20)" in text
        assert "Causes" not in text


async def test_palette_offers_console_commands(make_app: MakeApp) -> None:
    from darc_tui.ui.palette import ConsoleCommands

    app, _ = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon")  # the palette is a screen on top while it asks
        await pilot.pause()
        provider = ConsoleCommands(app.screen)
        names = [text for text, _, _ in provider._commands()]
        assert "Pause" in names and "Probe" in names and "Logs pane" in names
        assert "Reload" not in names  # read-only


async def test_colon_opens_the_command_palette(make_app: MakeApp) -> None:
    from textual.command import CommandPalette

    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


def _fields(snap: Any) -> dict[str, Any]:
    return {name: getattr(snap, name) for name in snap.__dataclass_fields__}
