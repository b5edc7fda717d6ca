"""Requests through Envoy's listener carry the site's identity (Host, SNI, CA), on a real Envoy with a
domain-restricted virtual host and a TLS listener that serves only SNI www.darc.kr with a
self-signed certificate. The whole set of findings is asserted, not only the top one."""

from __future__ import annotations

import asyncio
import copy
import datetime
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from darc_tui.config import Config, parse_config
from darc_tui.demo.backend import Backend
from darc_tui.demo.envoy_process import EnvoyProcess
from darc_tui.demo.envoy_yaml import Endpoint, EnvoySpec, bootstrap
from darc_tui.engine import build_engine
from darc_tui.model import Snapshot, Status, Verdict
from tests.diagnosis.scenario import explain
from tests.lab.lab import free_port

pytestmark = pytest.mark.integration

SITE = "www.darc.kr"
ROUNDS = 5


@dataclass
class Site:
    backend: Backend
    admin_url: str
    plain_url: str  # listener with a virtual host for www.darc.kr only
    tls_url: str  # TLS listener: only SNI www.darc.kr has a filter chain
    yaml_path: Path
    access_log: Path
    ca_file: Path


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for www.darc.kr (its own CA)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SITE)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(SITE)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _yaml(spec: EnvoySpec, tls_port: int, cert: Path, key: Path) -> str:
    doc: dict[str, Any] = bootstrap(spec)
    plain = doc["static_resources"]["listeners"][0]
    hcm = plain["filter_chains"][0]["filters"][0]["typed_config"]
    hcm["route_config"]["virtual_hosts"][0]["domains"] = [SITE]  # very common: real names only
    tls = copy.deepcopy(plain)
    tls["name"] = "listener_https"
    tls["address"]["socket_address"]["port_value"] = tls_port
    chain = tls["filter_chains"][0]
    chain["filter_chain_match"] = {"server_names": [SITE]}  # no SNI, no chain: Envoy closes
    tls["listener_filters"] = [  # reads the SNI from the ClientHello for server_names
        {
            "name": "envoy.filters.listener.tls_inspector",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3."
                "TlsInspector"
            },
        }
    ]
    chain["transport_socket"] = {
        "name": "envoy.transport_sockets.tls",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3."
            "DownstreamTlsContext",
            "common_tls_context": {
                "tls_certificates": [
                    {
                        "certificate_chain": {"filename": str(cert)},
                        "private_key": {"filename": str(key)},
                    }
                ]
            },
        },
    }
    doc["static_resources"]["listeners"].append(tls)
    return yaml.safe_dump(doc, sort_keys=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, envoy_binary: Path) -> Iterator[Site]:
    work = tmp_path_factory.mktemp("listener-identity")
    backend = Backend().start()
    cert, key = _certificate(work)
    spec = EnvoySpec(
        admin_port=free_port(),
        listener_port=free_port(),
        endpoints=(Endpoint("127.0.0.1", backend.port),),
        route_prefix="/",
        hc_interval=0.5,
        access_log_path=str(work / "access.log"),
        cors_origins=(),
    )
    tls_port = free_port()
    yaml_path = work / "envoy.yaml"
    yaml_path.write_text(_yaml(spec, tls_port, cert, key))
    envoy = EnvoyProcess(
        yaml_path,
        admin_url=spec.admin_url,
        workdir=work,
        binary=envoy_binary,
        file_flush_interval_ms=50,
    )
    envoy.start_sync()
    try:
        yield Site(
            backend,
            spec.admin_url,
            spec.listener_url,
            f"https://127.0.0.1:{tls_port}",
            yaml_path,
            work / "access.log",
            cert,
        )
    finally:
        envoy.stop_sync()
        backend.stop()


def config(site: Site, listener_url: str, **envoy: object) -> Config:
    extra = "".join(
        f"{k} = {str(v).lower() if isinstance(v, bool) else repr(str(v))}\n"
        for k, v in envoy.items()
    ).replace("'", '"')
    return parse_config(
        f"""
[site]
name = "identity"
[envoy]
host = "local"
admin_url = "{site.admin_url}"
listener_url = "{listener_url}"
config_path = "{site.yaml_path}"
cluster = "backend_cluster"
access_log = "{site.access_log}"
error_log = ""
unit = ""
{extra}
[backend]
url = "{site.backend.url}"
health_path = "/api/health"
[probes]
interval = 0.5
timeout = 1.0
"""
    )


