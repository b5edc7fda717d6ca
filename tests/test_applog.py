"""`--log FILE`: the tracebacks of probe, rule and subscriber bugs are kept, never on a terminal."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from darc_tui import applog
from darc_tui.config import Config
from darc_tui.engine.core import Engine
from darc_tui.model import Evidence, Snapshot, Status, Vantage
from darc_tui.probes.base import ObservingProbe
from tests.test_engine import CountingProbe, CrashingProbe


class SurprisedProbe(ObservingProbe):
    name = "test.surprised"  # type: ignore[assignment]
    vantage = Vantage.JUMP

    @property
    def command(self) -> str:
        return "true"

    async def observe(self) -> Evidence:
        return {"unexpected": "shape"}["missing"]  # type: ignore[return-value]


@pytest.fixture(autouse=True)
def _restore_logger() -> Iterator[None]:
    logger = logging.getLogger(applog.LOGGER)
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    for handler in logger.handlers:
        if handler not in saved[0]:
            handler.close()
    logger.handlers[:], logger.level, logger.propagate = saved


async def test_log_file_keeps_tracebacks_of_a_crashing_probe_a_surprise_and_a_subscriber(
    tmp_path: Path,
) -> None:
    path = tmp_path / "darc.log"
    assert applog.setup(str(path), console=False) == path
    engine = Engine(Config(), {}, [CrashingProbe("a", [Status.OK]), SurprisedProbe("b")])

    def broken_subscriber(_snap: Snapshot) -> None:
        raise ValueError("subscriber bug")

    engine.subscribe(broken_subscriber)
    snap = await engine.run_round()
    engine._publish()  # what the live loop does after each round
    text = path.read_text(encoding="utf-8")
    assert "probe test.crash failed" in text and "RuntimeError: boom" in text
    assert "probe test.surprised (b): unexpected failure" in text and "KeyError: 'missing'" in text
    assert "subscriber failed" in text and "ValueError: subscriber bug" in text
    assert text.count("Traceback (most recent call last)") == 3
    # the evidence still says what happened, in one line
    surprised = snap.get("test.surprised")  # type: ignore[arg-type]
    assert surprised is not None and surprised.status is Status.ERROR


async def test_headless_without_log_file_is_one_line_on_stderr_never_a_traceback() -> None:
    err = io.StringIO()
    assert applog.setup(None, console=False, stderr=err) is None
    await Engine(Config(), {}, [CrashingProbe("a", [Status.OK])]).run_round()
    lines = err.getvalue().splitlines()
    assert lines == [
        "darc-tui: internal error in darc_tui.engine.core: probe test.crash failed: "
        "RuntimeError: boom (run with --log FILE for the traceback)"
    ]


def test_the_console_keeps_its_log_in_the_state_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(applog.STATE_DIR_ENV, str(tmp_path / "state"))
    path = applog.setup(None, console=True)
    assert path == tmp_path / "state" / applog.CONSOLE_LOG
    logging.getLogger("darc_tui.engine.core").error("kept")
    assert "kept" in path.read_text(encoding="utf-8")


def test_an_unwritable_log_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "darc.log"
    proc = subprocess.run(
        [sys.executable, "-m", "darc_tui", "--log", str(target), "check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr == f"darc-tui: --log {target}: cannot write: No such file or directory\n"


async def test_a_failing_check_is_evidence_not_a_log_record(tmp_path: Path) -> None:
    path = tmp_path / "quiet.log"
    applog.setup(str(path), console=False)
    await Engine(Config(), {}, [CountingProbe("a", [Status.FAIL])]).run_round()
    assert path.read_text(encoding="utf-8") == ""
