"""Every catalog cause proven on a real Envoy fault: induce it, run the engine round by round, and
the expected cause must come out on top naming the concrete value. Run for two site shapes (default
names, and a custom cluster name / health path / routes; ports are always random, never 8080/9901).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from pathlib import Path

import pytest
import yaml

from darc_tui.config import Config
from darc_tui.demo.backend import Backend
from darc_tui.demo.envoy_process import EnvoyProcess
from darc_tui.demo.envoy_yaml import ClusterType, Endpoint, EnvoySpec, bootstrap, render
from darc_tui.engine import build_engine
from darc_tui.model import Finding, Snapshot, Verdict
from tests.diagnosis.scenario import (
    SETTLE_ROUNDS,
    VARIANTS,
    Site,
    Timing,
    assert_only,
    burst,
    explain,
    listed,
    until_top,
)
from tests.lab.dns import DnsServer
from tests.lab.lab import free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=VARIANTS, ids=[v.name for v in VARIANTS])
def site(request: pytest.FixtureRequest, make_module_lab) -> Site:
    variant = request.param
    return Site(make_module_lab(**variant.spec), variant)


async def diagnosed(
    site: Site,
    name: str,
    cause: str,
    config: Config,
    started: float,
    traffic: Callable[[], Awaitable[None]] | None = None,
    accept: Callable[[Finding], bool] = lambda _finding: True,
    also: Iterable[str] = (),
    ready: Callable[[Snapshot], bool] = lambda _snap: True,
) -> tuple[Finding, Snapshot]:
    """The engine on `config` until `cause` is on top; records how long that took. The whole set
    of findings then, and for a few rounds more, may hold only `cause` and the ids in `also` (its
    consequences): any other finding fails the scenario."""
    allowed = frozenset({cause, *also})
    engine = build_engine(config)
    try:
        snap, seconds, rounds = await until_top(
            engine, cause, started=started, traffic=traffic, accept=accept, ready=ready
        )
        seen = dict.fromkeys(listed(snap))
        assert_only(snap, allowed)
        for _ in range(SETTLE_ROUNDS):
            await asyncio.sleep(engine.config.probes.interval)
            if traffic is not None:
                await traffic()
            later = await engine.run_round()
            assert_only(later, allowed)
            seen.update(dict.fromkeys(listed(later)))
    finally:
        await engine.stop()
    site.timings.append(Timing(site.variant.name, name, cause, seconds, rounds, tuple(seen)))
    finding = snap.findings[0]
    assert finding.evidence and finding.next_steps and finding.title
    return finding, snap


def cluster(site: Site) -> str:
    return site.lab.spec.cluster_name


def backend_endpoint(site: Site) -> str:
    return f"127.0.0.1:{site.lab.backend.port}"


# ---------------------------------------------------------------------------------------------
# healthy baseline


async def test_healthy_site_has_no_finding(site: Site) -> None:
    site.ensure()
    engine = build_engine(site.config())
    try:
        for _ in range(6):  # enough rounds for counter deltas and every probe to report
            snap = await engine.run_round()
            assert snap.findings == (), explain(snap)
            await asyncio.sleep(engine.config.probes.interval)
    finally:
        await engine.stop()
    assert snap.verdict is Verdict.OK
    assert any(e.probe == "envoy.stats" and e.facts.get("sampled") for e in snap.evidence)


# ---------------------------------------------------------------------------------------------
# the backend


async def test_backend_down(site: Site) -> None:
    site.ensure()
    config, started = site.config(), time.monotonic()
    site.lab.backend.down()
    found, _ = await diagnosed(
        site,
        "backend down",
        "backend.down",
        config,
        started,
        also={"healthcheck.failing", "envoy.panic_mode"},
    )
    assert backend_endpoint(site) in found.summary and "refused" in found.summary


async def test_backend_answering_5xx(site: Site) -> None:
    site.ensure()
    config, started = site.config(), time.monotonic()
    site.lab.backend.error_status = 500
    found, _ = await diagnosed(site, "backend 5xx", "backend.errors", config, started)
    assert "500" in found.summary and "flag '-'" in found.summary


async def test_one_of_two_hosts_down(site: Site) -> None:
    second = Backend().start()
    second.health_path = site.variant.health_path
    try:
        endpoints = (
            Endpoint("127.0.0.1", site.lab.backend.port),
            Endpoint("127.0.0.1", second.port),
        )
        site.ensure(endpoints=endpoints)
        config, started = site.config(), time.monotonic()
        second.down()
        found, snap = await diagnosed(
            site,
            "1 of 2 hosts down",
            "backend.down",
            config,
            started,
            also={"healthcheck.failing", "envoy.panic_mode"},
        )
        assert f"127.0.0.1:{second.port}" in found.summary and "1/2 hosts" in found.summary
        assert snap.verdict is Verdict.DEGRADED
    finally:
        second.stop()


async def test_keepalive_race(site: Site) -> None:
    """Deterministic: the backend closes a keep-alive connection idle for 0.2 s when the next
    request arrives on it (unanswered), so every reused request loses the race."""
    site.ensure()
    config, started = site.config(), time.monotonic()
    site.lab.backend.keepalive_idle_close = 0.2
    site.lab.backend.keepalive_race = True
    found, snap = await diagnosed(
        site, "keep-alive race", "backend.keepalive_race", config, started
    )
    assert "UC" in found.summary and "idle_timeout (3600 s)" in found.summary
    assert snap.verdict is Verdict.DEGRADED


async def test_circuit_breaker_overflow_under_a_burst(site: Site) -> None:
    site.ensure(cb_max_connections=1, cb_max_pending_requests=1, cb_max_requests=1)
    config, started = site.config(), time.monotonic()
    site.lab.backend.delay = 0.2
    url = site.url(site.variant.api_path)
    found, _ = await diagnosed(
        site,
        "circuit breaker burst",
        "backend.overloaded",
        config,
        started,
        traffic=lambda: burst(url, 12),
        accept=lambda f: "upstream_rq_pending_overflow" in f.summary,  # once counters moved
    )
    assert "UO" in found.summary
    assert "upstream_rq_pending_overflow +" in found.summary
    assert "max_pending_requests 1" in found.summary


async def test_outlier_ejection(site: Site) -> None:
    site.ensure(outlier_consecutive_5xx=2, outlier_interval=0.5, outlier_max_ejection_percent=100)
    config, started = site.config(), time.monotonic()
    site.lab.backend.error_status = 500
    # the backend's 500s are the cause; the ejection (and its 503s) is what Envoy does about them
    _, snap = await diagnosed(
        site,
        "outlier ejection",
        "backend.errors",
        config,
        started,
        also={"outlier.ejected", "envoy.panic_mode"},
        ready=lambda snap: any(f.cause == "outlier.ejected" for f in snap.findings),
    )
    ejected = next(f for f in snap.findings if f.cause == "outlier.ejected")
    assert ejected.explained_by == ("backend.errors",)
    assert backend_endpoint(site) in ejected.summary and "1/1 hosts" in ejected.summary


async def test_outlier_ejection_refused_by_max_ejection_percent(site: Site) -> None:
    """One host and Envoy's default max_ejection_percent (10 %): the ejection is refused
    (ejections_overflow), so the backend's own 500s keep flowing: backend.errors says why."""
    site.ensure(outlier_consecutive_5xx=2, outlier_interval=0.5)
    config, started = site.config(), time.monotonic()
    site.lab.backend.error_status = 500
    found, _ = await diagnosed(
        site,
        "ejection refused",
        "backend.errors",
        config,
        started,
        accept=lambda f: any("max_ejection_percent" in line for line in f.ruled_out),
    )
    assert "500" in found.summary


