"""The public Envoy config corpus (tests/data/envoy-configs/) run on loopback.

Each config is run as written apart from where it listens and where it sends traffic: every
listener and the admin get a free loopback port, an endpoint that points at one of the config's own
listeners (or admin) follows it to its new port, and every other endpoint goes to the demo backend:
a DNS name keeps its name (the port changes) and resolves to 127.0.0.1 through the loopback DNS
server of tests/lab/dns.py, which each DNS cluster gets as its only resolver; an outside IP address
becomes 127.0.0.1. A config without an `admin` block gets one (darc-tui reads Envoy through it).
Nothing else is changed; the rewritten copy is written next to the Envoy logs.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import yaml

from darc_tui.demo.backend import Backend
from darc_tui.demo.envoy_process import EnvoyProcess
from darc_tui.demo.lab import free_port, to_toml
from tests.lab.dns import DnsServer

CORPUS = Path(__file__).resolve().parents[1] / "data" / "envoy-configs"


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    """One corpus config and what can be run of it here (`why_not` says why not)."""

    name: str
    healthy_runs: bool = True
    down_runs: bool = True
    why_not: str = ""
    probe_gap: str = ""  # why some probes of the healthy site fail today (an xfail, strict)
    listener_host: str = ""  # the Host a domain-restricted virtual host wants (envoy.listener_host)

    @property
    def path(self) -> Path:
        return CORPUS / f"{self.name}.yaml"


_CN = "front-envoy"  # the examples' self-signed listener certificate: CN=front-envoy, no SAN
_BACKEND_TLS = (
    "the backend's certificate is self-signed and darc-tui has no CA setting for backend.url: "
    "the direct backend probes fail CERTIFICATE_VERIFY_FAILED"
)
ENTRIES = (
    Entry("examples-front-proxy"),
    Entry("examples-cors-frontend"),
    Entry("examples-cors-backend"),
    Entry("examples-fault-injection"),
    Entry("examples-route-mirror"),
    Entry("examples-tls-https-http", listener_host=_CN),
    Entry("examples-locality-lb"),
    Entry("examples-gzip"),
    Entry("examples-websocket"),
    Entry("examples-csrf-samesite"),
    Entry("examples-grpc-bridge-client", listener_host="grpc"),
    Entry("examples-tls-https-https", listener_host=_CN, probe_gap=_BACKEND_TLS),
    Entry("envoy-demo", probe_gap=_BACKEND_TLS),
    Entry(
        "grpc-web-echo",
        healthy_runs=False,
        why_not="the upstream speaks HTTP/2 only (h2c); the demo backend is HTTP/1.1",
    ),
)


@dataclasses.dataclass(frozen=True, slots=True)
class Site:
    """Where the rewritten config listens and what darc-tui should watch."""

    admin_port: int
    listener_url: str  # the first HTTP listener with a route to a cluster
    public_path: str  # that route's prefix/path
    cluster: str  # that route's cluster: the site's backend
    upstream_tls: bool
    listener_cert: str = ""  # the listener's inline (self-signed) certificate: darc-tui's CA


def load(entry: Entry) -> Any:
    return yaml.safe_load(entry.path.read_text(encoding="utf-8"))


def _is_ip(value: object) -> bool:
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return True


def _socket_addresses(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "socket_address" and isinstance(value, dict):
                yield value
            else:
                yield from _socket_addresses(value)
    elif isinstance(node, list):
        for value in node:
            yield from _socket_addresses(value)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, Mapping) else []


def rewrite(
    doc: dict[str, Any], backend_port: int, workdir: Path, dns: DnsServer
) -> dict[str, int]:
    """Move `doc` to loopback in place (see the module docstring); returns old → new port.
    A runtime disk layer's `symlink_root` (Envoy refuses to start without it) moves into
    `workdir`."""
    ports: dict[int, int] = {}
    for layer in _as_list(doc.get("layered_runtime", {}).get("layers")):
        if isinstance(layer.get("disk_layer"), dict):
            root = workdir / "runtime" / str(layer.get("name", "layer"))
            root.mkdir(parents=True, exist_ok=True)
            layer["disk_layer"]["symlink_root"] = str(root)
    static = doc.setdefault("static_resources", {})
    if "admin" not in doc:
        doc["admin"] = {"address": {"socket_address": {"address": "0.0.0.0", "port_value": 9901}}}
    for sock in _socket_addresses([static.get("listeners"), doc["admin"]]):
        old = int(sock.get("port_value", 0))
        ports[old] = ports.get(old) or free_port()
        sock.update(address="127.0.0.1", port_value=ports[old])
    for cluster in _as_list(static.get("clusters")):
        names = False
        for sock in _socket_addresses(cluster.get("load_assignment")):
            old, host = int(sock.get("port_value", 0)), str(sock.get("address"))
            if not _is_ip(host):
                dns.set(host, "127.0.0.1")
                sock["port_value"], names = backend_port, True
            else:
                own = old in ports
                sock.update(address="127.0.0.1", port_value=ports[old] if own else backend_port)
        if names and "typed_dns_resolver_config" not in cluster:
            cluster["typed_dns_resolver_config"] = _resolver(dns)
        for lb in _lb_endpoints(cluster):
            hc = lb.get("endpoint", {}).get("health_check_config")
            if isinstance(hc, dict) and "port_value" in hc:
                hc["port_value"] = backend_port
    return ports


def _resolver(dns: DnsServer) -> dict[str, Any]:
    """The loopback DNS server as a cluster's only resolver (never /etc/resolv.conf)."""
    return {
        "name": "envoy.network.dns_resolver.cares",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.network.dns_resolver.cares.v3"
            ".CaresDnsResolverConfig",
            "resolvers": [
                {"socket_address": {"address": dns.host, "port_value": dns.port, "protocol": "UDP"}}
            ],
            "use_resolvers_as_fallback": False,
            "dns_resolver_options": {"no_default_search_domain": True},
        },
    }


