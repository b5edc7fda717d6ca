"""`darc-tui demo --check`: every fault on the real lab names its cause, and restoring clears it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from darc_tui.demo.faults import AFTER_DRIFT_RELOAD, FAULTS
from darc_tui.demo.scenario import Outcome, summarize
from tests.demo.procs import processes_naming

CHECK_TIMEOUT = 240


def test_demo_check_names_every_faults_cause_and_clears_it_on_restore(
    envoy_binary: Path,
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "darc_tui", "demo", "--check"],
        capture_output=True,
        text=True,
        timeout=CHECK_TIMEOUT,
    )
    out = result.stdout
    summary = out[out.rindex("demo --check summary") :]
    assert result.returncode == 0, summary + result.stderr[-3000:]
    phases = 1 + 2 * len(FAULTS) + len(AFTER_DRIFT_RELOAD)
    assert f"{phases}/{phases} phases as expected" in summary
    for fault in FAULTS:
        assert re.search(rf"ok\s+{fault.key} .*got {re.escape(fault.expect[0])}", summary), fault
    assert "darc-tui check — darc demo: OK (no cause found)" in out
    workdir = Path(re.search(r"demo lab in (\S+)", result.stderr)[1])  # type: ignore[index]
    assert not workdir.exists()
    assert not processes_naming(workdir)


def test_summary_lists_each_mismatch_and_exits_1() -> None:
    outcomes = [
        Outcome("healthy baseline", (), (), 1.0),
        Outcome("b backend down", ("backend.down",), ("healthcheck.failing",), 2.0),
        Outcome("h health 500", ("healthcheck.failing",), (), 2.0),
    ]
    lines, status = summarize(outcomes)
    assert status == 1
    assert "1/3 phases as expected" in lines
    assert "  b backend down: expected backend.down, got healthcheck.failing" in lines
    assert "  h health 500: expected healthcheck.failing, got no cause" in lines


def test_summary_of_a_clean_run_exits_0() -> None:
    lines, status = summarize([Outcome("x", ("backend.down",), ("backend.down", "y"), 1.0)])
    assert status == 0 and "1/1 phases as expected" in lines
