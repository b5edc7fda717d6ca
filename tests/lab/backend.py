"""Lab fixtures: the demo backend on a free loopback port (real sockets, switchable faults)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from darc_tui.demo.backend import Backend


@pytest.fixture
def backend() -> Iterator[Backend]:
    server = Backend().start()
    try:
        yield server
    finally:
        server.stop()
