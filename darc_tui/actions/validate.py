"""Read envoy.yaml on the Envoy host and check it with the same Envoy binary (`--mode validate`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from darc_tui.hosts.base import Host, shell_join
from darc_tui.parse.envoy_validate import parse_validate_output

VALIDATE_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class DiskConfig:
    """envoy.yaml as read on the Envoy host; `error` is "" or why it could not be read."""

    path: str
    content: bytes = b""
    sha256: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class Validation:
    ok: bool
    summary: str  # one line: "configuration '/etc/envoy/envoy.yaml' OK" or Envoy's error
    output: str  # everything Envoy printed (stdout + stderr)
    command: str  # the command line as an engineer would type it
    duration_ms: float = 0.0


async def read_disk_config(host: Host, path: str, *, timeout: float) -> DiskConfig:
    result = await host.run(["cat", path], timeout=timeout)
    if not result.ok:
        return DiskConfig(path, error=f"cannot read {path} on {host.name}: {result.why()}")
    return DiskConfig(path, result.stdout, hashlib.sha256(result.stdout).hexdigest())


async def validate_config(host: Host, binary: str, path: str) -> Validation:
    """`envoy --mode validate -c PATH` on the host; `-l warning` keeps the info chatter out."""
    argv = [binary, "--mode", "validate", "-c", path, "-l", "warning"]
    result = await host.run(argv, timeout=VALIDATE_TIMEOUT)
    output = "\n".join(part for part in (result.text().strip(), result.err_text()) if part)
    if result.error:
        summary = f"could not run the validator: {result.error}"
        return Validation(False, summary, output, shell_join(argv), result.duration_ms)
    verdict = parse_validate_output(result.exit_status, result.stdout, result.stderr)
    return Validation(verdict.ok, verdict.message, output, shell_join(argv), result.duration_ms)
