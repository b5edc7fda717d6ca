"""A bounded load generator: N concurrent HTTP clients, counting every request that did not get 200."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx


class LoadGenerator:
    """Stops by itself after `max_requests` or `max_seconds`, whichever comes first."""

    def __init__(
        self, url: str, *, clients: int = 4, max_requests: int = 20_000, max_seconds: float = 30.0
    ) -> None:
        self.url = url
        self.clients = clients
        self.max_requests = max_requests
        self.max_seconds = max_seconds
        self.sent = 0
        self.ok = 0
        self.failures: list[str] = []
        self._stop = asyncio.Event()

    async def _client(self, deadline: float) -> None:
        async with httpx.AsyncClient(trust_env=False, timeout=5.0) as client:
            while (
                not self._stop.is_set()
                and self.sent < self.max_requests
                and time.monotonic() < deadline
            ):
                self.sent += 1
                try:
                    response = await client.get(self.url)
                except httpx.HTTPError as exc:
                    self.failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                if response.status_code == 200:
                    self.ok += 1
                else:
                    self.failures.append(f"HTTP {response.status_code}: {response.text[:80]}")

    @asynccontextmanager
    async def running(self) -> AsyncIterator[LoadGenerator]:
        deadline = time.monotonic() + self.max_seconds
        tasks = [asyncio.create_task(self._client(deadline)) for _ in range(self.clients)]
        try:
            yield self
        finally:
            self._stop.set()
            await asyncio.gather(*tasks)

    async def wait_for_ok(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.ok < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {self.ok} requests succeeded in {timeout}s")
            await asyncio.sleep(0.01)