async def test_cluster_without_hosts_from_dns(site: Site) -> None:
    dns = DnsServer().start()
    try:
        dns.set("backend.lab")  # NOERROR, no address
        site.ensure(
            healthy=False,
            cluster_type=ClusterType.STRICT_DNS,
            endpoints=(Endpoint("backend.lab", site.lab.backend.port),),
            dns_resolver=dns.address,
        )
        config, started = site.config(), time.monotonic()
        found, _ = await diagnosed(site, "DNS gives no host", "cluster.no_hosts", config, started)
        assert f"{cluster(site)} has no hosts" in found.summary
        assert "STRICT_DNS backend.lab" in found.summary
    finally:
        site.ensure(healthy=False)
        dns.stop()


async def test_route_timeout_shorter_than_the_backends_answer(site: Site) -> None:
    """The backend answers in 0.6 s (the health check's 1 s timeout still passes) and the route
    gives up after 0.25 s: 504 UT."""
    site.ensure(route_timeout=0.25)
    config, started = site.config(), time.monotonic()
    site.lab.backend.delay = 0.6
    found, _ = await diagnosed(
        site, "route timeout (UT)", "route.upstream_timeout", config, started
    )
    assert "504 upstream request timeout (UT)" in found.summary
    assert any("upstream_rq_timeout" in e.fact or "UT" in e.fact for e in found.evidence)


