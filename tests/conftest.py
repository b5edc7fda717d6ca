"""Shared test set-up: integration prerequisites fail (not skip) under DARC_REQUIRE_INTEGRATION=1."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

pytest_plugins = [
    "tests.lab.envoy",
    "tests.lab.backend",
    "tests.lab.sshd",
    "tests.lab.netns",
    "tests.lab.dns",
    "tests.lab.journald",
    "tests.lab.fleet",
]


def require(condition: bool, what: str) -> None:
    """Skip a test whose real prerequisite is missing, or fail it when CI requires integration."""
    if condition:
        return
    if os.environ.get("DARC_REQUIRE_INTEGRATION") == "1":
        pytest.fail(f"integration prerequisite missing: {what}", pytrace=False)
    pytest.skip(f"needs {what}")
