"""Real hosts with a twist for the host-command probe tests: commands run inside a test's network
namespace, or as the unprivileged user `nobody` (what a non-root login sees)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from darc_tui.config import Config, parse_config
from darc_tui.hosts.base import CommandResult
from darc_tui.hosts.local import LocalHost
from tests.conftest import require

NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--")


class NetnsHost(LocalHost):
    """Runs every command inside network namespace `netns` (`ip netns exec`)."""

    def __init__(self, netns: str, name: str = "app") -> None:
        super().__init__(name)
        self.netns = netns

    async def run(
        self, argv: Sequence[str], *, timeout: float, input: bytes | None = None
    ) -> CommandResult:
        return await super().run(["ip", "netns", "exec", self.netns, *argv], timeout=timeout)


class NobodyHost(LocalHost):
    """Runs every command as uid/gid 65534 with no supplementary groups."""

    def __init__(self, name: str = "edge") -> None:
        require(shutil.which("setpriv") is not None, "setpriv (util-linux)")
        super().__init__(name)

    async def run(
        self, argv: Sequence[str], *, timeout: float, input: bytes | None = None
    ) -> CommandResult:
        return await super().run([*NOBODY, *argv], timeout=timeout)


def lab_config(lab: Any, tmp: Path, **sections: Any) -> Config:
    """The lab's darc-tui config with `sections` merged in, loaded like the CLI loads it."""
    path = lab.write_config(tmp / "darc-tui.toml", **sections)
    return parse_config(path.read_text(), path)
