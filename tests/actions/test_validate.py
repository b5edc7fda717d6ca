"""`envoy --mode validate` on the host: the real validator's verdict and the line that matters."""

from __future__ import annotations

from pathlib import Path

from darc_tui.actions.validate import read_disk_config, validate_config
from darc_tui.demo.envoy_yaml import EnvoySpec, render
from darc_tui.hosts import LocalHost


async def test_the_real_validator_accepts_a_good_file_and_names_the_bad_field(
    tmp_path: Path, envoy_binary: Path
) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(render(EnvoySpec(access_log_path="")))
    bad.write_text(render(EnvoySpec(access_log_path="")).replace("port_value:", "port_valu:", 1))
    host = LocalHost()

    passed = await validate_config(host, str(envoy_binary), str(good))
    failed = await validate_config(host, str(envoy_binary), str(bad))
    disk = await read_disk_config(host, str(good), timeout=2)
    missing = await read_disk_config(host, str(tmp_path / "nope.yaml"), timeout=2)

    assert passed.ok and passed.summary == f"configuration '{good}' OK"
    assert not failed.ok and "no such field: 'port_valu'" in failed.summary
    assert failed.command.endswith(f"--mode validate -c {bad} -l warning")
    assert len(disk.sha256) == 64 and disk.content == good.read_bytes()
    assert "cannot read" in missing.error and missing.sha256 == ""


async def test_a_missing_validator_binary_is_a_failed_validation(tmp_path: Path) -> None:
    result = await validate_config(LocalHost(), str(tmp_path / "no-envoy"), "envoy.yaml")

    assert not result.ok and result.summary.startswith("could not run the validator")
