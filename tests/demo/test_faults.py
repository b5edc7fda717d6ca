"""The demo's fault switches on a real demo backend: b, k and s heal what they broke when pressed
again (the demo bar promises switches; u still undoes everything)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import httpx

from darc_tui.demo.backend import Backend
from darc_tui.demo.faults import SLOW_DELAY, Switchboard


async def status(backend: Backend, timeout: float = 5.0) -> int:
    async with httpx.AsyncClient(timeout=timeout) as client:
        return (await client.get(f"{backend.url}/api/health")).status_code


def switchboard(backend: Backend) -> Switchboard:
    lab: Any = SimpleNamespace(backend=backend)  # these switches only touch the lab's backend
    return Switchboard(lab)


async def test_k_again_makes_the_health_check_path_answer_200(backend: Backend) -> None:
    switches = switchboard(backend)
    await switches.apply("health_500")
    assert await status(backend) == 500
    message = await switches.apply("health_500")
    assert await status(backend) == 200
    assert "200 again" in message


async def test_s_again_makes_the_backend_fast_again(backend: Backend) -> None:
    switches = switchboard(backend)
    await switches.apply("slow")
    assert backend.delay == SLOW_DELAY
    message = await switches.apply("slow")
    assert backend.delay == 0.0 and "full speed" in message
    assert await status(backend, timeout=SLOW_DELAY / 2) == 200