async def test_retries_exhausted_on_the_backends_503s(site: Site) -> None:
    """retry_on 5xx, 2 retries, the backend answers 503 to everything: URX, under backend.errors."""
    site.ensure(retry_on="5xx", num_retries=2)
    config, started = site.config(), time.monotonic()
    site.lab.backend.error_status = 503
    url = site.url(site.variant.api_path)
    _, snap = await diagnosed(
        site,
        "retries exhausted (URX)",
        "backend.errors",
        config,
        started,
        traffic=lambda: burst(url, 3),
        also={"route.retries_exhausted"},
        ready=lambda snap: any(f.cause == "route.retries_exhausted" for f in snap.findings),
    )
    retries = next(f for f in snap.findings if f.cause == "route.retries_exhausted")
    assert retries.explained_by == ("backend.errors",)
    assert "URX" in retries.summary


# ---------------------------------------------------------------------------------------------
# the active health check and panic


async def test_health_endpoint_500_without_panic(site: Site) -> None:
    site.ensure(healthy_panic_threshold=0.0)
    config, started = site.config(), time.monotonic()
    site.lab.backend.health_status = 500
    found, snap = await diagnosed(
        site, "health endpoint 500", "healthcheck.failing", config, started
    )
    assert f"GET {site.variant.health_path}" in found.summary and "500" in found.summary
    assert "no healthy upstream (UH)" in found.summary
    assert snap.verdict is Verdict.DOWN


async def test_health_endpoint_500_with_panic(site: Site) -> None:
    site.ensure()
    config, started = site.config(), time.monotonic()
    site.lab.backend.health_status = 500
    found, snap = await diagnosed(
        site,
        "HC 500, panic",
        "healthcheck.failing",
        config,
        started,
        also={"envoy.panic_mode"},
        ready=lambda snap: any(f.cause == "envoy.panic_mode" for f in snap.findings),
    )
    assert "does not cause 503s" in found.summary
    # panic is what Envoy does because the check failed: listed under it, not as a rival
    panic = next(f for f in snap.findings if f.cause == "envoy.panic_mode")
    assert panic.explained_by == ("healthcheck.failing",)
    assert "0/1 hosts healthy" in panic.summary and "50 %" in panic.summary


async def test_health_check_path_wrong(site: Site) -> None:
    # Like an app that serves only its own routes: the wrong health-check path really 404s, while
    # the API and the real health path answer.
    site.ensure(healthy=False, hc_path="/wrong/health")
    site.lab.backend.strict_paths = True
    config, started = site.config(), time.monotonic()
    found, _ = await diagnosed(
        site,
        "HC path wrong",
        "healthcheck.misconfigured",
        config,
        started,
        also={"envoy.panic_mode"},
    )
    assert "/wrong/health" in found.summary and site.variant.health_path in found.summary
    # proven by asking exactly like Envoy's checker: the path, its Host header and the 404
    assert f"(Host: {cluster(site)}) gets 404" in found.summary
    assert any(e.probe == "envoy.hc_request" for e in found.evidence)


async def test_health_check_timing_out(site: Site) -> None:
    site.ensure()
    config, started = site.config(), time.monotonic()
    site.lab.backend.delay = 1.5  # the lab's health-check timeout is 1 s
    found, _ = await diagnosed(
        site, "HC timeout", "healthcheck.timeout", config, started, also={"envoy.panic_mode"}
    )
    assert "1 s" in found.summary and backend_endpoint(site) in found.summary


