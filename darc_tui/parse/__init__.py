"""Pure parsers over bytes/str: Envoy admin output, Envoy config, logs, host command output.

One module per source. Convention for the Envoy admin and config parsers (`clusters`, `stats`,
`server_info`, `config_dump`, `envoy_yaml`): they never raise on bad input. Each returns its typed
result with an `error` field that is "" when the input was understood, or one line saying why not
(e.g. "not JSON: Expecting value at line 1, column 1", "line 4, column 7: mapping values are not
allowed here"); what could still be read is kept (a partial result), the rest is empty. Callers
check `result.error` first; probes turn a non-empty error into ERROR evidence naming the endpoint.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from darc_tui.sanitize import clean_block, clean_value, is_clean

MAX_ERROR_CHARS = 200
# a JSON string escape that decodes to a code point darc_tui.sanitize replaces
_ESCAPED_CONTROL = re.compile(
    r"\\u(?:00[0-1]|007[fF]|00[89]|202[89a-eA-E]|206[6-9])", re.IGNORECASE
)


def as_text(body: str | bytes) -> str:
    """Admin output as safe text: undecodable bytes replaced, terminal controls made visible."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return clean_block(text.replace("\r\n", "\n") if "\r" in text else text)


def one_line(message: object, limit: int = MAX_ERROR_CHARS) -> str:
    """A message squeezed onto one line of bounded length."""
    text = " ".join(str(message).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _loads(text: str) -> Any:
    """orjson (several times faster on a 30 MiB /clusters, one object per repeated key), and
    the standard parser for what orjson refuses (NaN, integers beyond 64 bits) or to word why."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def load_json(body: str | bytes) -> tuple[Any, str]:
    """(document, "") or (None, one-line reason); HTML or truncated output gives a reason."""
    text = as_text(body)
    if not text.strip():
        return None, "empty response"
    try:
        doc = _loads(text)
    except RecursionError:
        return None, "not JSON: nested too deeply"
    except ValueError as exc:
        start = text.lstrip()[:40]
        hint = " (looks like HTML)" if start.startswith("<") else ""
        return None, one_line(f"not JSON{hint}: {exc}")
    # names decoded from `\u001b` escapes are outside text too; walk only when one may be there
    if _ESCAPED_CONTROL.search(text) or not (text.isascii() or is_clean(text, multiline=True)):
        doc = clean_value(doc)
    return doc, ""
