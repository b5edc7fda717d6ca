"""envoy.yaml on the Envoy host: read and summarised, validated by Envoy, compared with the running
config — against the lab's real Envoy and its real file."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from darc_tui.config import load_config
from darc_tui.demo.envoy_yaml import Endpoint, render
from darc_tui.hosts.local import LocalHost
from darc_tui.model import Status, Vantage
from darc_tui.parse.envoy_summary import EnvoySummary
from darc_tui.probes import envoy_config
from darc_tui.probes.envoy_config import ConfigFileProbe, DriftProbe, ValidateProbe
from tests.lab.envoy import MakeLab
from tests.lab.lab import Lab, free_port

HOST = LocalHost("local")
BROKEN_YAML = "static_resources:\n  clusters:\n  - name: a\n   type: STATIC\n"


@pytest.fixture(scope="module")
def shared_lab(make_module_lab: MakeLab) -> Lab:
    return make_module_lab()


@pytest.fixture
def lab_file(shared_lab: Lab) -> Iterator[Lab]:
    """The lab's envoy.yaml, restored after the test edits it (Envoy itself is never reloaded)."""
    original = shared_lab.yaml_path.read_text()
    try:
        yield shared_lab
    finally:
        shared_lab.yaml_path.write_text(original)


async def test_config_file_is_summarised_with_the_configured_cluster(shared_lab: Lab):
    probe = ConfigFileProbe(HOST, str(shared_lab.yaml_path), "backend_cluster")
    evidence = await probe.run()
    assert evidence.status is Status.OK, evidence.detail
    assert evidence.vantage is Vantage.ENVOY_HOST
    assert evidence.command == f"cat -- {shared_lab.yaml_path}"
    assert isinstance(evidence.data, EnvoySummary)
    assert evidence.facts["endpoints"] == f"127.0.0.1:{shared_lab.backend.port}"
    assert (evidence.facts["hc_path"], evidence.facts["panic_threshold"]) == ("/api/health", 50.0)


async def test_unreadable_config_file_is_an_error_saying_why(tmp_path):
    missing = tmp_path / "nope.yaml"
    evidence = await ConfigFileProbe(HOST, str(missing), "backend_cluster").run()
    assert evidence.status is Status.ERROR
    assert evidence.detail.startswith(f"cannot read {missing}: exit 1: head: cannot open")


async def test_broken_yaml_fails_with_line_and_column_and_envoy_refuses_it(lab_file: Lab):
    lab_file.yaml_path.write_text(BROKEN_YAML)
    path = str(lab_file.yaml_path)
    parsed = await ConfigFileProbe(HOST, path, "backend_cluster").run()
    assert parsed.status is Status.FAIL
    assert parsed.detail.startswith(f"{path}: line 4, column ")
    assert parsed.facts["line"] == 4
    validated = await ValidateProbe(HOST, path, str(lab_file.binary)).run()
    assert validated.status is Status.FAIL
    assert validated.detail.startswith(f"{path} does not validate: yaml-cpp: error at line 4")
    assert validated.facts["valid"] is False


async def test_validate_passes_the_lab_config_with_the_running_envoys_binary(shared_lab: Lab):
    probe = ValidateProbe(HOST, str(shared_lab.yaml_path))  # no binary configured
    evidence = await probe.run()
    assert evidence.status is Status.OK, evidence.detail
    assert evidence.facts["binary"].endswith("envoy")
    assert evidence.command.startswith(f"{probe.binary} --mode validate -c {shared_lab.yaml_path}")


async def test_validate_runs_again_when_the_file_changes(lab_file: Lab):
    probe = ValidateProbe(HOST, str(lab_file.yaml_path), str(lab_file.binary))
    assert (await probe.run()).status is Status.OK
    assert (await probe.run()).status is Status.OK  # unchanged: the cached verdict
    unknown_cluster = render(dataclasses.replace(lab_file.spec, cluster_name="renamed_cluster"))
    lab_file.yaml_path.write_text(
        unknown_cluster.replace("cluster: renamed_cluster", "cluster: gone", 1)
    )
    evidence = await probe.run()
    assert evidence.status is Status.FAIL, evidence.detail
    assert "unknown cluster 'gone'" in evidence.detail


async def test_validate_without_any_envoy_binary_is_unknown(shared_lab: Lab):
    probe = ValidateProbe(HOST, str(shared_lab.yaml_path), "/nonexistent/envoy")
    evidence = await probe.run()
    assert evidence.status is Status.UNKNOWN
    assert evidence.detail == "cannot validate: /nonexistent/envoy not found on the Envoy host"


async def test_drift_is_ok_while_file_and_running_config_agree(shared_lab: Lab):
    probe = DriftProbe(HOST, str(shared_lab.yaml_path), shared_lab.admin_url)
    evidence = await probe.run()
    assert evidence.status is Status.OK, evidence.detail
    assert evidence.facts["changes"] == 0


async def test_edited_but_not_reloaded_file_is_drift_naming_the_change(lab_file: Lab):
    running_port, new_port = lab_file.backend.port, free_port()
    edited = dataclasses.replace(lab_file.spec, endpoints=(Endpoint("127.0.0.1", new_port),))
    lab_file.yaml_path.write_text(render(edited))
    evidence = await DriftProbe(HOST, str(lab_file.yaml_path), lab_file.admin_url).run()
    assert evidence.status is Status.FAIL
    change = f"cluster backend_cluster endpoint 127.0.0.1:{running_port} → 127.0.0.1:{new_port}"
    assert (
        evidence.detail
        == f"{lab_file.yaml_path} differs from the running config (running → disk): {change}"
    )
    assert evidence.facts["changes"] == 1
    assert [str(c) for c in evidence.data.changes] == [change]


async def test_drift_is_unknown_until_both_sides_are_known(lab_file: Lab):
    closed = f"http://127.0.0.1:{free_port()}"
    no_admin = await DriftProbe(HOST, str(lab_file.yaml_path), closed).run()
    assert no_admin.status is Status.UNKNOWN
    assert no_admin.detail == f"running config not known: {closed}/config_dump: connection refused"
    lab_file.yaml_path.write_text(BROKEN_YAML)
    broken = await DriftProbe(HOST, str(lab_file.yaml_path), lab_file.admin_url).run()
    assert broken.status is Status.UNKNOWN and broken.detail.startswith("cannot compare: ")


def test_build_makes_file_validate_and_drift_probes(shared_lab: Lab):
    config = load_config(shared_lab.write_config(shared_lab.workdir / "build.toml"))
    probes = envoy_config.build(config, {"local": HOST})
    assert [p.name for p in probes] == ["envoy.config_file", "envoy.validate", "envoy.drift"]
    assert all(p.target == str(shared_lab.yaml_path) for p in probes)
    assert probes[1].binary == str(shared_lab.binary)
