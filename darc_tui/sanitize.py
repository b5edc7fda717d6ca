"""One sanitiser for outside text: nothing a host sends may drive the terminal.

Text from misbehaving machines (log lines, admin-API bodies, HTTP headers, names from envoy.yaml)
may hold terminal escapes — `ESC ] 52 ; c ; … BEL` writes the clipboard, `ESC ] 0 ; … BEL` retitles
the window, `ESC [ 2 J` clears the screen — or bidi overrides that make a copied command read
differently from what it does. Every such code point becomes a visible glyph, one for one (C0 and
DEL → the Unicode "control pictures" `␀`…`␟`, `␡`; C1, bidi overrides and line/paragraph separators
→ `�`), so string offsets (rich `Text`/Textual `Content` spans) stay valid.

`clean` is for one-line contexts (newline, tab and carriage return become `␊`, `␉`, `␍`);
`clean_block` keeps newline and tab for multi-line contexts. Both return the very same object when
there is nothing to change (clean ASCII is checked by two C-level scans, no regex, no copy).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_REPLACEMENT = "\ufffd"  # U+FFFD: no "control picture" exists for C1 or bidi controls
_C0 = {c: 0x2400 + c for c in range(0x20)}  # ␀ … ␟ (␛ for ESC)
_OTHER = {c: ord(_REPLACEMENT) for c in range(0x80, 0xA0)}  # C1: U+009B is a one-byte CSI
_OTHER |= {c: ord(_REPLACEMENT) for c in (0x2028, 0x2029)}  # line / paragraph separators
_OTHER |= {c: ord(_REPLACEMENT) for c in range(0x202A, 0x202F)}  # bidi embeddings/overrides
_OTHER |= {c: ord(_REPLACEMENT) for c in range(0x2066, 0x206A)}  # bidi isolates

_LINE_TABLE: dict[int, int] = {**_C0, 0x7F: 0x2421, **_OTHER}
_BLOCK_TABLE: dict[int, int] = {k: v for k, v in _LINE_TABLE.items() if k not in (0x09, 0x0A)}

_BIDI = "\u2028\u2029\u202a-\u202e\u2066-\u2069"
_LINE_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_BLOCK_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")


def clean(text: str) -> str:
    """One line of outside text, safe for any terminal output (newline and tab made visible)."""
    if text.isascii() and text.isprintable():  # the common case, two C scans
        return text
    if _LINE_UNSAFE.search(text) is None:
        return text
    return text.translate(_LINE_TABLE)


def clean_block(text: str) -> str:
    """Multi-line outside text, safe for terminal output; newline and tab are kept."""
    if text.isascii() and text.isprintable():
        return text
    if _BLOCK_UNSAFE.search(text) is None:
        return text
    return text.translate(_BLOCK_TABLE)


def is_clean(text: str, *, multiline: bool = False) -> bool:
    """True when `text` holds no code point that `clean` (or `clean_block`) would replace."""
    pattern = _BLOCK_UNSAFE if multiline else _LINE_UNSAFE
    return pattern.search(text) is None


def decode(data: bytes, *, multiline: bool = True) -> str:
    """Bytes from outside as safe text: invalid UTF-8 → U+FFFD, controls → visible glyphs."""
    text = data.decode("utf-8", "replace")
    return clean_block(text) if multiline else clean(text)


def clean_value(value: Any) -> Any:
    """A JSON-like value with every string cleaned (dicts, lists and tuples walked); else as is."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, Mapping):
        return clean_mapping(value)
    if isinstance(value, list | tuple):
        items = [clean_value(v) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return type(value)(items)
    return value


def clean_mapping(mapping: Mapping[str, Any]) -> Any:
    """`mapping` itself when every key and value is clean, else a cleaned dict copy."""
    # one cheap pass first: this runs on every log record's parsed fields
    if all(_plain(key) and _plain(value) for key, value in mapping.items()):
        return mapping
    return dict((clean(k), clean_value(v)) for k, v in mapping.items())


def _plain(value: Any) -> bool:
    """True when `clean_value` would return `value` unchanged (cheap checks, no copies)."""
    if isinstance(value, str):
        return (value.isascii() and value.isprintable()) or _LINE_UNSAFE.search(value) is None
    if value is None or isinstance(value, int | float):
        return True
    if isinstance(value, list | tuple):
        return all(_plain(item) for item in value)
    return False
