"""`darc-tui replay FILE [--json]`: the console on a recording (pause, step, speed, seek), or
headless one line per change of the findings."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from darc_tui.commands._args import EXIT_USAGE, add_config, config_path


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a speed factor, got {text!r}") from None
    if not 0.1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"expected a speed between 0.1 and 1000, got {text!r}")
    return value


def add_parser(sub: Any) -> None:
    p = sub.add_parser("replay", help="the console on a recording (or --json: findings changes)")
    add_config(p)
    p.add_argument("file", metavar="FILE", help="a recording made with --record")
    p.add_argument(
        "--json", action="store_true", help='one line per change: {"t": s, "causes": [ids]}'
    )
    p.add_argument("--speed", type=_speed, default=1.0, help="playback speed factor (default 1)")
    p.add_argument("--no-mouse", action="store_true", dest="sub_no_mouse")


def run(args: argparse.Namespace) -> int:
    from darc_tui.recording.playback import cut_note, print_changes
    from darc_tui.recording.reader import RecordingError, open_recording

    try:
        recording, frames = open_recording(args.file)
        shown = list(frames)
    except RecordingError as exc:
        print(f"darc-tui replay: {exc}", file=sys.stderr)
        return EXIT_USAGE
    note = cut_note(recording, shown)
    if args.json:
        print_changes(shown)
        if note:
            print(f"darc-tui replay: {note}", file=sys.stderr)
        return 0
    return _console(args, recording, shown, note)


def _console(args: argparse.Namespace, recording: Any, frames: list[Any], note: str) -> int:
    from darc_tui.commands._args import load, mouse
    from darc_tui.recording.playback import recording_config

    if not frames:
        print(f"darc-tui replay: {args.file}: no frames to show", file=sys.stderr)
        return EXIT_USAGE
    config = recording_config(recording, load(args) if config_path(args) else None)
    from darc_tui.recording.replay import ReplayEngine
    from darc_tui.ui.replay_app import run_replay

    engine = ReplayEngine(config, frames, speed=args.speed)
    return run_replay(engine, config, mouse=mouse(args), note=note)
