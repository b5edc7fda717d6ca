"""The hostile corpus: outside text as an attacker would send it, and the terminal-safety check."""

from __future__ import annotations

import re

OSC52 = "\x1b]52;c;cm0gLXJmIH4gIyBvd25lZA==\x07"  # OSC 52: write the clipboard ("rm -rf ~ # owned")
OSC0 = "\x1b]0;pwned title\x07"  # OSC 0: set the window title
CSI_CLEAR = "\x1b[2J\x1b[H"  # clear the screen, cursor home
C1_CSI = "\x9b2J"  # the one-code-point C1 CSI
BIDI = "ls \u202e; rm -rf /tmp/x \u202c"  # reads differently from what it does
MARKUP = ("[/]", "[@click=app.quit]", "[@click=app.screenshot('x.svg','/tmp')]", "[b]bold[/b]")
NUL_AND_FRIENDS = "a\x00b\x07c\x08d\x7fe\rf"

ESCAPES = (OSC52, OSC0, CSI_CLEAR, C1_CSI, BIDI, NUL_AND_FRIENDS)
HOSTILE = (*ESCAPES, *MARKUP)
# one string that carries all of it, for a single header / log line / name
EVERYTHING = "x" + "".join(HOSTILE) + "y"

# code points that must never reach a terminal (newline and tab are allowed by callers that say so)
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_UNSAFE_BLOCK = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def unsafe_in(text: str, *, multiline: bool = True) -> list[str]:
    """Every unsafe code point in `text` (empty when the text is safe for a terminal)."""
    pattern = _UNSAFE_BLOCK if multiline else _UNSAFE_LINE
    return [repr(m.group(0)) for m in pattern.finditer(text)]
