"""Put new content in a Static without the cost of a layout pass when its size cannot change.

`Static.update` asks for a layout of the whole screen by default: with a snapshot every second
that was a third of an idle console's CPU (Screen._refresh_layout), though almost every update
only changes a few cells. Unchanged content is not touched at all.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.content import Content
from textual.widgets import Static


def show(widget: Static, content: Content | str) -> bool:
    """Show `content` in `widget`; True when something changed on screen."""
    new = content if isinstance(content, Content) else Content(content)
    old = widget.content
    if isinstance(old, Content) and old.plain == new.plain and old.spans == new.spans:
        return False
    layout = not (isinstance(old, Content) and widget.is_mounted and same_size(widget, old, new))
    widget.update(new, layout=layout)
    return True


def same_size(widget: Static, old: Content, new: Content) -> bool:
    """Whether `widget` keeps its size when `old` becomes `new` (so a repaint is enough)."""
    styles = widget.styles
    old_lines, new_lines = old.plain.split("\n"), new.plain.split("\n")
    old_width = max(map(cell_len, old_lines))
    new_width = max(map(cell_len, new_lines))
    if styles.width is not None and styles.width.is_auto and old_width != new_width:
        return False  # shrink-to-fit width
    if styles.height is not None and not styles.height.is_auto:
        return True  # a fixed height: the number of lines cannot move the layout
    if len(old_lines) != len(new_lines):
        return False
    if styles.text_wrap == "nowrap":
        return True
    room = widget.content_region.width  # wrapped lines would add rows
    return old_width <= room and new_width <= room