async def rounds(cfg: Config, n: int = ROUNDS) -> Snapshot:
    engine = build_engine(cfg)
    try:
        for _ in range(n):
            snap = await engine.run_round()
            await asyncio.sleep(cfg.probes.interval)
    finally:
        await engine.stop()
    return snap


def causes(snap: Snapshot) -> set[str]:
    return {f.cause for f in snap.findings}


def listener_ev(snap: Snapshot, url: str) -> Any:
    return next(e for e in snap.evidence if e.target.startswith(url))


async def test_a_domain_restricted_virtual_host_is_healthy_with_the_sites_host(site: Site) -> None:
    snap = await rounds(config(site, site.plain_url, listener_host=SITE))
    assert causes(snap) == set(), explain(snap)
    assert snap.verdict is Verdict.OK
    ev = listener_ev(snap, site.plain_url)
    assert ev.status is Status.OK
    assert f"--connect-to {SITE}:80:127.0.0.1:" in ev.command


async def test_without_the_sites_host_the_same_listener_answers_no_route(site: Site) -> None:
    """The false alarm the identity prevents: Host 127.0.0.1:PORT matches no virtual host."""
    snap = await rounds(config(site, site.plain_url))
    assert "config.no_route" in causes(snap), explain(snap)


async def test_a_tls_listener_with_its_ca_and_sni_is_healthy(site: Site) -> None:
    cfg = config(site, site.tls_url, listener_host=SITE, listener_ca=site.ca_file)
    snap = await rounds(cfg)
    assert causes(snap) == set(), explain(snap)
    assert listener_ev(snap, site.tls_url).status is Status.OK


async def test_an_untrusted_listener_certificate_is_never_ok(site: Site) -> None:
    snap = await rounds(config(site, site.tls_url, listener_host=SITE))
    assert causes(snap) == {"envoy.listener_unreachable"}, explain(snap)
    assert snap.verdict is not Verdict.OK
    found = snap.findings[0]
    assert "certificate" in found.summary and SITE in found.summary
    assert any("listener_ca" in step for step in found.next_steps)


async def test_skipping_verification_is_a_warning_not_a_finding(site: Site) -> None:
    snap = await rounds(config(site, site.tls_url, listener_host=SITE, listener_verify=False))
    assert causes(snap) == set(), explain(snap)
    ev = listener_ev(snap, site.tls_url)
    assert ev.status is Status.WARN and "NOT verified" in ev.detail
    assert " -k " in ev.command


async def test_a_wrong_sni_while_real_traffic_succeeds_is_darc_tuis_vantage(site: Site) -> None:
    """Envoy has no filter chain for SNI other.example and closes the handshake; real clients
    (right SNI) keep getting 200s: not an outage, darc-tui's own identity is wrong."""
    context = ssl.create_default_context(cafile=str(site.ca_file))
    async with httpx.AsyncClient(verify=context, trust_env=False) as client:
        for _ in range(5):
            answer = await client.get(
                f"{site.tls_url}/api/orders",
                headers={"Host": SITE},
                extensions={"sni_hostname": SITE},
            )
            assert answer.status_code == 200
    cfg = config(site, site.tls_url, listener_host="other.example", listener_ca=site.ca_file)
    snap = await rounds(cfg)
    assert causes(snap) == {"probe.vantage_blocked"}, explain(snap)
    assert snap.verdict is Verdict.DEGRADED
    assert "real requests" in snap.findings[0].summary


def test_listener_identity_defaults_to_the_public_urls_host() -> None:
    cfg = parse_config(
        '[site]\npublic_url = "https://www.darc.kr:8443/api/health"\n'
        '[envoy]\nlistener_url = "https://127.0.0.1:8443"\n[backend]\nurl = "http://127.0.0.1:1"\n'
    )
    assert cfg.listener_identity == "www.darc.kr:8443"
