"""Headless playback of a recording: the findings changes (`replay --json`) and the final state
(`report --from`), plus the configuration a recording is shown with."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import TextIO

from darc_tui.config import BackendConfig, Config, EnvoyConfig, SiteConfig
from darc_tui.recording.reader import Frame, Recording


def findings_changes(frames: Iterable[Frame]) -> list[dict[str, object]]:
    """One entry per change of the findings: seconds from the start and the ids, root first."""
    out: list[dict[str, object]] = []
    last: list[str] | None = None
    for frame in frames:
        ids = [str(f.cause) for f in frame.snapshot.findings]
        if ids != last:
            out.append({"t": round(frame.t, 2), "causes": ids})
            last = ids
    return out


def print_changes(frames: Iterable[Frame], out: TextIO = sys.stdout) -> int:
    """`replay --json`: one line per change; returns how many lines were printed."""
    n = 0
    for change in findings_changes(frames):
        out.write(json.dumps(change) + "\n")
        n += 1
    out.flush()
    return n


def cut_note(recording: Recording, frames: list[Frame]) -> str:
    """One line for stderr when the recording ends mid-stream (its writer was killed)."""
    if not recording.truncated:
        return ""
    end = f"{frames[-1].t:.1f}s" if frames else "its header"
    return (
        f"{recording.path}: the recording ends mid-stream (writer stopped?); replayed up to {end}"
    )


def recording_config(recording: Recording, config: Config | None) -> Config:
    """The given configuration, or one that only names the recorded site."""
    if config is not None:
        return config
    where = recording.header.get("where")
    where = where if isinstance(where, dict) else {}
    return Config(
        site=SiteConfig(name=recording.site or "recorded site"),
        envoy=EnvoyConfig(
            host=str(where.get("envoy_host", "?")), cluster=str(where.get("cluster", "?"))
        ),
        backend=BackendConfig(url=str(where.get("backend", ""))),
    )