def _lb_endpoints(cluster: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for group in _as_list(cluster.get("load_assignment", {}).get("endpoints")):
        yield from _as_list(group.get("lb_endpoints"))


def site(doc: Mapping[str, Any]) -> Site:
    """The first listener whose connection manager routes a path to a cluster."""
    static = doc["static_resources"]
    admin_port = int(doc["admin"]["address"]["socket_address"]["port_value"])
    for listener in _as_list(static.get("listeners")):
        for chain in _as_list(listener.get("filter_chains")):
            for f in _as_list(chain.get("filters")):
                found = _first_route(f.get("typed_config", {}))
                if found is None:
                    continue
                path, cluster = found
                tls = "transport_socket" in chain
                port = listener["address"]["socket_address"]["port_value"]
                url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
                cert = _inline_cert(chain.get("transport_socket"))
                return Site(admin_port, url, path, cluster, _upstream_tls(static, cluster), cert)
    raise ValueError("no HTTP route to a cluster")


def _inline_cert(socket: Any) -> str:
    common = (socket or {}).get("typed_config", {}).get("common_tls_context", {})
    for cert in _as_list(common.get("tls_certificates")):
        chain = cert.get("certificate_chain", {}).get("inline_string")
        if chain:
            return str(chain)
    return ""


def _first_route(hcm: Mapping[str, Any]) -> tuple[str, str] | None:
    for vh in _as_list(hcm.get("route_config", {}).get("virtual_hosts")):
        for route in _as_list(vh.get("routes")):
            cluster = route.get("route", {}).get("cluster")
            match = route.get("match", {})
            if cluster:
                return str(match.get("prefix") or match.get("path") or "/"), str(cluster)
    return None


def _upstream_tls(static: Mapping[str, Any], name: str) -> bool:
    for cluster in _as_list(static.get("clusters")):
        if cluster.get("name") == name:
            return "transport_socket" in cluster
    return False


class CorpusRun:
    """One corpus config running on loopback: its Envoy, the demo backend, a darc-tui config."""

    def __init__(self, entry: Entry, workdir: Path, binary: Path) -> None:
        self.entry = entry
        self.dns = DnsServer().start()
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.doc = load(entry)
        backend_port = free_port()
        rewrite(self.doc, backend_port, workdir, self.dns)
        self.site = site(self.doc)
        self.backend = Backend(port=backend_port, tls=self.site.upstream_tls)
        self.yaml_path = workdir / "envoy.yaml"
        self.yaml_path.write_text(yaml.safe_dump(self.doc, sort_keys=False), encoding="utf-8")
        self.envoy = EnvoyProcess(
            self.yaml_path,
            admin_url=self.admin_url,
            workdir=workdir,
            binary=binary,
            file_flush_interval_ms=50,
        )

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.site.admin_port}"

    def start(self) -> CorpusRun:
        self.backend.start()
        try:
            self.envoy.start_sync(timeout=20)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        try:
            self.envoy.stop_sync()
        finally:
            self.backend.stop()
            self.dns.stop()

    def host_flags(self) -> list[list[str]] | None:
        """The site cluster's hosts, each as its list of health flags that are set."""
        try:
            response = httpx.get(
                f"{self.admin_url}/clusters?format=json", timeout=2, trust_env=False
            )
        except httpx.HTTPError:
            return None
        for cluster in response.json().get("cluster_statuses", []):
            if cluster.get("name") == self.site.cluster:
                return [
                    sorted(k for k, v in h.get("health_status", {}).items() if v is True)
                    for h in cluster.get("host_statuses", [])
                ]
        return None

    def wait_hosts(self, *, healthy: bool, timeout: float = 20.0) -> None:
        """Until every host of the site cluster is (un)healthy; without an active health check
        Envoy never marks a host unhealthy, so `healthy=False` then only needs the hosts."""
        has_hc = any(
            c.get("name") == self.site.cluster and c.get("health_checks")
            for c in _as_list(self.doc["static_resources"].get("clusters"))
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            hosts = self.host_flags()
            if hosts and all((not flags) == healthy or not has_hc for flags in hosts):
                return
            time.sleep(0.1)
        raise AssertionError(f"{self.entry.name}: hosts not {healthy=} ({self.envoy.log_path})")

    def darc_config(self, name: str = "darc-tui.toml") -> Path:
        data = {
            "site": {"name": self.entry.name, "public_url": self.public_url, "origin": ""},
            "envoy": {
                "host": "local",
                "admin_url": self.admin_url,
                "listener_url": self.site.listener_url,
                "config_path": str(self.yaml_path),
                "binary": str(self.envoy.binary),
                "cluster": self.site.cluster,
                "access_log": str(self.envoy.console_path),
                "error_log": str(self.envoy.log_path),
                "unit": "",
                "reload": "hot-restart",
                **self._listener_host(),
            },
            "backend": {"url": self.backend.url, "health_path": self.site.public_path},
            "probes": {"interval": 0.5, "timeout": 1.0},
        }
        path = self.workdir / name
        path.write_text(to_toml(data), encoding="utf-8")
        return path

    def _listener_host(self) -> dict[str, str]:
        """The site's identity through the listener: its Host/SNI and, for a TLS listener with a
        self-signed certificate, that certificate as the CA (what an operator would configure)."""
        found = {"listener_host": self.entry.listener_host} if self.entry.listener_host else {}
        if self.site.listener_cert:
            ca = self.workdir / "listener-ca.pem"
            ca.write_text(self.site.listener_cert, encoding="utf-8")
            found["listener_ca"] = str(ca)
        return found

    @property
    def public_url(self) -> str:
        return f"{self.site.listener_url}{self.site.public_path}"
