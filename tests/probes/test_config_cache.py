"""envoy.yaml is read again only when it changed, and parsed once per text (probes/_config_cache)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from darc_tui.hosts.base import CommandResult
from darc_tui.hosts.local import LocalHost
from darc_tui.probes._config_cache import summary_of
from darc_tui.probes.envoy_config import read_config

YAML = "static_resources:\n  clusters:\n  - name: {name}\n    type: STATIC\n"


class CountingHost(LocalHost):
    """A real LocalHost that remembers the commands it ran."""

    def __init__(self) -> None:
        super().__init__()
        self.ran: list[str] = []

    async def run(
        self, argv: Sequence[str], *, timeout: float, input: bytes | None = None
    ) -> CommandResult:
        self.ran.append(argv[0])
        return await super().run(argv, timeout=timeout, input=input)


async def test_an_unchanged_file_is_not_read_again_and_a_changed_one_is(tmp_path: Path) -> None:
    path = tmp_path / "envoy.yaml"
    path.write_text(YAML.format(name="one"))
    host = CountingHost()
    first = await read_config(host, str(path), 2.0)
    again = await read_config(host, str(path), 2.0)
    assert first == again == (YAML.format(name="one"), "") and host.ran == ["head"]
    path.write_text(
        YAML.format(name="two!")
    )  # another size: a new fingerprint even on coarse mtime
    assert await read_config(host, str(path), 2.0) == (YAML.format(name="two!"), "")
    assert host.ran == ["head", "head"]
    os.utime(path, ns=(1, 1))  # the same bytes with another mtime: read again, same text
    assert (await read_config(host, str(path), 2.0))[0] == YAML.format(name="two!")
    assert host.ran == ["head", "head", "head"]


async def test_a_file_that_cannot_be_read_is_reported_every_time(tmp_path: Path) -> None:
    host = CountingHost()
    missing = str(tmp_path / "missing.yaml")
    for _ in range(2):
        text, why = await read_config(host, missing, 2.0)
        assert text == "" and "No such file" in why
    assert host.ran == ["head", "head"]


async def test_parsing_is_memoised_by_text_and_source() -> None:
    text = YAML.format(name="memo")
    first = await summary_of(text, "a.yaml")
    assert await summary_of(text, "a.yaml") is first
    assert [c.name for c in first.clusters] == ["memo"]
    other = await summary_of(text + "\n", "a.yaml")
    assert other is not first and [c.name for c in other.clusters] == ["memo"]
