"""`darc-tui reload`: plan, dry run, y/N confirmation (default No), --yes, exit status."""

from __future__ import annotations

import argparse
import io

from darc_tui.actions import audit
from darc_tui.actions.command import reload_command as run
from darc_tui.cli import build_parser
from darc_tui.commands.reload import add_parser
from darc_tui.config import Config, EnvoyConfig
from tests.actions.conftest import WrappedEnvoy, local_hosts


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["reload", *argv])


async def test_dry_run_no_and_no_terminal_send_nothing_and_yes_reloads(
    wrapped: WrappedEnvoy,
) -> None:
    config, hosts = wrapped.config(), local_hosts()
    wrapped.rewrite(hc_interval=0.7)

    dry = io.StringIO()
    assert await run(parse("--dry-run"), config, hosts=hosts, out=dry) == 0
    assert "Validation:  OK" in dry.getvalue() and "dry run: nothing was sent" in dry.getvalue()
    assert "interval 0.7s" in dry.getvalue()

    asked: list[str] = []
    declined = io.StringIO()

    def say_no(question: str) -> str:
        asked.append(question)
        return ""  # just Enter: the default is No

    assert await run(parse(), config, hosts=hosts, ask=say_no, out=declined) == 1
    assert asked and asked[0].endswith("[y/N] ")
    assert "CANCELLED" in declined.getvalue()

    no_tty = io.StringIO()  # pytest's stdin is not a terminal
    assert await run(parse(), config, hosts=hosts, out=no_tty) == 1
    assert "pass --yes" in no_tty.getvalue()
    assert wrapped.epoch() == 0

    done = io.StringIO()
    assert await run(parse("--yes"), config, hosts=hosts, out=done) == 0
    assert "OK: Envoy reloaded: epoch 0 → 1" in done.getvalue()
    assert wrapped.epoch() == 1
    assert [e["outcome"] for e in audit.read()] == ["cancelled", "cancelled", "ok"]


async def test_read_only_flag_refuses_with_exit_1() -> None:
    out = io.StringIO()
    config = Config(envoy=EnvoyConfig(config_path="/nonexistent/envoy.yaml"))

    code = await run(parse("--read-only", "--yes"), config, hosts=local_hosts(), out=out)

    assert code == 1
    assert "Refused:     read-only mode" in out.getvalue()
    assert "REFUSED: read-only mode" in out.getvalue()


def test_the_reload_sub_command_takes_its_documented_flags() -> None:
    args = parse("-c", "x.toml", "--dry-run", "--yes", "--timeout", "5")

    assert (args.sub_config, args.dry_run, args.yes, args.timeout) == ("x.toml", True, True, 5.0)


async def test_the_top_level_read_only_flag_reaches_reload() -> None:
    args = build_parser().parse_args(["--read-only", "reload", "--yes"])
    out = io.StringIO()
    config = Config(envoy=EnvoyConfig(config_path="/nonexistent/envoy.yaml"))

    assert await run(args, config, hosts=local_hosts(), out=out) == 1
    assert "REFUSED: read-only mode" in out.getvalue()
