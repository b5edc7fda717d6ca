"""Deploy markers from the evidence stream: restarts, epochs, config and version changes."""

from __future__ import annotations

from pathlib import Path

from darc_tui.config import BackendConfig, Config, EnvoyConfig
from darc_tui.deploy.detect import DeployDetector, VersionSource, backend_port, backend_version
from darc_tui.hosts.http import HttpResult
from darc_tui.ids import ProbeId
from darc_tui.model import DeployKind, Evidence, Status, Vantage
from darc_tui.parse.ss import parse_ss
from darc_tui.probes.backend_health import HealthCheck
from darc_tui.probes.process import PortsObservation

DATA = Path(__file__).resolve().parents[1] / "data"


def detector(version: VersionSource = VersionSource()) -> DeployDetector:
    return DeployDetector("edge", "app", version)


def process(pid: int, at: float, epoch: int | None = 0, uptime: float = 100.0) -> Evidence:
    facts = {"running": True, "pid": pid, "restart_epoch": epoch, "uptime_s": uptime}
    return Evidence("envoy.process", "edge: envoy", Vantage.ENVOY_HOST, Status.OK, "envoy pid",
                    observed_at=at, facts=facts)  # fmt: skip


def server_info(epoch: int, uptime: float, at: float) -> Evidence:
    facts = {"restart_epoch": epoch, "uptime_s": uptime}
    return Evidence("envoy.server_info", "http://127.0.0.1:9901", Vantage.ENVOY_HOST, Status.OK,
                    "Envoy LIVE", observed_at=at, facts=facts)  # fmt: skip


def test_the_first_observation_is_the_baseline_not_a_deploy() -> None:
    d = detector()
    assert d.observe(process(10, 1000.0)) == []
    assert d.observe(process(10, 1002.0)) == []


def test_a_new_pid_is_a_restart_dated_at_the_new_process_start() -> None:
    d = detector()
    d.observe(process(10, 1000.0))
    (marker,) = d.observe(process(11, 1010.0, uptime=3.0))
    assert (marker.kind, marker.host, marker.at) == (DeployKind.ENVOY_RESTARTED, "edge", 1007.0)
    assert marker.detail == "new Envoy process: pid 10 → 11"


def test_another_envoy_on_the_host_is_not_a_deploy() -> None:
    d = detector()
    d.observe(process(10, 1000.0))
    other = process(99, 1002.0, uptime=5000.0)
    other.facts["config_matches"] = False
    assert d.observe(other) == []
    # an Envoy that ran all along (it started long before we last saw pid 10) is not a deploy
    assert d.observe(process(98, 1004.0, uptime=4000.0)) == []


def test_a_new_epoch_is_a_hot_restart_and_server_info_does_not_count_it_twice() -> None:
    d = detector()
    d.observe(process(10, 1000.0, epoch=0))
    d.observe(server_info(0, 500.0, 1000.0))
    (marker,) = d.observe(process(11, 1010.0, epoch=1, uptime=2.0))
    assert marker.kind is DeployKind.ENVOY_HOT_RESTART and "epoch 0 → 1" in marker.detail
    assert d.observe(server_info(1, 3.0, 1011.0)) == []  # the same restart, seen by /server_info


def test_an_uptime_reset_without_a_pid_is_a_restart() -> None:
    d = detector()
    d.observe(server_info(0, 500.0, 1000.0))
    assert d.observe(server_info(0, 505.0, 1005.0)) == []
    (marker,) = d.observe(server_info(0, 2.0, 1010.0))
    assert marker.kind is DeployKind.ENVOY_RESTARTED and marker.at == 1008.0


def test_envoy_down_in_between_keeps_the_old_identity() -> None:
    d = detector()
    d.observe(process(10, 1000.0))
    down = Evidence("envoy.process", "edge: envoy", Vantage.ENVOY_HOST, Status.FAIL, "no Envoy",
                    observed_at=1002.0, facts={"running": False})  # fmt: skip
    assert d.observe(down) == []
    (marker,) = d.observe(process(12, 1005.0, uptime=1.0))
    assert "pid 10 → 12" in marker.detail


