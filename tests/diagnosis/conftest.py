"""Prints how long each real-Envoy scenario took from fault to the correct top cause."""

from __future__ import annotations

import pytest

from tests.diagnosis.scenario import TIMINGS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TIMINGS:
        return
    write = terminalreporter.write_line
    write("")
    write("diagnosis scenarios, fault → correct top cause:")
    for t in TIMINGS:
        write(
            f"  {t.variant:8} {t.scenario:28} {t.cause:26} {t.seconds:6.2f} s {t.rounds:3} rounds"
            f"  [{' '.join(t.found)}]"
        )
