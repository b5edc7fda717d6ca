"""The hostile corpus through every headless output path, against a real Envoy: an access log that
Envoy writes from attacker-chosen requests (plus lines planted in the file), and a backend that
answers with escapes, markup and secrets in its headers and body.

Asserted for `check` (text and JSON), `report` (Markdown and JSON) and `logs` (text and JSON): no
code point in 0x00-0x1f (but newline and tab) or 0x7f-0x9f reaches the output, JSON parses, no
listed secret appears, each run ends within its deadline.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile import CSI_CLEAR, OSC0, OSC52, unsafe_in
from tests.lab.lab import Lab, wait_for

pytestmark = pytest.mark.integration

SECRETS = ("hunter2", "abc123tok", "short1", "ABCDEF012345", "p0o9i8u7", "r3dispw")
BODY = (
    f"<h1>down{OSC52}{OSC0}{CSI_CLEAR}</h1> [/] [@click=app.quit] password=hunter2 "
    "\x00\x07 \u202e Authorization: Bearer short1 redis://:r3dispw@127.0.0.1/"
).encode() + b" \xff\xfe invalid utf-8"
RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Location: /login?next=[/]&token=abc123tok\r\n"
    b"Access-Control-Allow-Origin: https://x\xc2\x9b2J\r\n"
    b"Set-Cookie: JSESSIONID=ABCDEF012345\r\n"
    b"Content-Type: text/html\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n"
    b"Connection: close\r\n\r\n" + BODY
)


@pytest.fixture
def hostile_backend(lab: Lab) -> Iterator[str]:
    """The lab backend replaced, on its own port, by a server answering every request with
    RESPONSE: Envoy's health check, Envoy's proxying and the direct probes all meet it."""
    port = lab.backend.port
    lab.backend.down()
    server = socket.create_server(("127.0.0.1", port))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(RESPONSE)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        server.close()
        lab.backend.up()


def send_raw(lab: Lab, request: bytes) -> None:
    host, port = lab.listener_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host.strip("[]"), int(port)), timeout=5) as conn:
        conn.sendall(request)
        conn.settimeout(5)
        while conn.recv(65536):
            pass


def hostile_access_log(lab: Lab) -> None:
    """Requests Envoy logs as sent, then lines planted in the file by someone else."""
    ua = "evil\xc2\x9b2J-agent".encode("latin-1")
    send_raw(lab, b'GET /api/token=a"b?password=hunter2&PHPSESSID=p0o9i8u7 HTTP/1.1\r\n'
                  b"Host: x\r\nUser-Agent: " + ua + b"\r\nConnection: close\r\n\r\n")  # fmt: skip
    lab.wait_access_log("/api/token=a")
    planted = (
        f'[2026-12-03T10:00:00.000Z] "GET /{OSC52}[/][@click=app.quit] HTTP/1.1" 503 UF 0 91 1 - '
        f'"-" "{OSC0}{CSI_CLEAR}" "id" "x" "-" token=abc123tok Bearer short1\n'
    ).encode() + b"\x00\x07\xff\xfe\x1b[2J password=hunter2\n"
    with lab.access_log.open("ab") as f:
        f.write(planted)


def run(argv: list[str], deadline: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "darc_tui", *argv],
        capture_output=True,
        text=True,
        errors="surrogateescape",
        timeout=deadline,  # a hang fails the test here
    )


def assert_safe(text: str) -> None:
    assert unsafe_in(text) == [], text[:2000]
    assert not [s for s in SECRETS if s in text], [s for s in SECRETS if s in text]
    assert "Traceback" not in text


def test_check_and_report_outputs_are_safe(lab: Lab, hostile_backend: str) -> None:
    hostile_access_log(lab)
    config = str(lab.write_config())
    lab.wait_unhealthy()  # Envoy's own health check has met the hostile backend
    text = run(["check", "-c", config])
    assert text.returncode == 1, text.stderr  # the backend answers 503: causes found
    assert_safe(text.stdout + text.stderr)
    as_json = run(["check", "-c", config, "--json"])
    assert_safe(as_json.stdout + as_json.stderr)
    doc = json.loads(as_json.stdout)
    assert doc["verdict"] != "ok" and as_json.returncode == 1
    md = run(["report", "-c", config, "--format", "md", "--duration", "1"])
    assert_safe(md.stdout + md.stderr)
    assert md.returncode in (0, 1) and "# Incident report" in md.stdout
    rj = run(["report", "-c", config, "--format", "json", "--duration", "1"])
    assert_safe(rj.stdout + rj.stderr)
    json.loads(rj.stdout)


def follow(config: str, *extra: str) -> str:
    """`darc-tui logs access` for as long as it takes to print the planted line, then SIGTERM."""
    argv = [sys.executable, "-m", "darc_tui", "logs", "-c", config, "access", "--since", "-10min"]
    proc = subprocess.Popen([*argv, *extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    out: list[bytes] = []
    reader = threading.Thread(target=lambda: out.extend(iter(proc.stdout.readline, b"")))  # type: ignore[union-attr]
    reader.start()
    try:
        wait_for(lambda: b"password" in b"".join(out) or None, 60, "the planted line in `logs`")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        reader.join(10)
    return b"".join(out).decode("utf-8", "surrogateescape")


def test_logs_text_and_json_are_safe(lab: Lab) -> None:
    hostile_access_log(lab)
    config = str(lab.write_config())
    text = follow(config)
    assert_safe(text)
    assert "␛]52;c;" in text and "[@click=app.quit]" in text  # shown, made visible
    lines = follow(config, "--json").splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert records and all(r["source"] == "access" for r in records)
    assert_safe("\n".join(lines))


def test_every_bounded_read_of_a_hostile_envoy_yaml_ends(lab: Lab, tmp_path: Path) -> None:
    config = str(lab.write_config(envoy={"config_path": "/dev/zero"}))
    proc = run(["check", "-c", config, "--json"])
    assert_safe(proc.stdout + proc.stderr)
    doc = json.loads(proc.stdout)
    files = [p for p in doc["probes"] if p["name"] == "envoy.config_file"]
    assert files and "larger than 4 MiB" in files[0]["detail"]
