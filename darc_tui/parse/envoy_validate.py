"""`envoy --mode validate -c FILE` output → OK, or Envoy's own one-line reason."""

from __future__ import annotations

import re
from dataclasses import dataclass

from darc_tui.parse import as_text, one_line

# 1.40: "[…][critical][main] [source/server/config_validation/server.cc:76] error initializing
# configuration '/path/envoy.yaml': route: unknown cluster 'nope'"
_ERROR = re.compile(r"error initializing configuration '(?P<path>[^']*)':\s*(?P<message>.*)")
# Protobuf errors are long and put the useful part last ("… no such field: 'bogus'"): keep it all.
MESSAGE_LIMIT = 600
_LOG_PREFIX = re.compile(r"^\[[^\]]*\](?:\[[^\]]*\])*\s*(?:\[[^\]]*\]\s*)?")


@dataclass(frozen=True, slots=True)
class ValidateResult:
    ok: bool
    message: str  # Envoy's reason when not ok ("yaml-cpp: error at line 27, column 3: …")


def parse_validate_output(
    exit_status: int | None, stdout: str | bytes, stderr: str | bytes
) -> ValidateResult:
    out, err = as_text(stdout), as_text(stderr)
    if exit_status == 0 and " OK" in out:
        return ValidateResult(True, one_line(out.strip().splitlines()[-1]))
    for line in (err + "\n" + out).splitlines():
        match = _ERROR.search(line)
        if match:
            return ValidateResult(
                False, one_line(match["message"], MESSAGE_LIMIT) or "invalid configuration"
            )
    lines = [_LOG_PREFIX.sub("", x).strip() for x in (err + "\n" + out).splitlines()]
    useful = [x for x in lines if x]
    reason = useful[-1] if useful else f"exit status {exit_status}"
    return ValidateResult(False, one_line(reason, MESSAGE_LIMIT))
