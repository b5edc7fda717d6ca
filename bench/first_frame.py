"""Only the first-frame metric of issue 13 (bench/targets.py `first_frame`); prints JSON.

    .venv/bin/python bench/first_frame.py [RUNS]      # default 5; ≈ 20 s on 2 cores

Start → the console's first full frame ("Causes" on screen) in an 80x24 pseudo-terminal on the
demo lab, beside a bare Textual app showing one Static, both measured in the same run (median).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import targets  # noqa: E402
from darc_tui.demo.lab import DemoLab  # noqa: E402


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    lab = DemoLab(probe_interval=1.0).start()
    try:
        result = targets.first_frame(lab, runs)
    finally:
        lab.close()
    result["load"] = os.getloadavg()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
