"""envoy.yaml on disk → EnvoySummary (the same type `/config_dump` gives), and `diff` of the two."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from darc_tui.parse import _envoy_proto as proto
from darc_tui.parse import one_line
from darc_tui.parse._values import dig, repeated
from darc_tui.parse.envoy_summary import ConfigChange, EnvoySummary, diff
from darc_tui.parse.safe_yaml import Loader
from darc_tui.parse.safe_yaml import load as load_yaml

__all__ = ["ConfigChange", "EnvoySummary", "diff", "parse_envoy_yaml"]


def parse_envoy_yaml(text: str | bytes, *, source: str = "") -> EnvoySummary:
    """Static clusters, listeners and admin of a bootstrap; errors name the line and column."""
    where = f"{source}: " if source else ""
    try:
        doc = _drop_ignored(load_yaml(text, loader_class=_EnvoyLoader))  # libyaml, alias budget
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        position = f"line {line}, column {column}: " if mark is not None else ""
        problem = exc.problem or exc.context or "invalid YAML"
        message = one_line(f"{where}{position}{problem}")
        return EnvoySummary(source=source, error=message, line=line, column=column)
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        return EnvoySummary(source=source, error=one_line(f"{where}invalid YAML: {exc}"))
    if not isinstance(doc, Mapping):
        kind = "empty" if doc is None else f"a {type(doc).__name__}"
        return EnvoySummary(
            source=source, error=f"{where}not an Envoy bootstrap: the document is {kind}"
        )
    static = dig(doc, "static_resources")
    return EnvoySummary(
        clusters=tuple(
            proto.cluster(c) for c in repeated(dig(static, "clusters")) if isinstance(c, Mapping)
        ),
        listeners=tuple(
            proto.listener(x) for x in repeated(dig(static, "listeners")) if isinstance(x, Mapping)
        ),
        admin=proto.admin_endpoint(doc.get("admin")),
        source=source,
    )


class _Ignored:
    """A mapping key tagged `!ignore`: Envoy's YAML reader drops the entry (a place to keep
    anchors, e.g. `!ignore defaults: {timeout: &t 2s}`); each one is its own object."""


class _EnvoyLoader(Loader):
    pass


_EnvoyLoader.add_constructor("!ignore", lambda loader, node: _Ignored())


def _drop_ignored(doc: Any) -> Any:
    """`doc` without the entries whose key is tagged `!ignore` (in place; aliases share nodes)."""
    seen: set[int] = set()
    stack = [doc]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            for key in [k for k in node if isinstance(k, _Ignored)]:
                del node[key]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None if isinstance(doc, _Ignored) else doc