# ---------------------------------------------------------------------------------------------
# envoy.yaml against reality


async def test_cluster_pointing_at_the_wrong_port(site: Site) -> None:
    wrong = free_port()
    started = time.monotonic()
    site.ensure(healthy=False, endpoints=(Endpoint("127.0.0.1", wrong),))
    found, snap = await diagnosed(
        site,
        "wrong port",
        "config.endpoint_mismatch",
        site.config(),
        started,
        also={"healthcheck.failing", "envoy.panic_mode"},
    )
    assert f"127.0.0.1:{wrong}" in found.summary and backend_endpoint(site) in found.summary
    assert "backend.down" not in [f.cause for f in snap.findings]


async def test_upstream_tls_against_a_plain_backend(site: Site) -> None:
    started = time.monotonic()
    site.ensure(healthy=False, upstream_tls=True)
    found, _ = await diagnosed(
        site,
        "TLS to plain backend",
        "config.tls_mismatch",
        site.config(),
        started,
        also={"healthcheck.failing", "envoy.panic_mode"},
    )
    assert "TLS" in found.summary and backend_endpoint(site) in found.summary


async def test_plain_envoy_against_a_tls_only_backend(site: Site) -> None:
    """The mirror image: Envoy sends plain HTTP, the backend now speaks only TLS (same port)."""
    site.ensure()
    config, started = site.config(), time.monotonic()
    site.lab.backend.set_tls(True)
    found, _ = await diagnosed(
        site,
        "plain to TLS-only backend",
        "config.tls_mismatch",
        config,
        started,
        also={"healthcheck.failing", "envoy.panic_mode"},
    )
    assert "speaks only TLS" in found.summary and backend_endpoint(site) in found.summary


async def test_upstream_tls_without_the_sni_the_backend_needs(site: Site) -> None:
    """The backend serves TLS only for the name backend.lab (alert unrecognized_name otherwise);
    the cluster speaks TLS but sets no `sni`."""
    site.ensure(healthy=False, upstream_tls=True)
    started = time.monotonic()
    site.lab.backend.sni_required = "backend.lab"
    site.lab.backend.set_tls(True)
    tls_url = site.lab.backend.url
    found, _ = await diagnosed(
        site,
        "upstream TLS without SNI",
        "config.upstream_sni",
        site.config(backend={"url": tls_url}),
        started,
        also={"healthcheck.failing", "envoy.panic_mode"},
    )
    assert "sends no SNI" in found.summary and "unrecognized_name" in found.summary


async def test_http2_upstream_against_an_http1_backend(site: Site) -> None:
    started = time.monotonic()
    site.ensure(upstream_http2=True)
    found, _ = await diagnosed(
        site, "HTTP/2 to HTTP/1 backend", "config.protocol_mismatch", site.config(), started
    )
    assert "HTTP/2" in found.summary and "502" in found.summary


