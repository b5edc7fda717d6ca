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


def _payload(cls: type) -> object:
    """The payload type a probe class declares (`class X(Probe[Payload])`), None if none."""
    import typing

    from darc_tui.probes.base import Probe

    for klass in cls.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            origin = typing.get_origin(base)
            args = typing.get_args(base)
            declared = args and not any(isinstance(a, typing.TypeVar) for a in args)
            if origin and issubclass(origin, Probe) and declared:
                return args[0]
    return None


def test_every_probe_declares_its_payload_type() -> None:
    import dataclasses
    import importlib
    import inspect
    import pkgutil

    import darc_tui.probes
    from darc_tui.probes.base import Probe

    concrete: list[type] = []
    for mod in pkgutil.iter_modules(darc_tui.probes.__path__):
        module = importlib.import_module(f"darc_tui.probes.{mod.name}")
        concrete += [
            c
            for _, c in inspect.getmembers(module, inspect.isclass)
            if issubclass(c, Probe)
            and not inspect.isabstract(c)
            and c.__module__ == module.__name__
        ]
    assert len(concrete) >= 15
    for cls in concrete:
        payload = _payload(cls)
        assert isinstance(payload, type) and dataclasses.is_dataclass(payload), (cls, payload)
