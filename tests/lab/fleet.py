"""Lab fixtures: three real Envoys behind one backend and a real Prometheus scraping them every
second (darc_tui.demo.fleet_lab), one per test module — Prometheus takes ~6 s to see new targets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from darc_tui.demo.fleet_lab import FleetLab
from darc_tui.demo.prometheus_process import find_prometheus
from tests.conftest import require


@pytest.fixture(scope="session")
def prometheus_binary() -> Path:
    binary = find_prometheus()
    require(binary is not None, "a Prometheus binary (./run setup unpacks Debian's prometheus)")
    assert binary is not None
    return binary


@pytest.fixture(scope="module")
def fleet_lab(
    tmp_path_factory: pytest.TempPathFactory, envoy_binary: Path, prometheus_binary: Path
) -> Iterator[FleetLab]:
    with FleetLab(tmp_path_factory.mktemp("fleet")) as lab:
        yield lab
