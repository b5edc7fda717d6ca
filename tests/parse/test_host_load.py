"""Host load from /proc/loadavg, /proc/meminfo and nproc, recorded on this machine."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from darc_tui.parse.host_load import parse_host_load, parse_meminfo, parse_nproc

DATA = Path(__file__).resolve().parents[1] / "data" / "host"


def recorded(name: str) -> str:
    return (DATA / name).read_text()


def test_cat_of_loadavg_and_meminfo_with_nproc() -> None:
    load = parse_host_load(recorded("cat_loadavg_meminfo.txt"), recorded("nproc.txt"))
    assert (load.load1, load.load5, load.load15) == (0.41, 0.31, 0.13)
    assert (load.running, load.tasks, load.cpus) == (2, 149, 2)
    assert load.mem_total_kb == 24684084 and load.mem_available_kb == 24152400
    assert load.load_per_cpu == 0.205
    assert load.mem_used_pct is not None and 2.0 < load.mem_used_pct < 2.2
    assert load.error == ""


def test_loadavg_alone_leaves_memory_unknown() -> None:
    load = parse_host_load(recorded("proc_loadavg.txt"))
    assert load.load1 == 0.41 and load.mem_total_kb is None and load.cpus is None
    assert load.load_per_cpu is None and load.mem_used_pct is None


def test_meminfo_keys() -> None:
    mem = parse_meminfo(recorded("proc_meminfo.txt"))
    assert mem["MemTotal"] == 24684084 and "HugePages_Total" in mem


def test_missing_loadavg_is_an_error() -> None:
    load = parse_host_load("cat: /proc/loadavg: No such file or directory\n", "2\n")
    assert load.load1 is None and load.cpus == 2
    assert load.error.startswith("no load averages in: cat:")
    assert parse_host_load("").error == "empty output"


def test_nproc_garbage_is_none() -> None:
    assert parse_nproc("nproc: command not found") is None
    assert parse_nproc("0") is None
    assert parse_nproc("16\n") == 16


@settings(max_examples=300)
@given(st.text(max_size=300), st.text(max_size=20))
def test_garbage_never_raises(text: str, nproc: str) -> None:
    load = parse_host_load(text, nproc)
    assert load.load_per_cpu is None or load.load_per_cpu >= 0


@settings(max_examples=200)
@given(st.text(alphabet="0123456789. /\nMemTotal:kBnaif-e", max_size=200))
def test_near_miss_never_raises(text: str) -> None:
    parse_host_load(text, text)
