"""`darc-tui logs SOURCE [--json] [--since]` as a real subprocess, and its printing."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from darc_tui.logs.command import PrintSink, parse_since
from darc_tui.model import LogRecord

DATA = Path(__file__).resolve().parents[1] / "data" / "logs"
DARC_TUI = Path(sys.executable).parent / "darc-tui"


def write_config(folder: Path, access: Path) -> Path:
    config = folder / "darc-tui.toml"
    config.write_text(
        f"""
[envoy]
host = "local"
config_path = ""
access_log = "{access}"
error_log = "{folder / "error.log"}"
unit = ""
[backend]
url = "http://127.0.0.1:18443"
"""
    )
    return config


def read_lines(proc: subprocess.Popen[bytes], count: int, timeout: float = 30.0) -> list[bytes]:
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    data, deadline = b"", time.monotonic() + timeout
    while data.count(b"\n") < count:
        assert time.monotonic() < deadline, f"only got {data!r}"
        chunk = proc.stdout.read()
        if chunk:
            data += chunk
        else:
            time.sleep(0.02)
    return data.splitlines()


def test_logs_access_json_prints_one_object_per_line(tmp_path: Path) -> None:
    access = tmp_path / "access.log"
    access.write_bytes((DATA / "envoy-1.40-default.log").read_bytes())
    config = write_config(tmp_path, access)
    proc = subprocess.Popen(
        [str(DARC_TUI), "logs", "-c", str(config), "access", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        lines = read_lines(proc, 14)
    finally:
        proc.terminate()
        proc.wait(10)
    objects = [json.loads(line) for line in lines]
    assert all(o["source"] == "access" and o["line"] for o in objects)
    uf = next(o for o in objects if o.get("path") == "/uf")
    assert (uf["status"], uf["flags"]) == (503, ["UF"])
    assert uf["line"].startswith("[") and '"GET /uf HTTP/1.1" 503 UF' in uf["line"]


def test_logs_without_a_configured_journal_is_a_usage_error(tmp_path: Path) -> None:
    config = write_config(tmp_path, tmp_path / "access.log")
    done = subprocess.run(
        [str(DARC_TUI), "logs", "-c", str(config), "journal"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and b"no journal log configured" in done.stderr


def test_print_sink_text_json_and_since() -> None:
    out, err = io.StringIO(), io.StringIO()
    sink = PrintSink("access", as_json=True, since=100.0, out=out, err=err)
    sink.records(
        [
            LogRecord("access", "old", 0.0, fields={"timestamp": 50.0, "status": 200}),
            LogRecord("access", "new", 0.0, fields={"timestamp": 150.0, "status": 503}),
            LogRecord("access", "-- lost --", 0.0, gap=True),
        ]
    )
    printed = [json.loads(line) for line in out.getvalue().splitlines()]
    assert printed == [
        {"source": "access", "line": "new", "timestamp": 150.0, "status": 503},
        {"source": "access", "line": "-- lost --", "gap": True},
    ]
    text = io.StringIO()
    PrintSink("error", as_json=False, out=text).records([LogRecord("error", "plain", 0.0)])
    assert text.getvalue() == "plain\n"


def test_since_forms() -> None:
    assert parse_since("-10min", now=1000.0) == 400.0
    assert parse_since("-2h", now=10000.0) == 2800.0
    assert parse_since("-30s", now=100.0) == 70.0
    assert parse_since("2026-11-25T16:00:00+00:00") == 1795622400.0
    assert parse_since("yesterday-ish") is None
