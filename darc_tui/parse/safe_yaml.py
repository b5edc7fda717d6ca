"""YAML from outside (envoy.yaml) loaded with a budget: an alias bomb is refused, not expanded.

PyYAML builds each anchored node once and shares it, so loading a "billion laughs" document is
cheap — but every walker that treats the result as a tree (a 438-byte envoy.yaml of nested anchors)
then visits it 10^9 times on the event loop. Before any object is built, the composed node graph
is measured in linear time (each node's expanded size, memoised); a document whose aliases expand
it by more than ALIAS_BUDGET nodes, or that refers to itself, is refused as invalid YAML.
"""

from __future__ import annotations

from typing import Any

import yaml

try:  # the libyaml loader is ~3x faster on big files; the pure-Python one is the fallback
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - wheels ship libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Loader = _Loader
ALIAS_BUDGET = 100_000  # extra nodes aliases may add when the document is read as a tree


class YamlBudgetError(yaml.YAMLError):
    """The document's aliases expand beyond the budget, or an alias refers to its own anchor."""


def load(text: str | bytes, *, budget: int = ALIAS_BUDGET, loader_class: type = _Loader) -> Any:
    """Like `yaml.safe_load` (libyaml when present), refusing alias bombs and recursive aliases.
    `loader_class`: a subclass of this module's `Loader` with extra constructors."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, budget)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_expansion(root: yaml.Node, budget: int) -> None:
    """Raise YamlBudgetError when the tree reading of `root` exceeds its distinct nodes + budget."""
    sizes: dict[int, int] = {}  # id(node) -> nodes in its tree reading
    open_nodes: set[int] = set()  # on the current path: meeting one again is a cycle
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[key] > len(sizes) + budget:
                raise YamlBudgetError(f"aliases expand the document beyond {budget} nodes")
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise YamlBudgetError("an alias refers to its own anchor (recursive document)")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
