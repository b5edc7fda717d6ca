"""envoy.yaml on disk → EnvoySummary (the same type `/config_dump` gives), and `diff` of the two."""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from darc_tui.parse import _envoy_proto as proto
from darc_tui.parse import one_line
from darc_tui.parse._values import dig, repeated
from darc_tui.parse.envoy_summary import ConfigChange, EnvoySummary, diff
from darc_tui.parse.safe_yaml import load as load_yaml

__all__ = ["ConfigChange", "EnvoySummary", "diff", "parse_envoy_yaml"]


def parse_envoy_yaml(text: str | bytes, *, source: str = "") -> EnvoySummary:
    """Static clusters, listeners and admin of a bootstrap; errors name the line and column."""
    where = f"{source}: " if source else ""
    try:
        doc = load_yaml(text)  # libyaml, with an alias budget
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
