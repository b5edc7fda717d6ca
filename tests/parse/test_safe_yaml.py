"""YAML from outside is loaded with an alias budget: an alias bomb is refused in linear time."""

from __future__ import annotations

import pytest

from darc_tui.parse.access_log import access_log_formats
from darc_tui.parse.envoy_yaml import parse_envoy_yaml
from darc_tui.parse.safe_yaml import YamlBudgetError, load

# the 438-byte kind: nine levels of nine aliases = 9^9 (387 million) nodes when read as a tree
ALIAS_BOMB = "\n".join(
    ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    + ["static_resources: {clusters: *a9}"]
)
RECURSIVE = "a: &a [1, *a]\n"


def test_an_alias_bomb_is_refused() -> None:
    with pytest.raises(YamlBudgetError, match="beyond"):
        load(ALIAS_BOMB)


def test_a_recursive_alias_is_refused() -> None:
    with pytest.raises(YamlBudgetError, match="own anchor"):
        load(RECURSIVE)


def test_ordinary_anchors_still_load() -> None:
    text = "base: &b {timeout: 1s, port: 80}\nclusters: [*b, *b, {<<: *b, port: 81}]\n"
    doc = load(text)
    assert doc["clusters"][2] == {"timeout": "1s", "port": 81}
    assert load("") is None


def test_envoy_yaml_with_an_alias_bomb_is_one_error_line() -> None:
    summary = parse_envoy_yaml(ALIAS_BOMB, source="/etc/envoy/envoy.yaml")
    assert summary.error.startswith("/etc/envoy/envoy.yaml: invalid YAML: aliases expand")
    assert "\n" not in summary.error


def test_the_access_log_walk_visits_each_shared_node_once() -> None:
    # built without the loader: a shared graph 2^40 nodes deep as a tree must still walk quickly
    node: object = {"@type": "x"}
    for _ in range(40):
        node = {"a": node, "b": [node, node]}
    assert access_log_formats(node) == {}
    cyclic: list[object] = []
    cyclic.append({"l": cyclic})
    assert access_log_formats(cyclic) == {}
