"""Which format an access log is written in (from envoy.yaml on the Envoy host), and the light
parsing of Envoy's own log lines."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any

import yaml

from darc_tui.hosts.base import Host
from darc_tui.parse import one_line
from darc_tui.parse.access_log import (
    DEFAULT,
    FIELD_NAMES,
    AccessLogFormat,
    AnyFormat,
    access_log_formats,
)
from darc_tui.parse.safe_yaml import load as load_yaml
from darc_tui.redact import is_secret_key
from darc_tui.sanitize import is_clean

CONFIG_LIMIT = 16 * 1024 * 1024


async def load_access_format(host: Host, config_path: str, log_path: str) -> tuple[AnyFormat, str]:
    """The format envoy.yaml gives `log_path`, and a note saying where it came from."""
    if not config_path:
        return DEFAULT, "default format (no envoy.yaml configured)"
    result = await host.run(("head", "-c", str(CONFIG_LIMIT), "--", config_path), timeout=10.0)
    if not result.ok:
        return DEFAULT, f"default format ({config_path} unreadable: {result.why()})"
    try:
        doc = await asyncio.to_thread(load_yaml, result.stdout)
        formats = await asyncio.to_thread(access_log_formats, doc)
    except yaml.YAMLError as exc:
        return DEFAULT, f"default format ({config_path} is not valid YAML: {one_line(exc)})"
    if log_path in formats:
        fmt = formats[log_path]
        return fmt, "default format" if fmt is DEFAULT else f"format from {config_path}"
    return DEFAULT, f"default format ({log_path} is not a file access log in {config_path})"


class TextFormatFields:
    """The FieldParser of a text access-log format: a record's JSON, {} when it does not parse.

    `slices`: every string this parser returns is a slice of the line or a response-flag code,
    and every key is clean text (sanitize.is_clean): a line that needs no sanitising gives fields
    that need none either. `from_line` is what lets a batch skip redaction when its text holds no
    trigger word: the strings are slices (as above) and no key it returns is a secret's name (so
    redact_record, which masks by key and by trigger word in the strings, has nothing to find).
    `many(texts)` = `[self(text) for text in texts]`, in one generated loop when it can be."""

    __slots__ = ("fields", "from_line", "many", "slices")

    def __init__(self, fmt: AccessLogFormat, only: Collection[str] | None = None) -> None:
        # `only`: the fields a reader of these keys alone needs (AccessLogFormat.fields_only)
        self.fields = fmt.fields if only is None else fmt.fields_only(only)
        keys = [slot.typed or slot.label for slot in fmt.slots]
        self.slices = all(is_clean(k) for k in [*keys, *FIELD_NAMES])
        self.from_line = self.slices and not any(is_secret_key(k) for k in [*keys, *FIELD_NAMES])
        many = fmt.fields_many() if only is None else None
        self.many: Callable[[Sequence[str]], list[dict[str, Any]]] = many or self._each

    def __call__(self, text: str) -> dict[str, Any]:
        return self.fields(text) or {}

    def _each(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        return [self.fields(text) or {} for text in texts]


def count_fields(fmt: AnyFormat, keys: Collection[str]) -> Any:
    """A FieldParser for a reader of `keys` alone (the access window counting lines no record is
    made of): for those keys, what access_fields gives."""
    if isinstance(fmt, AccessLogFormat):
        return TextFormatFields(fmt, keys)
    return access_fields(fmt)


def access_fields(fmt: AnyFormat) -> Any:
    """A FieldParser for LogRecord.fields: the record's JSON, {} when the line does not parse."""

    if isinstance(fmt, AccessLogFormat):
        return TextFormatFields(fmt)

    def parse(text: str) -> dict[str, Any]:
        rec = fmt.parse(text)
        return {} if rec is None else rec.to_json()

    return parse


# Envoy's default log format: "[%Y-%m-%d %T.%e][%t][%l][%n] [%g:%#] %v"
_ENVOY_LOG = re.compile(
    r"^\[(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)\]\[(?P<thread>\d+)\]"
    r"\[(?P<level>[a-z]+)\]\[(?P<component>[^\]]*)\] (?:\[(?P<where>[^\]]*)\] )?(?P<message>.*)$"
)


class _EnvoyLogFields:
    """An Envoy error-log line → {timestamp, level, component, where, message}; {} otherwise.
    `slices` (see TextFormatFields): its strings are slices of the line, its keys fixed."""

    __slots__ = ()
    slices = True

    def __call__(self, text: str) -> dict[str, Any]:
        m = _ENVOY_LOG.match(text)
        if m is None:
            return {}
        try:
            when: float | None = datetime.fromisoformat(m["time"]).timestamp()  # local time
        except ValueError:
            when = None
        out: dict[str, Any] = {
            "timestamp": when,
            "level": m["level"],
            "component": m["component"],
            "message": m["message"],
        }
        if m["where"]:
            out["where"] = m["where"]
        return out


envoy_log_fields = _EnvoyLogFields()
