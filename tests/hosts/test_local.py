"""LocalHost: subprocesses with deadlines, streams that always end, TCP and HTTP from the jump box."""

from __future__ import annotations

import asyncio
import socket

from darc_tui import __version__
from darc_tui.hosts import LocalHost, http_request
from tests.hosts._util import marker_seconds, pids_matching, wait_until


async def test_run_returns_stdout_stderr_and_exit_status() -> None:
    result = await LocalHost().run(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout=5)
    assert (result.stdout, result.stderr, result.exit_status) == (b"out\n", b"err\n", 3)
    assert result.ran and not result.ok
    assert result.why() == "exit 3: err"


async def test_run_passes_argv_literally_and_feeds_input() -> None:
    result = await LocalHost().run(["cat", "-"], timeout=5, input=b"a;$(x)`y`\n")
    assert result.ok and result.stdout == b"a;$(x)`y`\n"


async def test_missing_command_is_an_error_value() -> None:
    result = await LocalHost().run(["darc-no-such-command"], timeout=5)
    assert not result.ran and result.exit_status is None
    assert result.error == "command not found: darc-no-such-command"


async def test_timeout_kills_the_whole_process_group() -> None:
    secs = marker_seconds()
    result = await LocalHost().run(["sh", "-c", f"sleep {secs} & sleep {secs}; wait"], timeout=0.5)
    assert result.error == "timed out after 0.5s" and result.exit_status is None
    await wait_until(lambda: not pids_matching(f"sleep {secs}"), what="sleepers gone")


async def test_stream_yields_output_then_reports_exit_status() -> None:
    async with LocalHost().stream(["sh", "-c", "printf 'a\\nb\\n'; echo oops >&2; exit 4"]) as s:
        data = b"".join([chunk async for chunk in s])
    assert data == b"a\nb\n"
    assert s.exit_status == 4 and s.stderr_text == "oops\n" and s.error == ""


async def test_leaving_a_stream_kills_its_pipeline() -> None:
    secs = marker_seconds()
    argv = ["sh", "-c", f"echo started; sleep {secs} | cat"]
    async with LocalHost().stream(argv) as s:
        async for chunk in s:
            assert chunk == b"started\n"
            break
        assert pids_matching(f"sleep {secs}")
    await wait_until(lambda: not pids_matching(f"sleep {secs}"), what="pipeline gone")


async def test_stream_of_a_missing_command_ends_with_an_error() -> None:
    async with LocalHost().stream(["darc-no-such-command"]) as s:
        assert [c async for c in s] == []
    assert s.error == "command not found: darc-no-such-command"


async def test_open_tcp_connects_to_a_listener() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        result = await LocalHost().open_tcp("127.0.0.1", port, timeout=2)
    assert result.ok and result.connect_ms is not None and result.via == "socket"


async def test_open_tcp_to_a_closed_port_is_refused(closed_port: int) -> None:
    result = await LocalHost().open_tcp("127.0.0.1", closed_port, timeout=2)
    assert not result.ok and result.error == "refused"


async def test_http_request_reports_status_headers_body_and_timings(http_server: str) -> None:
    result = await http_request(LocalHost(), "GET", f"{http_server}/health", timeout=2)
    assert (result.status, result.body, result.error) == (200, b"GET /health", "")
    assert result.header("x-test") == "yes" and result.via == "httpx"
    assert result.connect_ms is not None and result.ttfb_ms is not None
    assert result.total_ms is not None
    assert result.header("x-user-agent") == f"darc-tui/{__version__}"


async def test_http_request_keeps_only_the_first_64_kib(http_server: str) -> None:
    result = await http_request(LocalHost(), "GET", f"{http_server}/big", timeout=2)
    assert result.status == 200 and len(result.body) == 64 * 1024


async def test_http_request_to_a_closed_port_says_connection_refused(closed_port: int) -> None:
    result = await http_request(LocalHost(), "GET", f"http://127.0.0.1:{closed_port}/", timeout=2)
    assert result.status is None and result.error == "connection refused"


async def test_http_request_to_a_slow_server_says_read_timeout(http_server: str) -> None:
    result = await http_request(LocalHost(), "GET", f"{http_server}/?delay_ms=3000", timeout=0.3)
    assert result.status is None and result.error == "read timeout"


async def test_concurrent_requests_are_independent(http_server: str) -> None:
    host = LocalHost()
    results = await asyncio.gather(
        *(
            http_request(host, "GET", f"{http_server}/status/{code}", timeout=2)
            for code in (200, 503)
        )
    )
    assert [r.status for r in results] == [200, 503]


def test_the_shared_context_verifies_and_loads_its_ca_bundle_at_the_first_tls_use() -> None:
    """Loading the CA bundle took 50–70 ms of every start, for plain-HTTP sites too: it is now
    loaded when a TLS connection first needs it — and verification is as strict as httpx's."""
    import ssl

    import certifi

    from darc_tui.hosts.local import LazyCaContext

    context = LazyCaContext(ssl.PROTOCOL_TLS_CLIENT)
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0
    context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="www.darc.kr")
    expected = ssl.create_default_context(cafile=certifi.where()).cert_store_stats()
    assert context.cert_store_stats() == expected
