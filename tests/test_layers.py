"""The layer contracts (pyproject.toml [tool.importlinter]) hold, and cannot silently go stale."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import darc_tui

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(darc_tui.__file__).parent


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _top_level_modules() -> set[str]:
    return {
        f"darc_tui.{p.stem if p.suffix == '.py' else p.name}"
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" and p.stem not in ("__init__", "__main__"))
        or (p.is_dir() and (p / "__init__.py").exists())
    }


def _forbidden_for(source: str) -> set[str]:
    (contract,) = [c for c in _contracts() if c["source_modules"] == [source]]
    return set(contract["forbidden_modules"])  # type: ignore[call-overload]


def test_parse_and_sanitize_contracts_name_every_other_top_level_module() -> None:
    # a new top-level module must be added to both lists (or the purity claim is silently weaker)
    top = _top_level_modules()
    assert _forbidden_for("darc_tui.parse") == top - {"darc_tui.parse", "darc_tui.sanitize"}
    assert _forbidden_for("darc_tui.sanitize") == top - {"darc_tui.sanitize"}


def test_the_layer_contracts_are_kept() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in proc.stdout


def test_the_evidence_contract_carries_no_any() -> None:
    import typing

    from darc_tui.model import Evidence

    hints = typing.get_type_hints(Evidence)
    assert hints["facts"] is not typing.Any and hints["data"] is object
    assert not [name for name, hint in hints.items() if "Any" in repr(hint)]
    assert "Any" not in repr(typing.get_type_hints(Evidence.to_json)["return"])
