"""How a check and the site come out: Status and Verdict, the closed sets every layer shows.

A leaf of their own (darc_tui.model re-exports both): the console's first frame draws statuses
before the model, and before the id registries' seventy enum members, are built.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """A probe's outcome. UNKNOWN is "no data yet" and is never counted as healthy."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"  # the check ran and found a problem
    ERROR = "error"  # the check could not run (host down, no permission, garbage output)
    UNKNOWN = "unknown"


class Verdict(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"
