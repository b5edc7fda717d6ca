"""Sliding-window counts of access-log records (status × flags, upstream hosts, 5xx paths) →
Evidence.

The window is placed by each record's own START_TIME (falling back to when we read the line),
because Envoy flushes its access log every 10 s by default: arrival time would smear bursts.
darc-tui's own probe requests (User-Agent `darc-tui/…`) are counted apart, never as traffic: on a
quiet site they would otherwise be most of it, and they are evidence of their own already.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from darc_tui.hosts.http import USER_AGENT_PRODUCT
from darc_tui.ids import ProbeId
from darc_tui.model import Evidence, Status, Vantage

WINDOW_S = 60.0
MAX_KEPT = 500_000  # records held in one window (≈ 8 k req/s for 60 s); older ones are dropped
FAIL_RATIO = 0.05  # a 5xx share at or above this is a failure, below it a warning
FAIL_COUNT = 10
PROBE = ProbeId.ENVOY_ACCESS_LOG
TOP_PATHS = 10  # paths kept in the per-path 5xx breakdowns
PATH_CHARS = 200
_PROBE_AGENT = f"{USER_AGENT_PRODUCT}/"


# every field AccessWindow reads of a record (`_entry`): a line no record is made of is parsed
# for these alone (darc_tui.logs.flood)
ENTRY_FIELDS = frozenset(
    {
        "timestamp",
        "status",
        "flags",
        "user_agent",
        "details",
        "path",
        "upstream_host",
        "upstream_service_time_ms",
    }
)

# One entry per counted line: a plain tuple, not a NamedTuple. A busy log keeps up to MAX_KEPT of
# them, and the cycle collector stops tracking an exact tuple of atoms but never a subclass's:
# 500 000 NamedTuples made every collection walk them all (gen2 pauses of 150 ms in a flood).
_Entry = tuple[
    float,  # AT: START_TIME, else when the line was read
    str,  # KEY: "503 UF"
    int | None,  # STATUS
    str,  # UPSTREAM
    str,  # DETAILS
    bool,  # FROM_UPSTREAM: the response came from the backend (no flag; service time or via_upstream)
    str,  # PATH: without the query string; "" when the format has no path
    str,  # FLAGS: "URX,UF", "" for none (a tuple the collector still tracks, e.g. one made
    # before gc.freeze, would keep the entry tracked for good)
]
AT: Final = 0
KEY: Final = 1
STATUS: Final = 2
UPSTREAM: Final = 3
DETAILS: Final = 4
FROM_UPSTREAM: Final = 5
PATH: Final = 6
FLAGS: Final = 7


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """What the access log said in the last `window_s` seconds."""

    window_s: float
    total: int
    errors_5xx: int
    by_status_flag: Mapping[str, int]
    by_flag: Mapping[str, int]
    by_upstream: Mapping[str, int]
    by_upstream_5xx: Mapping[str, int]
    by_details: Mapping[str, int]
    unparsed: int = 0
    upstream_5xx: int = 0  # 5xx the backend itself answered (Envoy passed them through)
    probe_requests: int = 0  # darc-tui's own requests: not in any other count
    by_path_5xx: Mapping[str, int] = field(default_factory=dict)  # top paths, every 5xx
    by_path_upstream_5xx: Mapping[str, int] = field(default_factory=dict)  # the backend's own

    def facts(self) -> dict[str, Any]:
        return {
            "window_s": int(self.window_s),
            "total": self.total,
            "5xx": self.errors_5xx,
            "by_status_flag": dict(self.by_status_flag),
            "by_flag": dict(self.by_flag),
            "by_upstream": dict(self.by_upstream),
            "by_upstream_5xx": dict(self.by_upstream_5xx),
            "by_details": dict(self.by_details),
            "unparsed": self.unparsed,
            "5xx_from_upstream": self.upstream_5xx,
            "probe_requests": self.probe_requests,
            "by_path_5xx": dict(self.by_path_5xx),
            "by_path_upstream_5xx": dict(self.by_path_upstream_5xx),
        }

    def detail(self) -> str:
        window = f"{self.window_s:g} s"
        if not self.total:
            ours = f" ({self.probe_requests} darc-tui probe requests not counted)"
            return f"no requests in the last {window}" + (ours if self.probe_requests else "")
        if not self.errors_5xx:
            return f"{self.total} requests in {window}, no 5xx"
        worst = sorted(
            ((n, key) for key, n in self.by_status_flag.items() if key.startswith("5")),
            reverse=True,
        )[:3]
        parts = ", ".join(f"{n} × {key}" for n, key in worst)
        return f"{parts} in {window} ({self.errors_5xx} of {self.total} requests 5xx)"

    def status(self) -> Status:
        if not self.total:
            return Status.UNKNOWN  # no traffic is not evidence of health
        if not self.errors_5xx:
            return Status.OK
        if self.errors_5xx >= FAIL_COUNT or self.errors_5xx / self.total >= FAIL_RATIO:
            return Status.FAIL
        return Status.WARN


class AccessWindow:
    """Counts kept incrementally: add records as they come, ask for counts at any time."""

    def __init__(self, window_s: float = WINDOW_S, clock: Callable[[], float] = time.time) -> None:
        self.window_s, self.clock = window_s, clock
        self.max_kept = MAX_KEPT
        self._entries: deque[_Entry] = deque()
        self._unparsed: deque[float] = deque()
        self._probes: deque[float] = deque()
        self._keys: Counter[str] = Counter()
        self._flags: Counter[str] = Counter()
        self._upstreams: Counter[str] = Counter()
        self._upstreams_5xx: Counter[str] = Counter()
        self._details: Counter[str] = Counter()
        self._paths_5xx: Counter[str] = Counter()
        self._paths_upstream_5xx: Counter[str] = Counter()
        self._5xx = 0
        self._upstream_5xx = 0

    def add(self, fields: Mapping[str, Any], observed_at: float | None = None) -> None:
        """One record's parsed fields (`AccessRecord.to_json()`); empty fields = unparsed."""
        entry = self._entry(fields, observed_at)
        if entry is None:
            return
        self._count(entry, +1)
        self._entries.append(entry)
        if len(self._entries) > self.max_kept:
            self._count(self._entries.popleft(), -1)

    def add_many(self, records: Iterable[tuple[Mapping[str, Any], float | None]]) -> None:
        """`add` for each (fields, observed_at), counted per batch (what a busy log needs)."""
        entry_of = self._entry
        entries = [e for fields, at in records if (e := entry_of(fields, at)) is not None]
        self._count_many(entries, +1)
        self._entries.extend(entries)
        excess = len(self._entries) - self.max_kept
        if excess > 0:
            popleft = self._entries.popleft
            self._count_many([popleft() for _ in range(excess)], -1)

    def _entry(self, fields: Mapping[str, Any], observed_at: float | None) -> _Entry | None:
        """The entry a record counts as; None for an unparsed line or a probe request (each
        noted in its own list)."""
        at = fields.get("timestamp") or observed_at or self.clock()
        if "status" not in fields and "flags" not in fields:
            self._unparsed.append(float(at))
            return None
        agent = fields.get("user_agent")
        if agent and str(agent).startswith(_PROBE_AGENT):
            self._probes.append(float(at))
            return None
        status = fields.get("status")
        flags = ",".join(fields.get("flags") or ())
        details = str(fields.get("details") or "")
        path = fields.get("path")
        return (
            float(at),
            f"{status if status is not None else '-'} {flags or '-'}",
            status if isinstance(status, int) else None,
            str(fields.get("upstream_host") or "-"),
            details,
            not flags
            and (details == "via_upstream" or fields.get("upstream_service_time_ms") is not None),
            str(path).split("?", 1)[0][:PATH_CHARS] if path else "",
            flags,
        )

    def counts(self, now: float | None = None) -> WindowCounts:
        self._expire(self.clock() if now is None else now)
        return WindowCounts(
            self.window_s,
            len(self._entries),
            self._5xx,
            _positive(self._keys),
            _positive(self._flags),
            _positive(self._upstreams),
            _positive(self._upstreams_5xx),
            _positive(self._details),
            len(self._unparsed),
            self._upstream_5xx,
            len(self._probes),
            _positive(self._paths_5xx, TOP_PATHS),
            _positive(self._paths_upstream_5xx, TOP_PATHS),
        )

    def _expire(self, now: float) -> None:
        cutoff = now - self.window_s
        # records arrive roughly in START_TIME order; one that is out of order leaves a little late
        entries, gone = self._entries, []
        while entries and entries[0][AT] < cutoff:
            gone.append(entries.popleft())
        self._count_many(gone, -1)
        for times in (self._unparsed, self._probes):
            while times and times[0] < cutoff:
                times.popleft()

    def _count_many(self, entries: list[_Entry], sign: int) -> None:
        """`_count` of every entry, each counter touched once per distinct key."""
        if len(entries) < 4:
            for entry in entries:
                self._count(entry, sign)
            return
        _bump_all(self._keys, Counter([e[KEY] for e in entries]), sign)
        flags = [f for e in entries if e[FLAGS] for f in e[FLAGS].split(",")]
        _bump_all(self._flags, Counter(flags), sign)
        _bump_all(self._upstreams, Counter([e[UPSTREAM] for e in entries]), sign)
        _bump_all(self._details, Counter([e[DETAILS] for e in entries if e[DETAILS]]), sign)
        fives = [e for e in entries if e[STATUS] is not None and 500 <= e[STATUS] < 600]
        if not fives:
            return
        self._5xx += sign * len(fives)
        _bump_all(self._upstreams_5xx, Counter([e[UPSTREAM] for e in fives]), sign)
        _bump_all(self._paths_5xx, Counter([e[PATH] or "-" for e in fives]), sign)
        theirs = [e for e in fives if e[FROM_UPSTREAM]]
        self._upstream_5xx += sign * len(theirs)
        _bump_all(self._paths_upstream_5xx, Counter([e[PATH] or "-" for e in theirs]), sign)

    def _count(self, entry: _Entry, sign: int) -> None:
        _bump(self._keys, entry[KEY], sign)
        for flag in entry[FLAGS].split(",") if entry[FLAGS] else ():
            _bump(self._flags, flag, sign)
        _bump(self._upstreams, entry[UPSTREAM], sign)
        if entry[DETAILS]:
            _bump(self._details, entry[DETAILS], sign)
        if entry[STATUS] is not None and 500 <= entry[STATUS] < 600:
            self._5xx += sign
            _bump(self._upstreams_5xx, entry[UPSTREAM], sign)
            _bump(self._paths_5xx, entry[PATH] or "-", sign)
            if entry[FROM_UPSTREAM]:
                self._upstream_5xx += sign
                _bump(self._paths_upstream_5xx, entry[PATH] or "-", sign)


def _bump(counter: Counter[str], key: str, sign: int) -> None:
    """Count up or down; a key that drops to zero goes (paths can be many: /orders/<id>)."""
    counter[key] += sign
    if counter[key] <= 0:
        del counter[key]


def _bump_all(counter: Counter[str], counts: Counter[str], sign: int) -> None:
    """`_bump` each key of `counts` by its count."""
    for key, n in counts.items():
        counter[key] += sign * n
        if counter[key] <= 0:
            del counter[key]


def _positive(counter: Counter[str], top: int | None = None) -> dict[str, int]:
    """Non-zero counts, biggest first (the first `top` of them)."""
    ranked = [kv for kv in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])) if kv[1] > 0]
    return dict(ranked[:top])


def window_evidence(
    counts: WindowCounts, target: str, *, command: str, observed_at: float | None = None
) -> Evidence:
    return Evidence(
        PROBE,
        target,
        Vantage.ENVOY_HOST,
        counts.status(),
        counts.detail(),
        command=command,
        observed_at=time.time() if observed_at is None else observed_at,
        via="access log",
        facts=counts.facts(),
        data=counts,
    )
