"""config.update_rejected on a real Envoy whose clusters come from xDS (CDS from a watched file,
as a site without a control plane runs it): a rejected update is named, an accepted one is not."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from darc_tui.config import Config, parse_config
from darc_tui.demo.backend import Backend
from darc_tui.demo.envoy_process import EnvoyProcess
from darc_tui.demo.envoy_yaml import Endpoint, EnvoySpec, bootstrap
from darc_tui.engine import build_engine
from darc_tui.model import Snapshot, Verdict
from tests.diagnosis.scenario import explain
from tests.lab.lab import free_port

pytestmark = pytest.mark.integration


class XdsSite:
    def __init__(self, work: Path, backend: Backend, binary: Path) -> None:
        self.work, self.backend = work, backend
        self.spec = EnvoySpec(
            admin_port=free_port(),
            listener_port=free_port(),
            endpoints=(Endpoint("127.0.0.1", backend.port),),
            access_log_path=str(work / "access.log"),
            cors_origins=(),
            hc_interval=0.5,
        )
        doc: dict[str, Any] = bootstrap(self.spec)
        self.cluster = doc["static_resources"].pop("clusters")[0]
        self.cluster["@type"] = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
        hcm = doc["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
        hcm["typed_config"]["route_config"]["validate_clusters"] = False  # CDS brings it later
        doc["node"] = {"id": "node1", "cluster": "site"}
        doc["dynamic_resources"] = {
            "cds_config": {
                "path_config_source": {"path": str(work / "cds.yaml")},
                "resource_api_version": "V3",
            }
        }
        self.write_cds(self.cluster)
        self.yaml_path = work / "envoy.yaml"
        self.yaml_path.write_text(yaml.safe_dump(doc))
        self.envoy = EnvoyProcess(
            self.yaml_path,
            admin_url=self.spec.admin_url,
            workdir=work,
            binary=binary,
            file_flush_interval_ms=50,
        )

    def write_cds(self, cluster: dict[str, Any]) -> None:
        """Envoy watches the file: a new version arrives by rename, like a config agent's."""
        tmp = self.work / "cds.yaml.tmp"
        tmp.write_text(yaml.safe_dump({"resources": [cluster]}))
        os.rename(tmp, self.work / "cds.yaml")

    def config(self) -> Config:
        return parse_config(
            f"""
[site]
name = "xds"
[envoy]
host = "local"
admin_url = "{self.spec.admin_url}"
listener_url = "{self.spec.listener_url}"
config_path = "{self.yaml_path}"
cluster = "backend_cluster"
access_log = "{self.work / "access.log"}"
error_log = ""
unit = ""
[backend]
url = "{self.backend.url}"
health_path = "/api/health"
[probes]
interval = 0.5
timeout = 1.0
"""
        )


@pytest.fixture(scope="module")
def xds(tmp_path_factory: pytest.TempPathFactory, envoy_binary: Path) -> Iterator[XdsSite]:
    backend = Backend().start()
    site = XdsSite(tmp_path_factory.mktemp("xds"), backend, envoy_binary)
    site.envoy.start_sync()
    try:
        yield site
    finally:
        site.envoy.stop_sync()
        backend.stop()


async def rounds(config: Config, n: int = 4, between: Any = None) -> Snapshot:
    engine = build_engine(config)
    try:
        for i in range(n):
            snap = await engine.run_round()
            if between is not None and i == 0:
                between()
            await asyncio.sleep(config.probes.interval)
    finally:
        await engine.stop()
    return snap


async def test_a_site_on_xds_is_healthy_and_an_accepted_update_names_nothing(xds: XdsSite) -> None:
    snap = await rounds(xds.config())
    assert snap.findings == (), explain(snap)
    changed = {**xds.cluster, "connect_timeout": "2s"}  # valid: Envoy takes it
    snap = await rounds(xds.config(), between=lambda: xds.write_cds(changed))
    assert snap.findings == (), explain(snap)


async def test_a_rejected_update_is_named_and_the_site_keeps_running(xds: XdsSite) -> None:
    broken = {**xds.cluster, "connect_timeout": "-1s"}  # Envoy refuses a negative duration
    snap = await rounds(xds.config(), n=5, between=lambda: xds.write_cds(broken))
    assert [f.cause for f in snap.findings] == ["config.update_rejected"], explain(snap)
    assert "cluster_manager.cds.update_rejected +1" in snap.findings[0].summary
    assert snap.verdict is Verdict.DEGRADED
