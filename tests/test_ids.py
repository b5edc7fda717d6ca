"""The id registries: every probe and every catalog cause has an id, and the two never overlap."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import darc_tui
from darc_tui.diagnosis.catalog import CATALOG, finding
from darc_tui.ids import CauseId, ProbeId, log_probe
from darc_tui.model import Evidence, Status, Vantage

PACKAGE = Path(darc_tui.__file__).parent


def _probe_names_in_source() -> set[str]:
    """Every `name = ProbeId.X` class attribute in darc_tui/probes (read from the source)."""
    names: set[str] = set()
    for path in (PACKAGE / "probes").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    if (
                        isinstance(stmt, ast.Assign)
                        and [getattr(t, "id", None) for t in stmt.targets] == ["name"]
                        and isinstance(stmt.value, ast.Attribute)
                    ):
                        names.add(stmt.value.attr)
    return names


def test_every_probe_class_names_itself_with_a_probe_id() -> None:
    names = _probe_names_in_source()
    assert len(names) >= 15
    assert names <= set(ProbeId.__members__)


def test_no_probe_or_cause_id_is_a_string_literal_in_the_package() -> None:
    ids = {m.value for m in (*ProbeId, *CauseId) if "." in m.value}
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "ids.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in ids:
                found.append(f"{path.relative_to(PACKAGE)}: {node.value!r}")
    # the one exception: a config key that happens to share a probe's spelling
    assert found == ["ui/panes/logs.py: 'envoy.access_log'"], found


def test_catalog_is_keyed_by_cause_ids() -> None:
    assert all(type(cause) is CauseId for cause in CATALOG)
    assert set(CATALOG) <= set(CauseId)


def test_probe_and_cause_ids_are_distinct_registries() -> None:
    assert not {m.value for m in ProbeId} & {m.value for m in CauseId}
    # the same-looking pair the registries exist to keep apart
    assert ProbeId.ENVOY_DRIFT == "envoy.drift" and CauseId.CONFIG_DRIFT == "config.drift"
    assert ProbeId.ENVOY_DRIFT not in set(CauseId)


def test_ids_serialise_as_their_plain_values() -> None:
    ev = Evidence(ProbeId.BACKEND_TCP, "127.0.0.1:1", Vantage.JUMP, Status.OK, "open")
    f = finding(CauseId.BACKEND_DOWN, 0.9, "nothing listens")
    text = json.dumps({"ev": ev.to_json(), "f": f.to_json()})
    assert '"name": "backend.tcp"' in text and '"id": "backend.down"' in text


def test_log_probe_names_each_follower() -> None:
    assert [log_probe(s) for s in ("access", "error", "journal")] == [
        ProbeId.LOGS_ACCESS,
        ProbeId.LOGS_ERROR,
        ProbeId.LOGS_JOURNAL,
    ]
