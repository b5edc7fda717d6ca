"""The cause graph: roots first, consequences listed under their cause, misnamed symptoms dropped."""

from __future__ import annotations

from darc_tui.diagnosis import verdict
from darc_tui.diagnosis.catalog import CATALOG, finding
from darc_tui.diagnosis.rank import GRAPH, confidence, explains, rank, roots
from darc_tui.ids import CauseId
from darc_tui.model import Verdict


def ids(findings: list) -> list[str]:
    return [
        f"{f.cause}<{','.join(f.explained_by)}" if f.explained_by else f.cause for f in findings
    ]


def test_more_agreeing_evidence_raises_confidence_and_blind_spots_lower_it() -> None:
    assert confidence(0.6, 2) > confidence(0.6, 1) > confidence(0.6)
    assert confidence(0.6, 1, 1) < confidence(0.6, 1)
    assert 0 < confidence(0.1, 0, 5) <= confidence(0.99, 9) < 1


def test_a_misnamed_symptom_is_dropped() -> None:
    ranked = rank(
        [finding("backend.down", 0.9, "x"), finding("config.endpoint_mismatch", 0.5, "y")]
    )
    assert ids(ranked) == ["config.endpoint_mismatch"]


def test_panic_mode_is_listed_under_the_failing_check_that_caused_it() -> None:
    ranked = rank([finding("envoy.panic_mode", 0.9, "b"), finding("healthcheck.failing", 0.4, "a")])
    assert ids(ranked) == ["healthcheck.failing", "envoy.panic_mode<healthcheck.failing"]
    assert ranked[1].to_json()["explained_by"] == ["healthcheck.failing"]
    assert "explained_by" not in ranked[0].to_json()


def test_a_chain_is_listed_depth_first_under_its_root() -> None:
    ranked = rank(
        [
            finding("envoy.panic_mode", 0.9, "p"),
            finding("backend.errors", 0.5, "e"),
            finding("healthcheck.failing", 0.9, "h"),
            finding("backend.down", 0.6, "d"),
        ]
    )
    assert ids(ranked) == [
        "backend.down",
        "healthcheck.failing<backend.down",
        "envoy.panic_mode<healthcheck.failing",
        "backend.errors",
    ]


def test_the_verdict_comes_from_the_roots_only() -> None:
    # panic (DEGRADED) under a DOWN cause, and a DEGRADED consequence under a DEGRADED root
    down = rank([finding("healthcheck.failing", 0.9, "h"), finding("envoy.panic_mode", 0.9, "p")])
    assert verdict(down) is Verdict.DOWN
    assert [f.cause for f in roots(down)] == ["healthcheck.failing"]
    # an ejection is the root; the panic it causes does not make the verdict
    ejected = rank([finding("outlier.ejected", 0.9, "o"), finding("envoy.panic_mode", 0.9, "p")])
    assert verdict(ejected) is CATALOG[CauseId.OUTLIER_EJECTED].severity


def test_independent_causes_are_both_roots_most_specific_first() -> None:
    ranked = rank([finding("backend.errors", 0.95, "a"), finding("config.no_route", 0.4, "b")])
    assert ids(ranked) == ["config.no_route", "backend.errors"]


def test_duplicate_causes_keep_the_most_confident() -> None:
    ranked = rank([finding("backend.errors", 0.3, "low"), finding("backend.errors", 0.8, "high")])
    assert [f.summary for f in ranked] == ["high"]


def test_the_graph_names_only_catalog_causes_and_has_no_cycle() -> None:
    for edge in GRAPH:
        assert edge.cause in CATALOG and edge.consequence in CATALOG
        assert edge.cause != edge.consequence
    for start in CATALOG:  # no cause explains itself through a chain
        seen, todo = set(), list(explains(start))
        while todo:
            cause = todo.pop()
            assert cause != start, f"{start} explains itself"
            if cause not in seen:
                seen.add(cause)
                todo.extend(explains(cause))


def test_each_pair_is_either_kept_or_dropped_not_both() -> None:
    pairs = [(e.cause, e.consequence) for e in GRAPH]
    assert len(pairs) == len(set(pairs))
