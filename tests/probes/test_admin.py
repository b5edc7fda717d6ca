"""The admin probes against a real Envoy (the lab), a closed port and a server answering garbage."""

from __future__ import annotations

import asyncio
import http.server
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from darc_tui.config import load_config
from darc_tui.demo.envoy_process import EnvoyProcess
from darc_tui.demo.envoy_yaml import Endpoint, EnvoySpec, render
from darc_tui.hosts.local import LocalHost
from darc_tui.model import Status, Vantage
from darc_tui.parse.clusters import (
    ClustersReport,
    ClusterStatus,
    HealthFlag,
    HostStatus,
    parse_clusters,
    summarized,
)
from darc_tui.parse.envoy_summary import EnvoySummary
from darc_tui.parse.stats import Stats
from darc_tui.probes import admin
from darc_tui.probes.admin import (
    ClustersProbe,
    ConfigDumpProbe,
    ReadyProbe,
    ServerInfoProbe,
    StatsProbe,
)
from tests.lab.envoy import MakeLab
from tests.lab.lab import Lab, free_port
from tests.parse.envoy_data import recorded

HOST = LocalHost("local")


@pytest.fixture(scope="module")
def shared_lab(make_module_lab: MakeLab) -> Lab:
    return make_module_lab()


def all_probes(admin_url: str, cluster: str = "backend_cluster") -> list[admin.AdminProbe]:
    return [
        ReadyProbe(HOST, admin_url, timeout=1.0),
        ServerInfoProbe(HOST, admin_url, timeout=1.0),
        ClustersProbe(HOST, admin_url, cluster, timeout=1.0),
        StatsProbe(HOST, admin_url, cluster, timeout=1.0),
        ConfigDumpProbe(HOST, admin_url, cluster, timeout=1.0),
    ]


async def test_healthy_envoy_is_ready_live_and_its_cluster_healthy(shared_lab: Lab):
    ready = await ReadyProbe(HOST, shared_lab.admin_url, timeout=1.0).run()
    assert (ready.status, ready.facts["state"], ready.vantage) == (
        Status.OK,
        "LIVE",
        Vantage.ENVOY_HOST,
    )
    assert ready.command == f"curl -s {shared_lab.admin_url}/ready"

    info = await ServerInfoProbe(HOST, shared_lab.admin_url, str(shared_lab.yaml_path)).run()
    assert info.status is Status.OK, info.detail
    assert info.facts["version"] == "1.40.0" and info.facts["config_path"] == str(
        shared_lab.yaml_path
    )

    clusters = await ClustersProbe(HOST, shared_lab.admin_url, "backend_cluster").run()
    endpoint = f"127.0.0.1:{shared_lab.backend.port}"
    assert clusters.status is Status.OK, clusters.detail
    assert clusters.detail == f"backend_cluster: 1/1 hosts healthy ({endpoint})"
    assert (clusters.facts["hosts"], clusters.facts["healthy"], clusters.facts["flags"]) == (
        1,
        1,
        "",
    )
    assert isinstance(clusters.data, ClustersReport)


async def test_server_info_warns_when_envoy_runs_another_config_file(shared_lab: Lab):
    probe = ServerInfoProbe(HOST, shared_lab.admin_url, "/etc/envoy/envoy.yaml")
    evidence = await probe.run()
    assert evidence.status is Status.WARN
    assert f"started with -c {shared_lab.yaml_path}, not /etc/envoy/envoy.yaml" in evidence.detail


async def test_stats_first_sample_has_no_deltas_then_counts_requests(shared_lab: Lab):
    probe = StatsProbe(HOST, shared_lab.admin_url, "backend_cluster", timeout=1.0)
    first = await probe.run()
    assert first.status is Status.OK and "no data yet" in first.detail
    assert first.facts["sampled"] is False and first.facts["delta.upstream_rq_total"] is None
    assert first.facts["membership_healthy"] == 1 and isinstance(first.data, Stats)
    assert first.data.counters["cluster.backend_cluster.upstream_rq_total"] >= 0
    async with httpx.AsyncClient(trust_env=False) as client:
        assert (await client.get(shared_lab.public_url)).status_code == 200
    second = await probe.run()
    assert second.facts["sampled"] is True and second.facts["restarted"] is False
    assert second.facts["delta.upstream_rq_total"] == 1
    assert second.facts["delta.upstream_cx_connect_fail"] == 0
    assert second.status is Status.OK, second.detail


