"""envoy.yaml read and parsed once per change, not once per probe run.

Four probes read the file (config_file, drift, validate's fingerprint, hc_request — that one every
second) and each parsed it again: a `head` fork and a YAML parse a few times a second for a file
that changes once a deploy. Here each host/path pair keeps the last text with its fingerprint
(mtime, size, inode); a read whose fingerprint still matches is answered from memory, and parsing
is memoised by the text itself. On the jump box itself the fingerprint is an `os.stat` in-process.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections import OrderedDict

from darc_tui.hosts.base import Host
from darc_tui.parse.envoy_summary import EnvoySummary
from darc_tui.parse.envoy_yaml import parse_envoy_yaml

PARSED_KEPT = 8  # distinct (text, source) pairs whose parse is kept

_texts: weakref.WeakKeyDictionary[Host, dict[str, tuple[str, str]]] = weakref.WeakKeyDictionary()
_parsed: OrderedDict[tuple[str, str], EnvoySummary] = OrderedDict()


async def file_fingerprint(host: Host, path: str, timeout: float) -> str:
    """mtime, size and inode of the file ("" when unknown): a change means "read it again"."""
    if host.kind == "local":
        try:
            st = await asyncio.to_thread(os.stat, path)
        except (OSError, ValueError):
            return ""
        return f"{st.st_mtime_ns / 1e9:.9f} {st.st_size} {st.st_ino}"
    result = await host.run(["stat", "-L", "-c", "%.9Y %s %i", "--", path], timeout=timeout)
    return result.text().strip() if result.ok else ""


def remembered(host: Host, path: str, fingerprint: str) -> str | None:
    """The text last read from `path` on `host` when its fingerprint is still `fingerprint`."""
    if not fingerprint:
        return None
    seen = _texts.get(host, {}).get(path)
    return seen[1] if seen is not None and seen[0] == fingerprint else None


def remember(host: Host, path: str, fingerprint: str, text: str) -> None:
    if fingerprint:
        _texts.setdefault(host, {})[path] = (fingerprint, text)


async def summary_of(text: str, source: str) -> EnvoySummary:
    """parse_envoy_yaml(text, source=source), off the loop the first time, from memory after."""
    key = (text, source)
    found = _parsed.get(key)
    if found is not None:
        _parsed.move_to_end(key)
        return found
    summary = await asyncio.to_thread(parse_envoy_yaml, text, source=source)
    _parsed[key] = summary
    while len(_parsed) > PARSED_KEPT:
        _parsed.popitem(last=False)
    return summary
