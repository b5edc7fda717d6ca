"""Envoy access-log lines → typed records, for the default format and any custom text/JSON format.

A format string is compiled once into a regex: each `%OPERATOR(arg):N%` command becomes a named
field; operators the runbook cares about get typed fields (status, RESPONSE_FLAGS, duration, …),
every other operator is kept as an opaque string in `extra`. Lines that do not match are counted
by the caller as unparsed; nothing here raises on input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from darc_tui.parse._access_fast import (
    FieldPlan,
    field_plan,
    fields_many,
    lead_pattern,
    whole_pattern,
)

# Envoy 1.40's built-in format (source/common/formatter/substitution_format_string.cc).
DEFAULT_FORMAT = (
    '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" '
    "%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% "
    '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" '
    '"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n'
)


class ResponseFlag(StrEnum):
    """RESPONSE_FLAGS short codes (Envoy 1.40, in the order of its flag table)."""

    LH = "LH"
    UH = "UH"
    UT = "UT"
    LR = "LR"
    UR = "UR"
    UF = "UF"
    UC = "UC"
    UO = "UO"
    NR = "NR"
    DI = "DI"
    FI = "FI"
    RL = "RL"
    UAEX = "UAEX"
    RLSE = "RLSE"
    DC = "DC"
    URX = "URX"
    SI = "SI"
    IH = "IH"
    DPE = "DPE"
    UMSDR = "UMSDR"
    RFCF = "RFCF"
    NFCF = "NFCF"
    DT = "DT"
    UPE = "UPE"
    NC = "NC"
    OM = "OM"
    DF = "DF"
    DO = "DO"
    DR = "DR"
    UDO = "UDO"

    @property
    def long_name(self) -> str:
        return _LONG_BY_SHORT[self.value]


# What %RESPONSE_FLAGS_LONG% prints for each code (strings taken from the 1.40 binary).
_LONG_BY_SHORT = {
    "LH": "FailedLocalHealthCheck",
    "UH": "NoHealthyUpstream",
    "UT": "UpstreamRequestTimeout",
    "LR": "LocalReset",
    "UR": "UpstreamRemoteReset",
    "UF": "UpstreamConnectionFailure",
    "UC": "UpstreamConnectionTermination",
    "UO": "UpstreamOverflow",
    "NR": "NoRouteFound",
    "DI": "DelayInjected",
    "FI": "FaultInjected",
    "RL": "RateLimited",
    "UAEX": "UnauthorizedExternalService",
    "RLSE": "RateLimitServiceError",
    "DC": "DownstreamConnectionTermination",
    "URX": "UpstreamRetryLimitExceeded",
    "SI": "StreamIdleTimeout",
    "IH": "InvalidEnvoyRequestHeaders",
    "DPE": "DownstreamProtocolError",
    "UMSDR": "UpstreamMaxStreamDurationReached",
    "RFCF": "ResponseFromCacheFilter",
    "NFCF": "NoFilterConfigFound",
    "DT": "DurationTimeout",
    "UPE": "UpstreamProtocolError",
    "NC": "NoClusterFound",
    "OM": "OverloadManagerTerminated",
    "DF": "DnsResolutionFailed",
    "DO": "DropOverload",
    "DR": "DownstreamRemoteReset",
    "UDO": "UnconditionalDropOverload",
}
_SHORT_BY_LONG = {v: k for k, v in _LONG_BY_SHORT.items()} | {"OverloadManager": "OM"}
_FLAG_ORDER = {code: i for i, code in enumerate(_LONG_BY_SHORT)}


def parse_flags(text: str) -> frozenset[str]:
    """`URX,UF` or `UpstreamRetryLimitExceeded,UpstreamConnectionFailure` → {URX, UF}; `-` → {}."""
    out: set[str] = set()
    for part in text.split(","):
        part = part.strip()
        if not part or part == "-":
            continue
        code = _SHORT_BY_LONG.get(part, part)
        out.add(ResponseFlag(code) if code in _LONG_BY_SHORT else code)
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class AccessRecord:
    """One parsed access-log line. Fields the format does not carry are None."""

    timestamp: float | None = None  # epoch seconds (START_TIME)
    method: str | None = None
    path: str | None = None
    protocol: str | None = None
    status: int | None = None  # 0 = no response was sent (e.g. DC)
    flags: frozenset[str] = frozenset()  # RESPONSE_FLAGS short codes
    details: str | None = None  # RESPONSE_CODE_DETAILS, e.g. "via_upstream"
    upstream_host: str | None = None
    upstream_cluster: str | None = None
    transport_failure_reason: str | None = None
    duration_ms: int | None = None
    upstream_service_time_ms: int | None = None  # only on responses that came from upstream
    bytes_received: int | None = None
    bytes_sent: int | None = None
    authority: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    forwarded_for: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)  # operators without a typed field

    @property
    def flag_text(self) -> str:
        """Flags joined like Envoy joins them (`UF,URX`; `-` for none), in a stable order."""
        return ",".join(_ordered_flags(self.flags)) or "-"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in _JSON_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out["flags"] = self.flag_text.split(",") if self.flags else []
        if self.extra:
            out["extra"] = dict(self.extra)
        return out


def _ordered_flags(flags: frozenset[str]) -> list[str]:
    order = _FLAG_ORDER
    return sorted(flags, key=lambda f: (order.get(f, 99), f))


_JSON_FIELDS = tuple(n for n in AccessRecord.__dataclass_fields__ if n not in ("flags", "extra"))
FIELD_NAMES = (*_JSON_FIELDS, "flags", "extra")  # every key a record's JSON may have

# Lines up to this long try the one-regex match first. It is linear, but on a hostile line (a
# user agent of 20 000 `" "`) ~10× slower than the loop: 6 ms instead of 0.6 ms at 60 KiB.
WHOLE_LIMIT = 2048


def _only(fields: dict[str, Any] | None, keys: Collection[str]) -> dict[str, Any] | None:
    return None if fields is None else {k: v for k, v in fields.items() if k in keys}


# -- compiling a format ----------------------------------------------------------------------

# %OPERATOR%, %OPERATOR(arg)%, %OPERATOR(arg):MAXLEN%; START_TIME's arg may itself contain %.
_COMMAND = re.compile(r"%([A-Z][A-Z0-9_]*)(?:\((.*?)\))?(?::(\d+))?%")

_INT = r"-?\d+|-"
_NO_SPACE = r"\S*"
_FREE = r".*?"

# (operator, normalised arg) → (typed field, value pattern)
_TYPED: dict[tuple[str, str], tuple[str, str]] = {
    ("REQ", ":METHOD"): ("method", r"[A-Za-z_-]+"),
    ("REQ", "X-ENVOY-ORIGINAL-PATH?:PATH"): ("path", _NO_SPACE),
    ("REQ", ":PATH"): ("path", _NO_SPACE),
    ("REQ", ":AUTHORITY"): ("authority", _NO_SPACE),
    ("REQ", "USER-AGENT"): ("user_agent", _FREE),
    ("REQ", "X-REQUEST-ID"): ("request_id", r"[^\"\s]*"),
    ("REQ", "X-FORWARDED-FOR"): ("forwarded_for", r"[^\"]*"),
    ("RESP", "X-ENVOY-UPSTREAM-SERVICE-TIME"): ("upstream_service_time_ms", _INT),
}
_TYPED_OPERATORS: dict[str, tuple[str, str]] = {
    "START_TIME": ("timestamp", r"[^\]\"]*?"),
    "PROTOCOL": ("protocol", r"\S+"),
    "RESPONSE_CODE": ("status", r"\d+|-"),
    "RESPONSE_FLAGS": ("flags", r"[A-Z,]+|-"),
    "RESPONSE_FLAGS_LONG": ("flags", r"[A-Za-z,]+|-"),
    "RESPONSE_CODE_DETAILS": ("details", _NO_SPACE),
    "UPSTREAM_HOST": ("upstream_host", _NO_SPACE),
    "UPSTREAM_CLUSTER": ("upstream_cluster", _NO_SPACE),
    "UPSTREAM_TRANSPORT_FAILURE_REASON": ("transport_failure_reason", _FREE),
    "DURATION": ("duration_ms", _INT),
    "BYTES_RECEIVED": ("bytes_received", _INT),
    "BYTES_SENT": ("bytes_sent", _INT),
}
_INT_FIELDS = frozenset(
    {"status", "duration_ms", "upstream_service_time_ms", "bytes_received", "bytes_sent"}
)


@dataclass(frozen=True, slots=True)
class Command:
    """One `%OPERATOR(arg):N%` of a format."""

    operator: str
    arg: str = ""
    max_length: int | None = None

    @property
    def typed_field(self) -> str | None:
        typed = _TYPED.get((self.operator, self.arg.upper())) or _TYPED_OPERATORS.get(self.operator)
        return typed[0] if typed else None

    @property
    def label(self) -> str:
        return f"{self.operator}({self.arg})" if self.arg else self.operator


@dataclass(frozen=True, slots=True)
class _Slot:
    """A command with the literal text around it and the pattern its value must match."""

    command: Command
    before: str
    after: str
    value: re.Pattern[str]  # fullmatch of the value
    scan: re.Pattern[str]  # value + the following literal, matched at a position
    typed: str | None = None  # command.typed_field, looked up once
    label: str = ""  # command.label, for values without a typed field

    @property
    def time_format(self) -> str:
        return self.command.arg


@dataclass(frozen=True, slots=True)
class AccessLogFormat:
    """A compiled text format: parse lines with `parse(line)`.

    Matching is linear: fields before the first free-text field are taken left to right, fields
    after it right to left (each by its neighbouring literal), and the free-text field gets what
    is between. A single regex over the whole line backtracks combinatorially on hostile input
    (a user agent full of `" "`), and Envoy does not escape quotes inside values.
    """

    text: str
    parts: tuple[str | Command, ...]
    slots: tuple[_Slot, ...]
    head: str  # literal before the first command
    anchor: int  # index of the slot matched last (the first free-text one), len(slots) if none
    lead: re.Pattern[str] | None = None  # the slots before the anchor in one regex
    whole: re.Pattern[str] | None = None  # every slot in one regex, when it splits the same way
    # the slots after the anchor, last first: (index, literal before it, its value's fullmatch)
    trail: tuple[tuple[int, str, Callable[[str], re.Match[str] | None]], ...] = ()
    plan: FieldPlan | None = None  # fields built without per-line lookups

    def parse(self, line: str) -> AccessRecord | None:
        """One line (with or without its newline) → a record, or None when it is not this format."""
        line = line.rstrip("\r\n")
        values = self._match(line)
        return None if values is None else _record(self.commands, values)

    def fields(self, line: str) -> dict[str, Any] | None:
        """`parse(line).to_json()` without building the record: the hot path of log following."""
        line = line.rstrip("\r\n")
        values = self._match(line)
        if values is None:
            return None
        return _fields(self.slots, values) if self.plan is None else self.plan.build(values)

    def fields_many(self) -> Callable[[Sequence[str]], list[dict[str, Any]]] | None:
        """`[fields(line) or {} for line in lines]` as one generated loop (the whole-line regex
        and the plan inline); None when this format has no plan or no whole-line regex."""
        if self.plan is None or self.whole is None:
            return None
        return fields_many(self.plan, self.whole.fullmatch, WHOLE_LIMIT, self.fields)

    def fields_only(self, keys: Collection[str]) -> Callable[[str], dict[str, Any] | None]:
        """`fields` for a reader of `keys` alone (the access window): each of them has the value
        `fields` gives it, and fewer others are built (`flags` and `extra` may be there too)."""
        plan = None
        if self.plan is not None:
            order = [name for name in _JSON_FIELDS if name in keys]
            plan = field_plan(self.slots, order, _INT_FIELDS, _cached_start_time, _flag_list)
        if plan is None:
            return lambda line: _only(self.fields(line), keys)
        build, match = plan.build, self._match

        def fields(line: str) -> dict[str, Any] | None:
            values = match(line.rstrip("\r\n"))
            return None if values is None else build(values)

        return fields

    @property
    def commands(self) -> tuple[Command, ...]:
        return tuple(s.command for s in self.slots)

    def _match(self, line: str) -> list[str] | None:
        if self.whole is not None and len(line) <= WHOLE_LIMIT:
            whole = self.whole.fullmatch(line)
            if whole is not None:
                return list(whole.groups())
        if self.lead is not None:
            lead = self.lead.match(line)
            if lead is None:
                return None
            values = [*lead.groups(), *[""] * (len(self.slots) - self.anchor)]
            pos = lead.end()
        else:
            if not line.startswith(self.head):
                return None
            values = [""] * len(self.slots)
            pos = len(self.head)
            for i in range(self.anchor):
                m = self.slots[i].scan.match(line, pos)
                if m is None:
                    return None
                values[i], pos = m.group(1), m.end()
        end = len(line)
        if self.anchor == len(self.slots):
            return values if pos == end else None
        last = self.slots[-1]
        if not line.endswith(last.after) or end - len(last.after) < pos:
            return None
        end -= len(last.after)
        for i, before, fullmatch in self.trail:
            start = line.rfind(before, pos, end) if before else end
            if start < 0:
                return None
            value = line[start + len(before) : end]
            if not fullmatch(value):
                return None
            values[i], end = value, start
        # the anchor is the first free-text slot (`.*?`, DOTALL): it takes whatever is left, so
        # no match is run for it (a lazy fullmatch over the middle of the line cost ~3 µs)
        values[self.anchor] = line[pos:end]
        return values


def compile_format(text: str) -> AccessLogFormat:
    """An Envoy text format (`text_format`, `inline_string`, or the default) → AccessLogFormat."""
    parts = _split(text.rstrip("\n"))
    head = parts[0] if parts and isinstance(parts[0], str) else ""
    slots: list[_Slot] = []
    for i, part in enumerate(parts):
        if isinstance(part, Command):
            before = parts[i - 1] if i > 0 and isinstance(parts[i - 1], str) else ""
            after = parts[i + 1] if i + 1 < len(parts) and isinstance(parts[i + 1], str) else ""
            pattern = _value_pattern(part, str(before), str(after))
            slots.append(
                _Slot(
                    part,
                    str(before),
                    str(after),
                    re.compile(pattern, re.DOTALL),
                    re.compile(f"({pattern}){re.escape(str(after))}", re.DOTALL),
                    part.typed_field,
                    part.label,
                )
            )
    anchor = next((i for i, s in enumerate(slots) if s.value.pattern == _FREE), len(slots))
    plan = field_plan(slots, _JSON_FIELDS, _INT_FIELDS, _cached_start_time, _flag_list)
    lead = lead_pattern(str(head), slots, anchor)
    trail = tuple(
        (i, slots[i].before, slots[i].value.fullmatch) for i in range(len(slots) - 1, anchor, -1)
    )
    whole = whole_pattern(lead, slots, anchor)
    return AccessLogFormat(
        text, tuple(parts), tuple(slots), str(head), anchor, lead, whole, trail, plan
    )


def _split(text: str) -> list[str | Command]:
    parts: list[str | Command] = []
    pos = 0
    for m in _COMMAND.finditer(text):
        if m.start() > pos:
            parts.append(text[pos : m.start()])
        max_len = int(m.group(3)) if m.group(3) else None
        parts.append(Command(m.group(1), m.group(2) or "", max_len))
        pos = m.end()
    if pos < len(text):
        parts.append(text[pos:])
    # Envoy writes a literal "%%" as "%"
    return [p.replace("%%", "%") if isinstance(p, str) else p for p in parts]


def _value_pattern(cmd: Command, before: str, after: str) -> str:
    if cmd.operator == "START_TIME" and cmd.arg:
        return _strftime_pattern(cmd.arg)
    typed = _TYPED.get((cmd.operator, cmd.arg.upper())) or _TYPED_OPERATORS.get(cmd.operator)
    if typed is not None:
        return typed[1]
    quoted = before.endswith('"') and after.startswith('"')
    return r"[^\"]*" if quoted and cmd.operator in ("REQ", "RESP", "TRAILER") else _FREE


_STRFTIME = {
    "Y": r"\d{4}",
    "y": r"\d{2}",
    "m": r"\d{2}",
    "d": r"\d{2}",
    "e": r" ?\d{1,2}",
    "H": r"\d{2}",
    "M": r"\d{2}",
    "S": r"\d{2}",
    "j": r"\d{3}",
    "z": r"[+-]\d{2}:?\d{2}|Z",
    "Z": r"[A-Za-z]+",
    "a": r"[A-Za-z]+",
    "A": r"[A-Za-z]+",
    "b": r"[A-Za-z]+",
    "B": r"[A-Za-z]+",
    "s": r"\d+",
    "f": r"\d+",
    "T": r"\d{2}:\d{2}:\d{2}",
    "F": r"\d{4}-\d{2}-\d{2}",
    "%": "%",
}
_DIRECTIVE = re.compile(r"%(E?\d?)([A-Za-z%])")


def _strftime_pattern(fmt: str) -> str:
    """A START_TIME strftime format → a regex for its output (unknown directives match \\S+)."""
    out, pos = [], 0
    for m in _DIRECTIVE.finditer(fmt):
        out.append(re.escape(fmt[pos : m.start()]))
        width, code = m.groups()
        if code == "S" and width.startswith("E"):  # %E3S = seconds with 3 fraction digits
            out.append(r"\d{2}\.\d+")
        else:
            out.append("(?:" + _STRFTIME.get(code, r"\S+") + ")")
        pos = m.end()
    out.append(re.escape(fmt[pos:]))
    return "".join(out)


def _record(commands: tuple[Command, ...], values: list[str]) -> AccessRecord:
    typed: dict[str, Any] = {}
    extra: dict[str, str] = {}
    for cmd, raw in zip(commands, values, strict=True):
        name = cmd.typed_field
        if name is None:
            extra[cmd.label] = raw
            continue
        if name == "flags":
            typed["flags"] = typed.get("flags", frozenset()) | parse_flags(raw)
        elif name == "timestamp":
            typed[name] = parse_start_time(raw, cmd.arg)
        elif raw == "-" or raw == "":
            typed.setdefault(name, None)
        elif name in _INT_FIELDS:
            typed[name] = _int(raw)
        else:
            typed[name] = raw
    return AccessRecord(**typed, extra=extra)


def _fields(slots: tuple[_Slot, ...], values: list[str]) -> dict[str, Any]:
    """What `_record(...).to_json()` gives, in the same key order, built directly."""
    typed: dict[str, Any] = {}
    extra: dict[str, str] = {}
    flags: frozenset[str] = frozenset()
    for slot, raw in zip(slots, values, strict=True):
        name = slot.typed
        if name is None:
            extra[slot.label] = raw
        elif raw == "-" or raw == "":
            if name != "flags" and name != "timestamp":
                typed.setdefault(name, None)
        elif name in _INT_FIELDS:
            typed[name] = _int(raw)
        elif name == "flags":
            flags = flags | parse_flags(raw)
        elif name == "timestamp":
            typed[name] = parse_start_time(raw, slot.command.arg)
        else:
            typed[name] = raw
    out = {n: v for n in _JSON_FIELDS if (v := typed.get(n)) is not None} if typed else {}
    out["flags"] = _ordered_flags(flags) if flags else []
    if extra:
        out["extra"] = extra
    return out


def _flag_list(text: str) -> list[str]:
    return _ordered_flags(parse_flags(text))


def _int(raw: str) -> int | None:
    try:
        return int(raw)
    except ValueError:
        return None


_FRACTION = re.compile(r"%(?:E?[1-9])?f|%E[1-9]S")


def parse_start_time(raw: str, fmt: str = "") -> float | None:
    """START_TIME text → epoch seconds; the default is ISO 8601 UTC (`2026-11-25T16:02:54.626Z`)."""
    raw = raw.strip()
    if not raw or raw == "-":
        return None
    if fmt:
        if fmt == "%s":
            return float(_int(raw) or 0) or None
        parsed = _strptime(raw, fmt)
        if parsed is not None:
            return parsed
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # Envoy's default START_TIME is UTC
    return when.timestamp()


# START_TIME has millisecond resolution: a busy log repeats each text on many lines
_cached_start_time = lru_cache(maxsize=4096)(parse_start_time)


def _strptime(raw: str, fmt: str) -> float | None:
    # Envoy's %3f/%6f/%9f/%E3S have no strptime equivalent: match them as %f (≤ 6 digits)
    py_fmt = _FRACTION.sub(lambda m: "%S.%f" if m.group(0).endswith("S") else "%f", fmt)
    text = re.sub(r"(\.\d{6})\d+", r"\1", raw)
    try:
        when = datetime.strptime(text, py_fmt)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


# -- JSON formats ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JsonAccessLogFormat:
    """A `json_format` access log: each line is an object whose keys map to commands."""

    keys: Mapping[str, Command]

    def parse(self, line: str) -> AccessRecord | None:
        try:
            obj = json.loads(line)
        except ValueError:
            return None
        if not isinstance(obj, dict):
            return None
        commands, values = [], []
        for key, cmd in self.keys.items():
            if key in obj:
                value = obj[key]
                commands.append(cmd)
                values.append("-" if value is None else str(value))
        return _record(tuple(commands), values)


def compile_json_format(template: Mapping[str, Any]) -> JsonAccessLogFormat:
    """`json_format: {status: "%RESPONSE_CODE%", …}` → a parser (nested objects are skipped)."""
    keys: dict[str, Command] = {}
    for key, value in template.items():
        if isinstance(value, str):
            m = _COMMAND.fullmatch(value)
            keys[key] = Command(m.group(1), m.group(2) or "") if m else Command(key.upper())
    return JsonAccessLogFormat(keys)


AnyFormat = AccessLogFormat | JsonAccessLogFormat
DEFAULT = compile_format(DEFAULT_FORMAT)


def parse_line(line: str, fmt: AnyFormat = DEFAULT) -> AccessRecord | None:
    return fmt.parse(line)


@dataclass(frozen=True, slots=True)
class ParsedLog:
    records: tuple[AccessRecord, ...]
    unparsed: int


def parse_lines(lines: Iterable[str], fmt: AnyFormat = DEFAULT) -> ParsedLog:
    """Many lines → records plus the count of lines that did not match (blank lines ignored)."""
    records: list[AccessRecord] = []
    unparsed = 0
    for line in lines:
        if not line.strip():
            continue
        rec = fmt.parse(line)
        if rec is None:
            unparsed += 1
        else:
            records.append(rec)
    return ParsedLog(tuple(records), unparsed)


# -- finding the format in envoy.yaml --------------------------------------------------------

_FILE_LOGGER = "envoy.extensions.access_loggers.file.v3.FileAccessLog"


def access_log_formats(envoy_config: Any) -> dict[str, AnyFormat]:
    """Every file access log in a loaded envoy.yaml → {path: compiled format}."""
    found: dict[str, AnyFormat] = {}
    for node in _walk(envoy_config):
        if not str(node.get("@type", "")).endswith(_FILE_LOGGER) or "path" not in node:
            continue
        found[str(node["path"])] = _format_of(node)
    return found


def _format_of(logger: Mapping[str, Any]) -> AnyFormat:
    log_format = logger.get("log_format")
    if isinstance(log_format, Mapping):
        if isinstance(log_format.get("json_format"), Mapping):
            return compile_json_format(log_format["json_format"])
        source = log_format.get("text_format_source")
        if isinstance(source, Mapping) and isinstance(source.get("inline_string"), str):
            return compile_format(source["inline_string"])
        if isinstance(log_format.get("text_format"), str):
            return compile_format(log_format["text_format"])
    if isinstance(logger.get("json_format"), Mapping):  # deprecated v3 field
        return compile_json_format(logger["json_format"])
    if isinstance(logger.get("format"), str):  # deprecated v3 field
        return compile_format(logger["format"])
    return DEFAULT


def _walk(node: Any) -> Iterable[Mapping[str, Any]]:
    # each container once: YAML aliases share objects, and a tree walk of a shared graph is
    # exponential (an alias bomb) or endless (a recursive alias)
    stack, seen = [node], set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, Mapping):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
