"""Requests through the demo's Envoy, like its users would send them: a light steady stream, and a
burst of parallel requests (the overload fault). Loopback only, and every loop ends by itself."""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

PATHS = (
    "/api/users/42",
    "/api/orders?page=2",
    "/api/products",
    "/api/cart",
    "/api/users/7/orders",
    "/api/search?q=envoy",
)
STEADY_RATE = 3.0  # requests per second
STEADY_LIMIT = 8 * 3600.0  # seconds: even a forgotten demo stops sending
BURST_CONCURRENCY = 48
BURST_LIMIT = 20.0  # seconds


def loopback_url(url: str) -> str:
    """`url` unchanged if its host is a loopback IP literal; ValueError otherwise."""
    host = urlsplit(url).hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"demo traffic goes to loopback addresses only, not {url!r}")
    return url.rstrip("/")


class _Loop:
    """A daemon thread running one bounded job until stop() or its time limit."""

    def __init__(self, name: str, limit: float) -> None:
        self.name = name
        self.limit = limit
        self.statuses: Counter[str] = Counter()  # "200", "503", "error", …
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        raise NotImplementedError

    def _record(self, outcome: httpx.Response | BaseException) -> None:
        if isinstance(outcome, httpx.Response):
            self.statuses[str(outcome.status_code)] += 1
        else:
            self.statuses["error"] += 1


class Traffic(_Loop):
    """A few users browsing the site: GET /api/… through Envoy, `rate` requests a second."""

    def __init__(self, base_url: str, *, rate: float = STEADY_RATE, limit: float = STEADY_LIMIT):
        super().__init__("demo-traffic", limit)
        self.base_url = loopback_url(base_url)
        self.rate = rate

    def _run(self) -> None:
        deadline = time.monotonic() + self.limit
        paths = itertools.cycle(PATHS)
        headers = {"user-agent": "darc-demo-user"}  # tells the demo's requests apart in the log
        with httpx.Client(timeout=5.0, trust_env=False, headers=headers) as client:
            while not self._stop.is_set() and time.monotonic() < deadline:
                try:
                    outcome: httpx.Response | BaseException = client.get(
                        self.base_url + next(paths)
                    )
                except httpx.HTTPError as exc:
                    outcome = exc
                self._record(outcome)
                self._stop.wait(1.0 / self.rate)


class Burst(_Loop):
    """`concurrency` requests in flight at once, again and again, until stop() or `limit` s."""

    def __init__(
        self,
        base_url: str,
        *,
        concurrency: int = BURST_CONCURRENCY,
        limit: float = BURST_LIMIT,
        on_end: Callable[[], None] | None = None,
    ) -> None:
        super().__init__("demo-burst", limit)
        self.base_url = loopback_url(base_url)
        self.concurrency = concurrency
        self.on_end = on_end  # called from the burst's thread when it ends, however it ends

    def _run(self) -> None:
        try:
            asyncio.run(self._bursts())
        finally:
            if self.on_end is not None:
                self.on_end()

    async def _bursts(self) -> None:
        deadline = time.monotonic() + self.limit
        limits = httpx.Limits(max_connections=self.concurrency)
        headers = {"user-agent": "darc-demo-burst"}
        async with httpx.AsyncClient(
            timeout=5.0, trust_env=False, limits=limits, headers=headers
        ) as client:
            while not self._stop.is_set() and time.monotonic() < deadline:
                urls = [self.base_url + PATHS[i % len(PATHS)] for i in range(self.concurrency)]
                outcomes = await asyncio.gather(
                    *(client.get(url) for url in urls), return_exceptions=True
                )
                for outcome in outcomes:
                    self._record(outcome)
                await asyncio.sleep(0.05)
