"""Retry pacing shared by the SSH hosts and the log followers (no I/O, no imports of either)."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Capped exponential backoff with jitter, so many hosts do not reconnect in lockstep
    (sshd's MaxStartups drops bursts of unauthenticated connections)."""

    base: float = 1.0
    cap: float = 30.0
    jitter: float = 0.2

    def delay(self, failures: int) -> float:
        raw = min(self.cap, self.base * 2 ** max(failures - 1, 0))
        return float(raw * random.uniform(1 - self.jitter, 1 + self.jitter))
