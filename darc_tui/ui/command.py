"""`darc-tui` (no sub-command): run the console on an engine built from the configuration."""

from __future__ import annotations

import logging
import os

from darc_tui.config import Config
from darc_tui.ui.app import DarcApp, ReloadHandler
from darc_tui.ui.engine_link import EngineApi


def run_console(
    config: Config,
    *,
    read_only: bool,
    mouse: bool,
    engine: EngineApi | None = None,
    on_reload: ReloadHandler | None = None,
) -> int:
    """Run the console until the user quits; returns the process exit status.

    `mouse=False` (`--no-mouse`) keeps mouse tracking off, so a dropped SSH session cannot leave
    the terminal reporting mouse movements. The app starts and stops the engine itself.
    """
    if engine is None:
        from darc_tui.engine import build_engine

        engine = build_engine(config, with_logs=True)
    app = DarcApp(engine, config=config, read_only=read_only, on_reload=on_reload)
    dev_logging()
    app.run(mouse=mouse)
    return app.return_code or 0


def dev_logging() -> None:
    """Under `textual run --dev`, darc-tui's log (tracebacks too) also reaches `textual console`."""
    if "devtools" in os.environ.get("TEXTUAL", "").split(","):
        from textual.logging import TextualHandler

        logging.getLogger("darc_tui").addHandler(TextualHandler(stderr=False, stdout=False))