async def test_running_config_summary_names_the_backend(shared_lab: Lab):
    evidence = await ConfigDumpProbe(HOST, shared_lab.admin_url, "backend_cluster").run()
    assert evidence.status is Status.OK, evidence.detail
    summary = evidence.data
    assert isinstance(summary, EnvoySummary)
    assert [tuple(e) for e in summary.cluster("backend_cluster").endpoints] == [
        ("127.0.0.1", shared_lab.backend.port)
    ]
    assert evidence.facts["hc_path"] == "/api/health"
    assert evidence.facts["listener_ports"] == str(shared_lab.spec.listener_port)


async def test_stopped_backend_fails_the_cluster_with_its_flag_and_moves_stats(shared_lab: Lab):
    stats = StatsProbe(HOST, shared_lab.admin_url, "backend_cluster", timeout=1.0)
    await stats.run()
    shared_lab.backend.down()
    try:
        await shared_lab.wait_unhealthy_async()
        evidence = await ClustersProbe(HOST, shared_lab.admin_url, "backend_cluster").run()
        endpoint = f"127.0.0.1:{shared_lab.backend.port}"
        assert evidence.status is Status.FAIL
        assert (
            evidence.detail
            == f"backend_cluster: 0/1 hosts healthy; {endpoint} failed active health check"
        )
        assert evidence.facts["flags"] == HealthFlag.FAILED_ACTIVE_HC.value
        async with httpx.AsyncClient(trust_env=False) as client:
            assert (await client.get(shared_lab.public_url)).status_code == 503
        moved = await stats.run()
        assert moved.status is Status.WARN
        assert moved.facts["delta.upstream_cx_connect_fail"] >= 1
        assert moved.facts["delta.lb_healthy_panic"] >= 1  # one host, none healthy: panic routing
        assert "upstream_cx_connect_fail +" in moved.detail
    finally:
        shared_lab.backend.up()
        await shared_lab.wait_healthy_async()


async def test_cluster_that_does_not_exist_fails_naming_the_known_ones(shared_lab: Lab):
    evidence = await ClustersProbe(HOST, shared_lab.admin_url, "nope").run()
    assert evidence.status is Status.FAIL
    assert evidence.detail == "cluster nope not found (clusters: backend_cluster)"
    stats = await StatsProbe(HOST, shared_lab.admin_url, "nope").run()
    assert stats.status is Status.FAIL and "no stats for cluster nope" in stats.detail
    dump = await ConfigDumpProbe(HOST, shared_lab.admin_url, "nope").run()
    assert dump.status is Status.FAIL and "cluster nope not in the running config" in dump.detail


async def test_closed_admin_port_is_an_error_for_every_probe():
    url = f"http://127.0.0.1:{free_port()}"
    for probe in all_probes(url):
        evidence = await probe.run()
        assert evidence.status is Status.ERROR, (probe.name, evidence.detail)
        assert evidence.detail == f"admin unreachable at {url}: connection refused"
        assert evidence.facts["reachable"] is False


