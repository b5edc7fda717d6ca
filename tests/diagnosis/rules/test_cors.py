"""CORS preflight from the site origin."""

from __future__ import annotations

from darc_tui.diagnosis import diagnose
from tests.diagnosis import builders as b


def test_refused_preflight_names_origin_and_missing_header() -> None:
    found = diagnose(b.state(b.cors(False, origin="https://www.darc.kr")), b.config())
    assert [f.cause for f in found] == ["cors.origin_not_allowed"]
    assert "https://www.darc.kr" in found[0].summary
    assert "no Access-Control-Allow-Origin" in found[0].summary
    assert any("OPTIONS" in s and "Origin: https://www.darc.kr" in s for s in found[0].next_steps)


def test_allowed_preflight_is_no_finding() -> None:
    assert diagnose(b.state(b.cors(True, allow_origin="https://www.darc.kr")), b.config()) == []
