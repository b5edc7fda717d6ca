"""Every public corpus config (tests/data/envoy-configs/, as written) reads the way Envoy loads it:
each listener and cluster found, each under its own key, each route's cluster among the clusters.
The real-Envoy half (config_dump vs file, check on a healthy and a broken site) is
tests/test_corpus.py."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from darc_tui.parse.envoy_yaml import parse_envoy_yaml
from tests.lab.corpus import CORPUS, ENTRIES, Entry


def count(value: Any) -> int:
    """How many items Envoy loads from a repeated field (one for a lone mapping)."""
    if isinstance(value, list):
        return len(value)
    return 0 if value is None else 1


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_corpus_config_reads_every_listener_and_cluster(entry: Entry) -> None:
    text = entry.path.read_text(encoding="utf-8")
    static = yaml.safe_load(text)["static_resources"]
    summary = parse_envoy_yaml(text, source=entry.path.name)
    assert not summary.error
    assert len(summary.listeners) == count(static.get("listeners")) > 0
    assert len({x.key for x in summary.listeners}) == len(summary.listeners)
    assert all(x.key for x in summary.listeners)
    assert len(summary.clusters) == count(static.get("clusters")) > 0
    names = {c.name for c in summary.clusters}
    routed = {r.cluster for x in summary.listeners for r in x.routes if r.action == "cluster"}
    assert routed and routed <= names


def test_every_corpus_file_is_listed_with_its_source_and_licence() -> None:
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    files = sorted(p.name for p in CORPUS.glob("*.yaml"))
    assert files == sorted(e.path.name for e in ENTRIES)
    for name in files:
        row = next((line for line in sources.splitlines() if f"`{name}`" in line), "")
        assert "Apache-2.0" in row or "MIT" in row, name
