"""Theme files: the shipped ones load, a broken one is reported by name, and the app falls back."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.color import Color as RichColor
from rich.color import ColorSystem

from darc_tui.model import Status
from darc_tui.ui.app import DarcApp
from darc_tui.ui.status import GLYPH, WORD, status_label
from darc_tui.ui.themes import (
    DEFAULT_THEME,
    FALLBACK_THEME,
    load_themes,
    theme_dirs,
)
from tests.ui import scenarios
from tests.ui.fakes import FakeEngine

REPO_THEMES = Path(__file__).resolve().parents[2] / "themes"


def test_shipped_themes_load_without_errors() -> None:
    loaded = load_themes([REPO_THEMES])
    assert loaded.errors == ()
    assert {t.name for t in loaded.themes} >= {"darc", "high-contrast"}
    assert theme_dirs()[0] == REPO_THEMES


def test_high_contrast_status_colours_stay_distinct_in_256_colours() -> None:
    theme = next(t for t in load_themes([REPO_THEMES]).themes if t.name == "high-contrast")
    colours = [theme.success, theme.warning, theme.error, theme.background, theme.foreground]
    downgraded = {RichColor.parse(str(c)).downgrade(ColorSystem.EIGHT_BIT).number for c in colours}
    assert len(downgraded) == len(colours)
    # each is an exact xterm-256 entry, so a jump box over SSH shows the very same colour
    for colour in colours:
        assert RichColor.parse(str(colour)).downgrade(ColorSystem.EIGHT_BIT).get_truecolor() == (
            RichColor.parse(str(colour)).get_truecolor()
        )


def test_every_status_has_a_glyph_and_a_word_so_no_color_stays_readable() -> None:
    labels = {status_label(s) for s in Status}
    assert len(labels) == len(Status)
    assert all(GLYPH[s] and WORD[s] for s in Status)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_broken_theme_files_become_one_line_errors_naming_the_file(tmp_path: Path) -> None:
    _write(tmp_path, "syntax.toml", "primary = \n")
    _write(tmp_path, "colour.toml", 'primary = "not-a-colour"\n')
    _write(tmp_path, "unknown.toml", 'primary = "#ffffff"\nsparkle = true\n')
    _write(tmp_path, "fine.toml", 'primary = "#ffffff"\n')
    loaded = load_themes([tmp_path])
    assert [t.name for t in loaded.themes] == ["fine"]
    assert len(loaded.errors) == 3
    assert any("colour.toml: primary: not a colour: 'not-a-colour'" in e for e in loaded.errors)
    assert any("unknown.toml: unknown key 'sparkle'" in e for e in loaded.errors)
    assert any("syntax.toml: invalid TOML" in e for e in loaded.errors)


async def test_app_notifies_a_broken_theme_and_uses_the_default(tmp_path: Path) -> None:
    _write(tmp_path, "broken.toml", "primary = [\n")
    themes = load_themes([REPO_THEMES, tmp_path])
    app = DarcApp(FakeEngine(scenarios.config()), clock=scenarios.clock, themes=themes)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("broken.toml" in m and f"using theme '{DEFAULT_THEME}'" in m for m in messages)
        assert app.theme == DEFAULT_THEME


async def test_unknown_configured_theme_falls_back_with_a_notice(
    make_app: Callable[..., tuple[DarcApp, FakeEngine]],
) -> None:
    app, _ = make_app(config=scenarios.config(theme="solarized-nope"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == DEFAULT_THEME
        assert any("'solarized-nope' not found" in n.message for n in app._notifications)


async def test_without_theme_files_the_textual_default_is_used(tmp_path: Path) -> None:
    themes = load_themes([tmp_path / "missing"])
    app = DarcApp(FakeEngine(scenarios.config()), clock=scenarios.clock, themes=themes)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == FALLBACK_THEME


def test_an_installed_wheel_ships_the_themes(tmp_path: Path) -> None:
    """Build the wheel (offline, with the hatchling of the test environment), install it into a
    fresh directory and load the themes from there, away from the checkout."""
    root = Path(__file__).resolve().parents[2]
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [
            *pip,
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "dist"),
            str(root),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("darc_tui-*.whl")
    site = tmp_path / "site"
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    code = (
        "import darc_tui.ui.themes as t; loaded = t.load_themes([t.shipped_themes_dir()]); "
        "print(t.shipped_themes_dir()); print(sorted(x.name for x in loaded.themes), loaded.errors)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    where, found = proc.stdout.splitlines()
    assert Path(where) == site / "darc_tui" / "themes"
    assert found == "['darc', 'high-contrast'] ()"


async def _themed_state(app: DarcApp) -> tuple[object, ...]:
    return (
        app.theme,
        sorted(app.classes),
        dict(app.theme_variables),
        dict(app.stylesheet._variables),
        [
            (type(f).__name__, f.enabled, id(getattr(f, "_terminal_theme", None)))
            for f in app.get_line_filters()
        ],
        app.export_screenshot(),
    )


@pytest.mark.parametrize("theme", ["darc", "high-contrast", "textual-light"])
async def test_the_initial_theme_is_what_assigning_it_gives(theme: str) -> None:
    """The app sets its first theme without App.theme's watcher (that re-parses the whole
    stylesheet before the first frame); the result must be what the watcher produces."""
    app = DarcApp(FakeEngine(scenarios.config(theme=theme)), clock=scenarios.clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        initial = await _themed_state(app)
        other = "textual-dark" if theme != "textual-dark" else "darc"
        app.theme = other  # through the watcher, away and back
        await pilot.pause()
        app.theme = theme
        await pilot.pause()
        assigned = await _themed_state(app)
    assert initial == assigned
