"""/clusters?format=json as a stream, for answers where one cluster alone is big.

Reading one whole cluster at a time keeps memory at the largest cluster's objects: one EDS cluster
of 40 000 hosts is a 32 MiB answer and 7× that in dicts. Here two passes of ijson's C parser over
the same bytes keep only what the report keeps: the first builds each cluster without its hosts
and counts the hosts each one lists; the second yields the hosts one at a time, in order.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from darc_tui.parse import one_line
from darc_tui.sanitize import clean

CLUSTER = "cluster_statuses.item"
HOSTS = CLUSTER + ".host_statuses"
HOST = HOSTS + ".item"
_INSIDE_HOSTS = HOSTS + "."
_VALUE_STARTS = frozenset({"start_map", "start_array", "string", "number", "boolean", "null"})
_HOSTS_KEY = re.compile(rb'"host_statuses"\s*:')


@dataclass(frozen=True, slots=True)
class ClusterShell:
    """One element of `cluster_statuses` with `host_statuses` emptied; of the values the host pass
    yields for it, the first `skipped` belong to an earlier, repeated `host_statuses` key (the
    last one wins, as in a whole-document parse) and the next `count` are its hosts."""

    raw: Any
    skipped: int
    count: int


def largest_cluster_text(data: bytes) -> int:
    """An upper bound of the bytes one cluster's host list spans: the widest gap between two
    `"host_statuses":` keys (a JSON string cannot hold that unescaped), or to the end."""
    starts = [m.start() for m in _HOSTS_KEY.finditer(data)] + [len(data)]
    return max(b - a for a, b in itertools.pairwise(starts)) if len(starts) > 1 else 0


def shells(data: bytes) -> list[ClusterShell]:
    """The first pass: every cluster without its hosts (raises what ijson raises)."""
    import ijson  # the clusters probe's worker thread only
    from ijson.common import ObjectBuilder

    found: list[ClusterShell] = []
    builder: Any = None
    skipped = count = 0
    for prefix, event, value in ijson.parse(data, use_float=True):
        if prefix.startswith(_INSIDE_HOSTS):
            if prefix == HOST and event in _VALUE_STARTS:
                count += 1
            continue
        if prefix == CLUSTER:
            if event == "start_map":
                builder, skipped, count = ObjectBuilder(), 0, 0
            elif event == "map_key" and value == "host_statuses":
                skipped, count = skipped + count, 0
            elif builder is None:
                continue  # a cluster that is not an object
            builder.event(event, value)
            if event == "end_map":
                found.append(ClusterShell(builder.value, skipped, count))
                builder = None
        elif builder is not None and prefix.startswith(CLUSTER + "."):
            builder.event(event, value)
    return found


def hosts(data: bytes) -> Iterator[Any]:
    """The second pass: every value listed in a `host_statuses`, in document order."""
    import ijson

    yield from ijson.items(data, HOST, use_float=True)


def host_by_host(data: bytes) -> tuple[list[Mapping[str, Any]], Iterator[Iterator[Any]]]:
    """Every cluster object without its hosts (first pass, done), and for each in turn an
    iterator of its host objects (second pass, lazy: one host's dicts alive at a time; each
    iterator must be used up before the next)."""
    found = [s for s in shells(data) if isinstance(s.raw, Mapping)]
    return [s.raw for s in found], _per_cluster(found, hosts(data))


def _per_cluster(found: list[ClusterShell], values: Iterator[Any]) -> Iterator[Iterator[Any]]:
    for shell in found:
        for _ in range(shell.skipped):
            next(values)
        yield (h for h in (next(values) for _ in range(shell.count)) if isinstance(h, Mapping))


def not_json(exc: Exception) -> str:
    """ "not JSON: parse error: premature EOF …" (yajl words its errors as bytes, with a piece
    of the answer: outside text, cleaned)."""
    reason = exc.args[0] if exc.args else exc
    if isinstance(reason, bytes):
        reason = reason.decode("utf-8", "replace")
    return clean(one_line(f"not JSON: {reason}"))
