"""The audit log: one JSON line per attempt, appended, never rewritten."""

from __future__ import annotations

import os
from pathlib import Path

from darc_tui.actions import audit
from darc_tui.actions.plan import Outcome, ReloadPlan, ReloadResult
from darc_tui.actions.target import Method
from darc_tui.actions.validate import Validation


def result(
    outcome: Outcome, *, output: str = "configuration 'x' OK", diff: int = 1
) -> ReloadResult:
    plan = ReloadPlan(
        host="edge",
        method=Method.HOT_RESTART,
        config_path="/etc/envoy/envoy.yaml",
        config_sha256="f" * 64,
        validation=Validation(True, "configuration 'x' OK", output, "envoy --mode validate"),
        diff=tuple(f"change {i}" for i in range(diff)),
        action=("kill", "-HUP", "7"),
        refusal=None,
        validate_ms=40.0,
    )
    return ReloadResult(plan, outcome, "done", epoch_after=1, apply_ms=5.0, verify_ms=200.0)


async def test_each_attempt_appends_one_line_and_earlier_lines_stay(state_dir: Path) -> None:
    path = await audit.record(result(Outcome.OK))
    first = path.read_bytes()

    await audit.record(result(Outcome.FAILED))

    assert path == state_dir / "audit.log"
    assert path.read_bytes().startswith(first)
    entries = audit.read()
    assert [e["outcome"] for e in entries] == ["ok", "failed"]
    entry = entries[0]
    assert (entry["host"], entry["method"], entry["action"]) == (
        "edge",
        "hot-restart",
        "kill -HUP 7",
    )
    assert entry["config_sha256"] == "f" * 64 and entry["diff"] == ["change 0"]
    assert entry["duration_ms"] == 245.0 and entry["reload_ms"] == 205.0
    assert entry["user"] and entry["time"].endswith("+00:00")
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_a_line_written_by_someone_else_in_between_is_kept(state_dir: Path) -> None:
    path = audit.append(audit.entry(result(Outcome.OK)))
    with open(path, "a", encoding="utf-8") as other:  # e.g. a second darc-tui on the jump box
        other.write('{"outcome": "refused"}\n')

    audit.append(audit.entry(result(Outcome.UNVERIFIED)))

    assert [e["outcome"] for e in audit.read()] == ["ok", "refused", "unverified"]


def test_long_validator_output_and_diffs_are_cut(state_dir: Path) -> None:
    entry = audit.entry(result(Outcome.REFUSED, output="x" * 5000, diff=60))

    assert len(entry["validation"]["output"]) < 2100
    assert entry["validation"]["output"].endswith("(3000 more characters)")
    assert len(entry["diff"]) == 51 and entry["diff"][-1] == "… 10 more"
