"""The sub-command modules and their one dispatch: cheap to load, every module reachable, the
envoy-wrapper's arguments handed through untouched."""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from pathlib import Path

import pytest

import darc_tui.commands
from darc_tui import cli
from darc_tui.actions.reload import VERIFY_TIMEOUT
from darc_tui.commands import console, envoy_wrapper, logs, reload
from darc_tui.logs.sources import SOURCES

COMMANDS_DIR = Path(darc_tui.commands.__file__).parent
HEAVY = ("textual", "asyncssh", "httpx", "yaml", "psutil")


def test_help_and_usage_errors_load_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "from darc_tui.cli import main\n"
        "for argv in (['--help'], ['check', '--help'], ['logs', 'nope']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def _top_level_imports(path: Path) -> list[str]:
    """Modules imported at module level, outside `if TYPE_CHECKING:` blocks."""
    names: list[str] = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", sorted(COMMANDS_DIR.glob("*.py")), ids=lambda p: p.name)
def test_command_modules_import_only_the_standard_library_at_top_level(path: Path) -> None:
    for name in _top_level_imports(path):
        root = name.split(".")[0]
        if root == "darc_tui":
            assert name.startswith("darc_tui.commands") or name == "darc_tui", (path.name, name)
        else:
            assert root in sys.stdlib_module_names or root == "__future__", (path.name, name)


def test_every_command_module_is_listed_once_and_reachable() -> None:
    files = {p.stem for p in COMMANDS_DIR.glob("*.py")} - {"__init__", "_args"}
    listed = {m.__name__.rsplit(".", 1)[1] for m in cli.COMMANDS} | {
        cli.DEFAULT.__name__.rsplit(".", 1)[1]
    }
    assert files == listed and len(set(cli.COMMANDS)) == len(cli.COMMANDS)
    parser = cli.build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    owners = {name: p.get_default("command_module") for name, p in sub.choices.items()}
    assert set(owners.values()) == set(cli.COMMANDS)
    for name, module in owners.items():
        assert module.__name__.rsplit(".", 1)[1] == name.replace("-", "_")
    assert parser.parse_args(["logs", "access"]).command_module is logs
    assert parser.parse_args(["config", "check"]).command_module.__name__.endswith(".config")
    assert parser.parse_args([]).command_module is console
    assert parser.parse_args(["-c", "x.toml", "--read-only"]).command_module is console


@pytest.mark.parametrize(
    "rest",
    [
        [],
        ["--help"],
        ["--", "envoy", "-c", "envoy.yaml"],
        ["--pid-file", "/tmp/p", "--", "envoy", "--version", "-c", "y"],
        ["-c", "z"],
    ],
)
def test_envoy_wrapper_gets_every_word_after_its_name(rest: list[str]) -> None:
    args = cli.build_parser().parse_args(["envoy-wrapper", *rest])
    assert args.command_module is envoy_wrapper
    assert args.wrapper_args == rest


def test_sub_command_config_wins_over_the_top_level_one() -> None:
    parser = cli.build_parser()
    assert parser.parse_args(["-c", "a.toml", "check"]).config == "a.toml"
    args = parser.parse_args(["-c", "a.toml", "check", "-c", "b.toml"])
    assert darc_tui.commands._args.config_path(args) == "b.toml"


def test_cheap_copies_match_their_sources() -> None:
    # kept as literals so that the parsers load nothing but the standard library
    assert logs.SOURCES == SOURCES
    assert reload.VERIFY_TIMEOUT == VERIFY_TIMEOUT


def test_a_missing_config_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "darc_tui", "check", "-c", str(tmp_path / "none.toml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
