"""Envoy process discovery from `ps -eo pid,ppid,etimes,args` recorded on this machine."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from darc_tui.parse.ps import ProcessRow, find_envoys, flag_value, is_envoy, parse_ps

DATA = Path(__file__).resolve().parents[1] / "data" / "host"


def recorded(name: str) -> str:
    return (DATA / name).read_text()


def test_plain_envoy_is_found_with_config_epoch_and_base_id() -> None:
    table = parse_ps(recorded("ps_envoy_plain.txt"))
    assert table.error == "" and table.skipped == 0
    (envoy,) = find_envoys(table.rows)
    assert envoy.pid == 6829 and envoy.ppid == 1
    assert envoy.config_path == "/tmp/h4rec/envoy.yaml"
    assert (envoy.restart_epoch, envoy.base_id, envoy.uptime_s) == (0, 4711, 11)
    assert envoy.wrapper is None


def test_envoy_under_hot_restarter_names_its_wrapper() -> None:
    (envoy,) = find_envoys(parse_ps(recorded("ps_envoy_hot_restart.txt")).rows)
    assert envoy.pid == 12332
    assert envoy.wrapper_pid == 12286
    assert envoy.config_path == "/tmp/h4rec/envoy.yaml"  # from --config-path
    assert envoy.base_id == 4712


def test_darc_wrapper_is_recognised_and_its_args_are_not_an_envoy() -> None:
    (envoy,) = find_envoys(parse_ps(recorded("ps_envoy_darc_wrapper.txt")).rows)
    assert (envoy.pid, envoy.wrapper_pid, envoy.restart_epoch) == (23086, 23027, 0)
    assert envoy.base_id is None  # --use-dynamic-base-id


def test_during_a_darc_wrapper_reload_both_epochs_show_newest_first() -> None:
    found = find_envoys(parse_ps(recorded("ps_envoy_darc_wrapper_epoch1.txt")).rows)
    assert [(e.pid, e.restart_epoch) for e in found] == [(23661, 1), (23086, 0)]
    assert found[0].base_id == 172252795 and found[0].wrapper_pid == 23027


def test_tail_of_an_envoy_log_and_the_wrapper_are_not_envoy() -> None:
    rows = parse_ps(recorded("ps_envoy_hot_restart.txt")).rows
    tail = next(r for r in rows if r.argv[0] == "tail")
    wrapper = next(r for r in rows if r.pid == 12286)
    assert not is_envoy(tail.argv) and not is_envoy(wrapper.argv)


def test_kernel_threads_parse_as_rows() -> None:
    rows = parse_ps(recorded("ps_envoy_plain.txt")).rows
    assert rows[1].argv == ("[kthreadd]",)


def test_during_a_hot_restart_the_newest_epoch_comes_first() -> None:
    old = ProcessRow(10, 5, 100, ("/usr/bin/envoy", "-c", "/e.yaml", "--restart-epoch", "3"))
    new = ProcessRow(11, 5, 2, ("/usr/bin/envoy", "-c", "/e.yaml", "--restart-epoch", "4"))
    wrapper = ProcessRow(5, 1, 500, ("python3", "/opt/hot-restarter.py", "/opt/start.sh"))
    found = find_envoys([old, wrapper, new])
    assert [e.pid for e in found] == [11, 10]
    assert all(e.wrapper_pid == 5 for e in found)


def test_configured_binary_narrows_the_search() -> None:
    row = ProcessRow(7, 1, 1, ("/opt/edge/bin/edge-proxy", "-c", "/etc/edge.yaml"))
    assert not find_envoys([row])
    (found,) = find_envoys([row], binary="/opt/edge/bin/edge-proxy")
    assert found.config_path == "/etc/edge.yaml"


def test_flag_forms() -> None:
    argv = ("envoy", "--config-path=/a.yaml", "--restart-epoch", "2")
    assert flag_value(argv, "-c", "--config-path") == "/a.yaml"
    assert flag_value(("envoy", "-c"), "-c") is None  # a flag without a value


def test_garbage_gives_an_error_line() -> None:
    table = parse_ps("error: unknown user-defined format specifier\n")
    assert table.rows == () and table.error.startswith("not ps output")


@settings(max_examples=300)
@given(st.text(max_size=400))
def test_garbage_never_raises(text: str) -> None:
    find_envoys(parse_ps(text).rows)


@settings(max_examples=200)
@given(st.text(alphabet="0123456789 envoy-c/--restart-epoch-base-id\n", max_size=300))
def test_near_miss_lines_never_raise(text: str) -> None:
    find_envoys(parse_ps(text).rows)


def test_ps_argv_asks_for_unlimited_width() -> None:
    # procps truncates at $COLUMNS even into a pipe; a cut argv[0] hides the Envoy binary
    import os
    import subprocess

    from darc_tui.parse.ps import PS_ARGV

    out = subprocess.run(
        PS_ARGV, capture_output=True, text=True, env={**os.environ, "COLUMNS": "40"}, check=True
    ).stdout
    assert any(len(line) > 40 for line in out.splitlines())


def test_busybox_ps_without_start_times_still_finds_envoy_and_its_wrapper() -> None:
    """Minimal hosts: busybox `ps -o pid,ppid,args` (no etimes, no -e) recorded on this machine."""
    table = parse_ps(recorded("busybox_ps_o_pid_ppid_args.txt"), elapsed=False)
    assert table.error == "" and table.skipped == 0 and len(table.rows) == 3
    (envoy,) = find_envoys(table.rows)
    assert (envoy.pid, envoy.ppid, envoy.uptime_s, envoy.restart_epoch) == (14796, 14728, None, 0)
    assert envoy.config_path == "/tmp/darc-demo-14643-_mhy9t0_/envoy.yaml"
    assert envoy.wrapper is not None and envoy.wrapper.pid == 14728
    assert table.rows[-1].argv == ("[kthreadd]",)


def test_an_envoy_validating_a_config_is_not_a_running_envoy() -> None:
    """The validate probe runs `envoy --mode validate -c <the same file>` while ps lists
    processes: seen as the Envoy, a stopped Envoy read as "listener missing"."""
    validate = ("/usr/bin/envoy", "--mode", "validate", "-c", "/etc/envoy/envoy.yaml")
    assert not is_envoy(validate) and not is_envoy(("envoy", "--mode=validate", "-c", "x.yaml"))
    assert is_envoy(("/usr/bin/envoy", "--mode", "serve", "-c", "/etc/envoy/envoy.yaml"))
