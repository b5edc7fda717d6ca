"""Theme files (small TOML, one Textual Theme each) → registered themes; broken files become notices."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import platformdirs
from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "darc"
FALLBACK_THEME = (
    "textual-dark"  # built into Textual: used when the shipped darc.toml is missing or broken
)
_COLOR_KEYS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_NUMBER_KEYS = ("luminosity_spread", "text_alpha")
_KNOWN = {f.name for f in fields(Theme)}


class ThemeError(Exception):
    """A theme file that cannot be used, phrased as one line naming the file."""


@dataclass(frozen=True, slots=True)
class LoadedThemes:
    themes: tuple[Theme, ...]
    errors: tuple[str, ...]  # one line per broken file


def theme_dirs() -> list[Path]:
    """The shipped themes and the user's config dir (…/darc-tui/themes), in that order."""
    user = Path(platformdirs.user_config_dir("darc-tui")) / "themes"
    return [shipped_themes_dir(), user]


def shipped_themes_dir() -> Path:
    """`themes/` beside the package in a checkout; `darc_tui/themes` inside an installed wheel
    (pyproject.toml force-includes it there)."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "themes"
    return installed if installed.is_dir() else package.parent / "themes"


def load_themes(dirs: Iterable[Path] | None = None) -> LoadedThemes:
    """Every *.toml theme in `dirs` (later directories override earlier ones by name)."""
    themes: dict[str, Theme] = {}
    errors: list[str] = []
    for directory in theme_dirs() if dirs is None else dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            try:
                theme = load_theme_file(path)
            except ThemeError as exc:
                errors.append(str(exc))
            else:
                themes[theme.name] = theme
    return LoadedThemes(tuple(themes.values()), tuple(errors))


def load_theme_file(path: Path) -> Theme:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ThemeError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ThemeError(f"{path}: invalid TOML: {exc}") from None
    return theme_from_mapping(data, path)


def theme_from_mapping(data: dict[str, Any], path: Path) -> Theme:
    unknown = sorted(set(data) - _KNOWN)
    if unknown:
        raise ThemeError(f"{path}: unknown key {unknown[0]!r}")
    kwargs: dict[str, Any] = {"name": str(data.get("name") or path.stem)}
    if "primary" not in data:
        raise ThemeError(f"{path}: primary: required")
    for key in _COLOR_KEYS:
        if key in data:
            kwargs[key] = _color(path, key, data[key])
    for key in _NUMBER_KEYS:
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ThemeError(f"{path}: {key}: expected a number")
            kwargs[key] = float(value)
    if "dark" in data:
        if not isinstance(data["dark"], bool):
            raise ThemeError(f"{path}: dark: expected true or false")
        kwargs["dark"] = data["dark"]
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise ThemeError(f"{path}: variables: expected a table of strings")
    kwargs["variables"] = dict(variables)
    return Theme(**kwargs)


def _color(path: Path, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ThemeError(f'{path}: {key}: expected a colour string like "#4fa3e0"')
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeError(f"{path}: {key}: not a colour: {value!r}") from None
    return value
