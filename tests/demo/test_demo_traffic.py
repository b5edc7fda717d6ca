"""Demo traffic goes to loopback only and stops by itself."""

from __future__ import annotations

import threading
import time

import pytest

from darc_tui.demo.lab import free_port
from darc_tui.demo.traffic import Burst, Traffic, loopback_url


@pytest.mark.parametrize(
    "url", ["http://10.0.0.100:8080", "http://example.com", "https://www.darc.kr/api"]
)
def test_traffic_refuses_anything_but_a_loopback_address(url: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        Traffic(url)
    with pytest.raises(ValueError, match="loopback"):
        Burst(url)


def test_loopback_addresses_are_accepted() -> None:
    assert loopback_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"
    assert loopback_url("http://[::1]:8080") == "http://[::1]:8080"


def test_burst_ends_by_itself_at_its_time_limit_and_says_so() -> None:
    ended = threading.Event()
    burst = Burst(f"http://127.0.0.1:{free_port()}", concurrency=4, limit=0.5, on_end=ended.set)
    burst.start()
    assert ended.wait(timeout=10), "the burst never stopped"
    assert burst.sent >= 4 and burst.statuses["error"] == burst.sent  # nothing listens there


def test_traffic_stops_when_asked() -> None:
    traffic = Traffic(f"http://127.0.0.1:{free_port()}", rate=20.0)
    traffic.start()
    deadline = time.monotonic() + 10
    while traffic.sent < 2:
        assert time.monotonic() < deadline, "no request sent"
        time.sleep(0.05)
    traffic.stop()
    assert not traffic.running
