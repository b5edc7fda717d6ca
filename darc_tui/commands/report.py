"""`darc-tui report`: probe headless for a while, then write an incident report (Markdown or JSON)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from darc_tui.commands._args import EXIT_USAGE, add_config, load, seconds

if TYPE_CHECKING:
    from darc_tui.config import Config
    from darc_tui.model import Snapshot


def add_parser(sub: Any) -> None:
    p = sub.add_parser("report", help="probe headless, then write an incident report")
    add_config(p)
    p.add_argument("--format", choices=("md", "json"), default="md")
    p.add_argument(
        "--duration", type=seconds, default=5.0, metavar="SECONDS", help="how long to watch"
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.add_argument(
        "--from", dest="from_file", metavar="RECORDING",
        help="build the report from a recording (--record) instead of probing",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    import asyncio

    if args.from_file:
        return _from_recording(args)
    config = load(args)
    if args.output and not Path(args.output).parent.is_dir():
        # say so before probing for --duration seconds, not after
        print(f"darc-tui report: {args.output}: no such directory", file=sys.stderr)
        return EXIT_USAGE
    return asyncio.run(_report(args, config))


def _from_recording(args: argparse.Namespace) -> int:
    """The report of a recording's last state (its timeline holds the whole incident)."""
    from darc_tui.commands._args import config_path
    from darc_tui.recording.playback import cut_note, recording_config
    from darc_tui.recording.reader import RecordingError, open_recording

    if args.output and not Path(args.output).parent.is_dir():
        print(f"darc-tui report: {args.output}: no such directory", file=sys.stderr)
        return EXIT_USAGE
    try:
        recording, frames = open_recording(args.from_file)
        last = None
        for last in frames:  # noqa: B007 - only the last state is reported
            pass
    except RecordingError as exc:
        print(f"darc-tui report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if last is None:
        print(f"darc-tui report: {args.from_file}: no frames recorded", file=sys.stderr)
        return EXIT_USAGE
    note = cut_note(recording, [last])
    if note:
        print(f"darc-tui report: {note}", file=sys.stderr)
    config = recording_config(recording, load(args) if config_path(args) else None)
    return _write(args, last.snapshot, config)


async def _report(args: argparse.Namespace, config: Config) -> int:
    import asyncio

    from darc_tui.engine import build_engine

    engine = build_engine(config)
    try:
        await engine.run_round()
        await engine.start()
        await asyncio.sleep(max(args.duration, config.probes.interval))
        snap = engine.snapshot()
    finally:
        await engine.stop()
    return _write(args, snap, config)


def _write(args: argparse.Namespace, snap: Snapshot, config: Config) -> int:
    import json

    from darc_tui.report import report_json, report_markdown

    if args.format == "json":
        text = json.dumps(report_json(snap, config), indent=2, ensure_ascii=False) + "\n"
    else:
        text = report_markdown(snap, config)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"darc-tui report: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return EXIT_USAGE
        print(f"report written to {args.output} ({len(snap.findings)} cause(s))", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 1 if snap.findings else 0
