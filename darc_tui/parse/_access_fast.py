"""The hot path of a compiled access-log format: one regex call for the fields left of the free
text, and a per-format plan that builds `fields` without looking anything up per line.

Both give exactly what the general path gives (tests/parse/test_access_fast.py):
- `lead_pattern` chains every left-to-right slot as an atomic group `(?>(value)after)`. An atomic
  group matches its content the way the slot's own `scan.match(line, pos)` does (the first match
  in backtracking order) and is never re-entered, so the chained regex commits to each value just
  like the linear loop, in one C call and with the same linear cost.
- `FieldPlan` is used only for formats whose typed fields and labels each occur once (flags may
  repeat: they are a union), where `_fields`'s setdefault/overwrite rules reduce to "take the one
  value"; the keys come out in the same order. Its `build` is straight-line code generated once
  per format (like `dataclasses` and `namedtuple` do): a loop over a table of fields cost 7 µs a
  line, the generated function 3 µs. Only integers and `repr`s of strings go into the source.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol


class _SlotLike(Protocol):
    @property
    def before(self) -> str: ...
    @property
    def after(self) -> str: ...
    @property
    def value(self) -> re.Pattern[str]: ...
    @property
    def typed(self) -> str | None: ...
    @property
    def label(self) -> str: ...
    @property
    def time_format(self) -> str: ...


def lead_pattern(head: str, slots: Sequence[_SlotLike], anchor: int) -> re.Pattern[str] | None:
    """head + the first `anchor` slots as one regex (group i = slot i); None if it cannot be."""
    parts = [re.escape(head)]
    for slot in slots[:anchor]:
        value = _committed(slot.value.pattern, slot.after)
        parts.append(f"(?>({value}){re.escape(slot.after)})")
    try:
        pattern = re.compile("".join(parts), re.DOTALL)
    except re.error:
        return None
    return pattern if pattern.groups == anchor else None


# a value pattern that is one character class repeated: `\S*`, `[^"\s]*`
_CLASS = r"(\\[SsDdWw]|\[\^?\]?(?:[^\]\\]|\\.)*\])"
_CLASS_STAR = re.compile(_CLASS + r"\*")
_LAZY_CLASS_STAR = re.compile(_CLASS + r"\*\?")


def _committed(pattern: str, after: str) -> str:
    r"""`C*?` followed by a literal whose first character C does not match → `C*+`, else as is.

    Lazily, `C*?` can only stop where the literal starts; every shorter stop is on a character
    of C, which is not the literal's first: so the one stop that can succeed is the end of the
    run of C — exactly where `C*+` (possessive) stops, without a retry per character (START_TIME
    `[^\]"]*?` before `] "`: the lazy loop was a third of the default format's match).
    """
    m = _LAZY_CLASS_STAR.fullmatch(pattern)
    if m is None or not after or re.fullmatch(m.group(1), after[0], re.DOTALL) is not None:
        return pattern
    return f"{m.group(1)}*+"


def whole_pattern(
    lead: re.Pattern[str] | None, slots: Sequence[_SlotLike], anchor: int
) -> re.Pattern[str] | None:
    """The whole line in one regex (group i = slot i, for `fullmatch`), or None.

    After the lead, the linear match takes each right-hand value from the LAST occurrence of the
    literal before it. Here the free text is `(.*?)` and each right-hand slot is `B(X*)` (its
    literal, then its character class; the free text lazy, so a usual line is matched without
    backtracking over its right-hand part). Any split this regex finds is that one when every
    literal B holds a character outside its slot's class X, in the whole of B and in each tail of
    B that a second, overlapping B could push into the value (B's borders): then no later B fits
    in a value, which is what "last occurrence" asks. A literal in a class, an empty literal or a
    value that is not one class → None, and the linear match stays.
    """
    if lead is None:
        return None
    parts = [lead.pattern]
    if anchor < len(slots):
        parts.append("(.*?)")
        for slot in slots[anchor + 1 :]:
            m = _CLASS_STAR.fullmatch(slot.value.pattern)
            if m is None or not slot.before or not _fenced(slot.before, m.group(1)):
                return None
            parts.append(f"{re.escape(slot.before)}({m.group(1)}*)")
        parts.append(re.escape(slots[-1].after))
    try:
        pattern = re.compile("".join(parts), re.DOTALL)
    except re.error:
        return None
    return pattern if pattern.groups == len(slots) else None


def _fenced(literal: str, char_class: str) -> bool:
    """True when `literal`, and each tail of it a border overlap would put in the value, holds
    a character that `char_class` does not match."""
    inside = re.compile(char_class, re.DOTALL)

    def fence(text: str) -> bool:
        return any(inside.fullmatch(c) is None for c in text)

    n = len(literal)
    shifts = [d for d in range(1, n) if literal[d:] == literal[: n - d]]
    return fence(literal) and all(fence(literal[n - d :]) for d in shifts)


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """`build(values)` = `_fields(slots, values)` for one format, and the source it runs."""

    build: Callable[[Sequence[str]], dict[str, Any]]
    source: str
    body: tuple[str, ...] = ()  # the statements that fill `out` from `v`
    scope: tuple[tuple[str, Any], ...] = ()  # the names they use


def field_plan(
    slots: Sequence[_SlotLike],
    order: Sequence[str],
    int_fields: frozenset[str],
    to_time: Callable[[str, str], float | None],
    to_flags: Callable[[str], list[str]],
) -> FieldPlan | None:
    """The plan for `slots`; None when a typed field (other than flags) or a label repeats."""
    where: dict[str, int] = {}
    flags: list[int] = []
    labels: list[tuple[str, int]] = []
    for i, slot in enumerate(slots):
        if slot.typed == "flags":
            flags.append(i)
        elif slot.typed is None:
            labels.append((slot.label, i))
        elif slot.typed in where:
            return None
        else:
            where[slot.typed] = i
    if len({label for label, _ in labels}) != len(labels):
        return None
    body = ["    out = {}"]
    for name in (n for n in order if n in where):
        body += [f"    r = v[{where[name]}]", "    if r and r != '-':"]
        body += _convert(name, int_fields)
    body += _flags_source(flags)
    if labels:
        pairs = ", ".join(f"{label!r}: v[{i}]" for label, i in labels)
        body.append(f"    out['extra'] = {{{pairs}}}")
    source = "\n".join(["def build(v):", *body, "    return out"])
    time_format = slots[where["timestamp"]].time_format if "timestamp" in where else ""
    names = (("time_of", _one_arg_cache(to_time, time_format)), ("codes", _codes(to_flags)))
    scope: dict[str, Any] = dict(names)
    exec(compile(source, "<access-log format>", "exec"), scope)
    return FieldPlan(scope["build"], source, tuple(body), names)


def fields_many(
    plan: FieldPlan,
    fullmatch: Callable[[str], re.Match[str] | None],
    limit: int,
    slow: Callable[[str], dict[str, Any] | None],
) -> Callable[[Sequence[str]], list[dict[str, Any]]]:
    """`[slow(line) or {} for line in lines]` in one generated loop: the whole-line regex and the
    plan's statements inline, `slow` (the format's `fields`) for a line the regex does not take.
    Per line it saves the calls of the single-line path (parser → fields → _match → build)."""
    lines = [
        "def many(lines):",
        "    found = []",
        "    add = found.append",
        "    for line in lines:",
        "        line = line.rstrip('\\r\\n')",
        "        m = fullmatch(line) if len(line) <= limit else None",
        "        if m is None:",
        "            add(slow(line) or {})",
        "            continue",
        "        v = m.groups()",
        *[f"    {statement}" for statement in plan.body],
        "        add(out)",
        "    return found",
    ]
    scope: dict[str, Any] = dict(plan.scope)
    scope |= {"fullmatch": fullmatch, "limit": limit, "slow": slow}
    exec(compile("\n".join(lines), "<access-log format, many lines>", "exec"), scope)
    many: Callable[[Sequence[str]], list[dict[str, Any]]] = scope["many"]
    return many


def _one_arg_cache(
    to_time: Callable[[str, str], float | None], time_format: str
) -> Callable[[str], float | None]:
    """`to_time(text, time_format)`, cached by the text alone (START_TIME repeats on many lines;
    a cache keyed by one str skips building and hashing a tuple per line)."""

    @lru_cache(maxsize=4096)
    def time_of(text: str) -> float | None:
        return to_time(text, time_format)

    return time_of


def _codes(to_flags: Callable[[str], list[str]]) -> Callable[[str], tuple[str, ...]]:
    """Flags texts repeat on almost every line: convert each distinct one once."""

    @lru_cache(maxsize=1024)
    def codes(text: str) -> tuple[str, ...]:
        return tuple(to_flags(text))

    return codes


def _convert(name: str, int_fields: frozenset[str]) -> list[str]:
    """Lines that put the text `r` of field `name` into `out`, converted, unless it is None."""
    if name in int_fields:  # as access_log._int: a text int() refuses is no value
        return [
            "        try:",
            f"            out[{name!r}] = int(r)",
            "        except ValueError:",
            "            pass",
        ]
    if name == "timestamp":
        return [
            "        when = time_of(r)",
            "        if when is not None:",
            f"            out[{name!r}] = when",
        ]
    return [f"        out[{name!r}] = r"]


def _flags_source(flags: list[int]) -> list[str]:
    """Every RESPONSE_FLAGS text that is there, as one union of ordered codes; [] for none."""
    if not flags:
        return ["    out['flags'] = []"]
    if len(flags) == 1:
        return [
            f"    r = v[{flags[0]}]",
            "    out['flags'] = list(codes(r)) if r and r != '-' else []",
        ]
    texts = ", ".join(f"v[{i}]" for i in flags)
    return [
        f"    texts = [t for t in ({texts},) if t and t != '-']",
        "    out['flags'] = list(codes(','.join(texts))) if texts else []",
    ]
