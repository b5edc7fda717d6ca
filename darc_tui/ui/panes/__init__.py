"""One widget per file: the header, the six panes, and the lower-pane switcher."""