class _Canned(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_admin() -> Iterator[Callable[[bytes], str]]:
    """serve(body) → the URL of a loopback HTTP server answering every GET with 200 and `body`."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def serve(body: bytes) -> str:
        handler = type("Handler", (_Canned,), {"body": body})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "body", [b"<html><h1>Welcome to nginx!</h1></html>", b'{"cluster_statuses": [{"na']
)
async def test_garbage_from_the_admin_url_is_an_error_naming_the_endpoint(fake_admin, body: bytes):
    url = fake_admin(body)
    for probe in all_probes(url):
        evidence = await probe.run()
        assert evidence.status is Status.ERROR, (probe.name, evidence.detail)
        assert evidence.detail.startswith(f"GET {url}/"), evidence.detail
        assert evidence.facts["reachable"] is True and evidence.facts["error"]


async def test_clusters_in_the_text_format_are_read_too(fake_admin):
    url = fake_admin(recorded("backend_down", "clusters.txt"))
    evidence = await ClustersProbe(HOST, url, "backend_cluster").run()
    assert evidence.status is Status.FAIL and evidence.data.format == "text"
    assert evidence.detail.endswith("failed active health check")


def _hanging_listener() -> socket.socket:
    """Accepts connections (kernel backlog) and never answers: the health check stays pending."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock


async def test_starting_envoy_waiting_for_its_first_health_check_is_a_warning(
    tmp_path: Path, envoy_binary: Path
):
    hang = _hanging_listener()
    spec = EnvoySpec(
        admin_port=free_port(),
        listener_port=free_port(),
        endpoints=(Endpoint("127.0.0.1", hang.getsockname()[1]),),
        hc_timeout=30.0,
        hc_interval=30.0,
        access_log_path="",
    )
    (tmp_path / "envoy.yaml").write_text(render(spec))
    envoy = EnvoyProcess(
        tmp_path / "envoy.yaml", admin_url=spec.admin_url, workdir=tmp_path, binary=envoy_binary
    )
    envoy.spawn()
    try:
        probe = ReadyProbe(HOST, spec.admin_url, timeout=1.0)

        deadline = time.monotonic() + 15
        evidence = await probe.run()
        while evidence.status is Status.ERROR and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # polling step while Envoy binds its admin port
            evidence = await probe.run()
        assert evidence.status is Status.WARN, evidence.detail
        assert (
            evidence.facts["state"] == "PRE_INITIALIZING" and evidence.facts["status_code"] == 503
        )
    finally:
        envoy.stop_sync()
        hang.close()


def test_build_makes_one_probe_per_admin_endpoint_on_the_envoy_host(shared_lab: Lab):
    config = load_config(shared_lab.write_config(shared_lab.workdir / "build.toml"))
    probes = admin.build(config, {"local": HOST})
    assert [p.name for p in probes] == [
        "envoy.ready",
        "envoy.server_info",
        "envoy.clusters",
        "envoy.stats",
        "envoy.config_dump",
    ]
    assert all(p.vantage is Vantage.ENVOY_HOST for p in probes)
    assert probes[2].target == "backend_cluster"
    assert admin.build(config, {}) == []


@pytest.mark.parametrize(
    ("cluster", "status", "detail"),
    [
        ("empty_cluster", Status.FAIL, "cluster empty_cluster has no hosts"),
        ("outlier_cluster", Status.FAIL, "outlier_cluster: 0/2 hosts healthy; 127.0.0.1:"),
        ("eds_cluster", Status.WARN, "eds_cluster: 1/4 hosts healthy; 127.0.0.1:"),
    ],
)
async def test_recorded_cluster_states_are_judged_by_every_host_flag(
    fake_admin, cluster, status, detail
):
    url = fake_admin(recorded("backend_down", "clusters.json"))
    evidence = await ClustersProbe(HOST, url, cluster).run()
    assert evidence.status is status and evidence.detail.startswith(detail), evidence.detail


def test_hosts_only_waiting_for_their_first_health_check_are_a_warning():
    waiting = HostStatus("127.0.0.1", 18443, frozenset({HealthFlag.PENDING_ACTIVE_HC}))
    odd = HostStatus("127.0.0.1", 18444, unknown_flags=("new_flag",))
    report = ClustersReport((ClusterStatus("c", (waiting,)),))
    assert admin._judge_cluster(report, "c")[:2] == (
        Status.WARN,
        "c: 0/1 hosts healthy; waiting for the first health check",
    )
    report = ClustersReport((ClusterStatus("c", (waiting, odd)),))
    assert admin._judge_cluster(report, "c")[0] is Status.FAIL


@pytest.mark.parametrize("fmt", ["json", "txt"])
@pytest.mark.parametrize("state", ["healthy", "backend_down", "hc_timeout_degraded"])
@pytest.mark.parametrize("cluster", ["backend_cluster", "eds_cluster", "nope"])
async def test_the_probe_keeps_its_clusters_hosts_and_judges_as_the_whole_report(
    fake_admin, state, fmt, cluster
):
    """The probe converts only its cluster's hosts (the others as counts): the same status,
    detail and facts as judging every host read in full, and the same hosts shown."""
    body = recorded(state, f"clusters.{fmt}")
    whole = parse_clusters(body)
    evidence = await ClustersProbe(HOST, fake_admin(body), cluster).run()
    assert (evidence.status, evidence.detail, dict(evidence.facts)) == admin._judge_cluster(
        whole, cluster
    )
    assert evidence.data == summarized(whole, cluster)
    assert evidence.data.get(cluster) == whole.get(cluster)