def test_a_changed_running_config_names_what_changed() -> None:
    d = detector()

    def dump(endpoints: str, at: float) -> Evidence:
        facts = {"cluster": "backend_cluster", "endpoints": endpoints, "hc_path": "/health"}
        return Evidence("envoy.config_dump", "http://127.0.0.1:9901", Vantage.ENVOY_HOST,
                        Status.OK, "running", observed_at=at, facts=facts)  # fmt: skip

    assert d.observe(dump("10.0.0.1:80", 1000.0)) == []
    assert d.observe(dump("10.0.0.1:80", 1005.0)) == []
    (marker,) = d.observe(dump("10.0.0.1:81", 1010.0))
    assert marker.kind is DeployKind.CONFIG_CHANGED
    assert marker.detail == "running config changed: endpoints 10.0.0.1:80 → 10.0.0.1:81"


def _health(headers: tuple[tuple[str, str], ...], body: bytes, at: float) -> Evidence:
    url = "http://127.0.0.1:8000/health"
    result = HttpResult(url, "GET", 200, headers, body, observed_at=at)
    return Evidence("backend.health", f"{url} (jump-box)", Vantage.JUMP, Status.OK, "200",
                    observed_at=at, facts={"status": 200},
                    data=HealthCheck(url, Vantage.JUMP, result, None))  # fmt: skip


def test_a_backend_version_header_change_is_a_backend_deploy() -> None:
    d = detector(VersionSource(header="X-Version"))
    assert d.observe(_health((("x-version", "1.4.0"),), b"ok", 1000.0)) == []
    (marker,) = d.observe(_health((("x-version", "1.5.0"),), b"ok", 1001.0))
    assert (marker.kind, marker.host) == (DeployKind.BACKEND_VERSION, "app")
    assert marker.detail == "backend version 1.4.0 → 1.5.0"


def test_a_version_field_in_the_json_health_body() -> None:
    source = VersionSource(field="build.version")
    check = _health((), b'{"status": "ok", "build": {"version": "7f3a"}}', 1000.0)
    assert backend_version(check.data, source) == "7f3a"
    not_json = _health((), b"<html>", 1000.0)
    assert backend_version(not_json.data, source) is None


def test_without_a_configured_version_source_the_backend_makes_no_marker() -> None:
    d = detector()
    d.observe(_health((("x-version", "1"),), b"", 1000.0))
    assert d.observe(_health((("x-version", "2"),), b"", 1001.0)) == []


def _ports(text: str, at: float) -> Evidence:
    listing = parse_ss(text)
    data = PortsObservation(listing.sockets, (), owners_visible=True)
    return Evidence(ProbeId.ENVOY_PORTS, "edge: 18080, 19901", Vantage.ENVOY_HOST, Status.OK,
                    "bound", observed_at=at, data=data)  # fmt: skip


def test_a_new_pid_on_the_backend_port_is_a_backend_restart() -> None:
    recorded = (DATA / "host" / "ss_tlnpH_envoy_root.txt").read_text()  # backend :18443 pid 6831
    d = DeployDetector("edge", "edge", VersionSource(), backend_port=18443)
    assert d.observe(_ports(recorded, 1000.0)) == []
    down = "\n".join(line for line in recorded.splitlines() if ":18443 " not in line)
    assert d.observe(_ports(down, 1002.0)) == []  # stopped: nothing to compare yet
    (marker,) = d.observe(_ports(recorded.replace("pid=6831", "pid=7001"), 1004.0))
    assert (marker.kind, marker.host, marker.began) == (
        DeployKind.BACKEND_RESTARTED,
        "edge",
        1000.0,
    )
    assert marker.detail == "backend on :18443: pid 6831 → 7001"


def test_the_backend_port_is_watched_only_where_envoy_runs() -> None:
    def cfg(backend_host: str, url: str) -> Config:
        return Config(
            envoy=EnvoyConfig(host="edge"), backend=BackendConfig(host=backend_host, url=url)
        )

    assert backend_port(cfg("edge", "http://10.1.2.3:8000")) == 8000
    assert backend_port(cfg("", "http://127.0.0.1:18443")) == 18443
    assert backend_port(cfg("app", "http://10.1.2.3:8000")) is None
