"""Ranking: specific before generic, explained causes dropped, confidence from agreement."""

from __future__ import annotations

from darc_tui.diagnosis.catalog import CATALOG, finding
from darc_tui.diagnosis.rank import EXPLAINS, confidence, rank


def test_more_agreeing_evidence_raises_confidence_and_blind_spots_lower_it() -> None:
    assert confidence(0.6, 2) > confidence(0.6, 1) > confidence(0.6)
    assert confidence(0.6, 1, 1) < confidence(0.6, 1)
    assert 0 < confidence(0.1, 0, 5) <= confidence(0.99, 9) < 1


def test_explained_causes_are_dropped() -> None:
    ranked = rank(
        [finding("backend.down", 0.9, "x"), finding("config.endpoint_mismatch", 0.5, "y")]
    )
    assert [f.cause for f in ranked] == ["config.endpoint_mismatch"]


def test_specific_cause_ranks_first_even_with_less_confidence() -> None:
    ranked = rank(
        [finding("healthcheck.failing", 0.95, "a"), finding("envoy.panic_mode", 0.4, "b")]
    )
    assert [f.cause for f in ranked] == ["envoy.panic_mode", "healthcheck.failing"]


def test_duplicate_causes_keep_the_most_confident() -> None:
    ranked = rank([finding("backend.errors", 0.3, "low"), finding("backend.errors", 0.8, "high")])
    assert [f.summary for f in ranked] == ["high"]


def test_explains_table_only_names_catalog_causes() -> None:
    for winner, losers in EXPLAINS.items():
        assert winner in CATALOG and losers <= set(CATALOG)
        assert winner not in losers