@pytest.fixture
def h2c_backend(site: Site, envoy_binary: Path, tmp_path: Path) -> Iterator[int]:
    """A backend that speaks only HTTP/2 with prior knowledge (h2c): an Envoy whose listener codec
    is HTTP2, in front of the lab's backend. Yields its port."""
    front = EnvoySpec(
        admin_port=free_port(),
        listener_port=free_port(),
        endpoints=(Endpoint("127.0.0.1", site.lab.backend.port),),
        route_prefix="/",
        health_check=False,
        access_log_path="",
        cors_origins=(),
    )
    doc = bootstrap(front)
    hcm = doc["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
    hcm["typed_config"]["codec_type"] = "HTTP2"
    (tmp_path / "envoy.yaml").write_text(yaml.safe_dump(doc))
    envoy = EnvoyProcess(
        tmp_path / "envoy.yaml", admin_url=front.admin_url, workdir=tmp_path, binary=envoy_binary
    )
    envoy.start_sync()
    try:
        yield front.listener_port
    finally:
        envoy.stop_sync()
        site.ensure(healthy=False)


async def test_http1_envoy_against_an_h2c_only_backend(site: Site, h2c_backend: int) -> None:
    """The mirror image of HTTP/2 to an HTTP/1 backend: Envoy sends HTTP/1.1, the backend speaks
    only h2c and drops the request (503 UC)."""
    started = time.monotonic()
    site.ensure(healthy=False, endpoints=(Endpoint("127.0.0.1", h2c_backend),))
    config = site.config(backend={"url": f"http://127.0.0.1:{h2c_backend}"})
    found, _ = await diagnosed(
        site,
        "HTTP/1.1 to h2c-only backend",
        "config.protocol_mismatch",
        config,
        started,
        also={"healthcheck.timeout", "healthcheck.failing", "envoy.panic_mode"},
    )
    assert "speaks only HTTP/2" in found.summary and str(h2c_backend) in found.summary


async def test_no_route(site: Site) -> None:
    started = time.monotonic()
    site.ensure(route_prefix="/v2/")
    found, _ = await diagnosed(site, "no route", "config.no_route", site.config(), started)
    assert "NR" in found.summary and site.variant.health_path in found.summary


async def test_config_changed_on_disk_but_not_reloaded(site: Site) -> None:
    """Envoy runs a wrong port; the file on disk was fixed but Envoy not reloaded: drift explains
    the mismatch and comes first."""
    wrong = free_port()
    site.ensure(healthy=False, endpoints=(Endpoint("127.0.0.1", wrong),))
    config, started = site.config(), time.monotonic()
    site.lab.yaml_path.write_text(render(site.base))
    found, snap = await diagnosed(
        site,
        "drift (not reloaded)",
        "config.drift",
        config,
        started,
        also={"config.endpoint_mismatch", "healthcheck.failing", "envoy.panic_mode"},
    )
    assert f"127.0.0.1:{wrong} → {backend_endpoint(site)}" in found.summary
    assert "config.endpoint_mismatch" in [f.cause for f in snap.findings]
    site.lab.yaml_path.write_text(render(site.lab.spec))


async def test_invalid_envoy_yaml_on_disk(site: Site) -> None:
    site.ensure()
    config, started = site.config(), time.monotonic()
    text = render(site.lab.spec).replace("connect_timeout:", "connect_timout:", 1)
    site.lab.yaml_path.write_text(text)
    try:
        found, _ = await diagnosed(
            site, "invalid envoy.yaml", "config.invalid", config, started, also={"config.drift"}
        )
    finally:
        site.lab.yaml_path.write_text(render(site.lab.spec))
    assert str(site.lab.yaml_path) in found.summary and "connect_timout" in found.summary


async def test_cors_origin_refused(site: Site) -> None:
    started = time.monotonic()
    site.ensure(cors_origins=("https://other.example",))
    found, _ = await diagnosed(
        site, "CORS refused", "cors.origin_not_allowed", site.config(), started
    )
    assert "https://www.darc.kr" in found.summary


# ---------------------------------------------------------------------------------------------
# Envoy itself


async def test_envoy_down(site: Site) -> None:
    site.ensure()
    config, started = site.config(), time.monotonic()
    site.lab.envoy.stop_sync()
    try:
        found, _ = await diagnosed(site, "Envoy down", "envoy.down", config, started)
    finally:
        site.ensure()
    assert site.lab.admin_url in found.summary


async def test_admin_unreachable(site: Site) -> None:
    site.ensure()
    wrong = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    config = site.config(envoy={"admin_url": wrong})
    found, _ = await diagnosed(
        site, "admin unreachable", "envoy.admin_unreachable", config, started
    )
    assert wrong in found.summary and f"port {site.lab.spec.admin_port}" in found.summary


async def test_listener_missing(site: Site) -> None:
    site.ensure()
    wrong = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    config = site.config(envoy={"listener_url": wrong})
    found, _ = await diagnosed(site, "listener missing", "envoy.listener_missing", config, started)
    assert wrong in found.summary and f"port {site.lab.spec.listener_port}" in found.summary


# ---------------------------------------------------------------------------------------------
# the network: a backend in its own namespace behind a DROP rule


@pytest.fixture
def dropped(site: Site, netns, make_sshd) -> Iterator[tuple[str, int, object]]:
    """A backend inside a netns, Envoy pointed at it, and `iptables -j DROP` for its port inside
    the namespace; an sshd in the namespace lets darc-tui read the backend host's firewall."""
    port = 18443
    url = netns.start_backend(port, "--health-path", site.variant.health_path)
    sshd = make_sshd(netns=netns.name, listen=netns.addr)
    site.ensure(healthy=True, endpoints=(Endpoint(netns.addr, port),))
    netns.exec(["iptables", "-A", "INPUT", "-p", "tcp", "--dport", str(port), "-j", "DROP"])
    try:
        yield url, port, sshd
    finally:
        netns.exec(["iptables", "-F", "INPUT"], check=False)
        site.ensure(healthy=False)


async def test_firewall_drop_seen_on_the_backend_host(site: Site, dropped) -> None:
    url, port, sshd = dropped
    started = time.monotonic()
    host = sshd.host_config("app")
    config = site.config(
        backend={"url": url, "host": "app"},
        hosts={
            "app": {
                "address": host.address,
                "port": host.port,
                "user": "root",
                "identity_file": host.identity_file,
                "known_hosts": host.known_hosts,
            }
        },
    )
    found, _ = await diagnosed(
        site,
        "firewall DROP",
        "network.firewall",
        config,
        started,
        also={"healthcheck.timeout", "healthcheck.failing", "envoy.panic_mode"},
    )
    assert f"--dport {port}" in found.summary and "-j DROP" in found.summary


async def test_connect_timeout_shorter_than_the_connect(site: Site, netns) -> None:
    """Every connection's first SYN is dropped in the backend's namespace (hashlimit per source
    port), so each connect takes one SYN retransmission (~1 s on Linux), behind a cluster whose
    connect_timeout is 0.2 s: Envoy's connects time out, darc-tui's (3 s timeout) succeed."""
    port = 18443
    url = netns.start_backend(port, "--health-path", site.variant.health_path)
    first_syn = ["iptables", "-A", "INPUT", "-p", "tcp", "--syn", "--dport", str(port)]
    first_syn += ["-m", "hashlimit", "--hashlimit-name", "firstsyn"]
    first_syn += ["--hashlimit-mode", "srcip,srcport", "--hashlimit-upto", "1/hour"]
    first_syn += ["--hashlimit-burst", "1", "-j", "DROP"]
    netns.exec(first_syn)
    started = time.monotonic()
    try:
        site.ensure(healthy=False, connect_timeout=0.2, endpoints=(Endpoint(netns.addr, port),))
        found, _ = await diagnosed(
            site,
            "connect_timeout too short",
            "config.connect_timeout",
            site.config(backend={"url": url}, probes={"interval": 0.5, "timeout": 3.0}),
            started,
            also={"healthcheck.failing", "healthcheck.timeout", "envoy.panic_mode"},
        )
    finally:
        site.ensure(healthy=False)
    assert "connect_timeout (0.2 s)" in found.summary and f"{netns.addr}:{port}" in found.summary


async def test_drop_without_a_readable_rule_is_unreachable(site: Site, dropped) -> None:
    url, port, _sshd = dropped
    started = time.monotonic()
    found, _ = await diagnosed(
        site,
        "unreachable (rule unseen)",
        "network.unreachable",
        site.config(backend={"url": url}),
        started,
        also={"healthcheck.timeout", "healthcheck.failing", "envoy.panic_mode"},
    )
    assert f":{port}" in found.summary and "time out" in found.summary


# ---------------------------------------------------------------------------------------------
# the same engine behind `darc-tui check --json`


async def test_check_json_names_the_cause_and_exits_1(site: Site) -> None:
    site.ensure()
    path = site.lab.write_config(
        site={"public_url": site.url(site.variant.api_path)},
        backend={"health_path": site.variant.health_path},
    )
    site.lab.backend.down()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "darc_tui",
        "check",
        "-c",
        str(path),
        "--json",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 1, err.decode()
    doc = json.loads(out)
    assert doc["verdict"] == "down"
    assert doc["causes"][0]["id"] == "backend.down"
    assert backend_endpoint(site) in doc["causes"][0]["summary"]
    # root first; what it explains follows, each naming its cause
    assert "explained_by" not in doc["causes"][0]
    for consequence in doc["causes"][1:]:
        assert consequence["id"] in ("healthcheck.failing", "envoy.panic_mode"), consequence["id"]
        assert consequence["explained_by"], consequence
