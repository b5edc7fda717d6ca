"""`darc-tui check --json` with the Envoy host reached over SSH as production hosts have it, against
the same real lab as a local run: forwarding allowed or forbidden, MaxSessions 2, non-root with and
without sudo, a bastion, no curl, busybox only. One real OpenSSH sshd per variant (module-scoped);
each scenario (healthy, backend down, Envoy down, wrong port) runs the local check once and every
variant's check against it, two at a time.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from darc_tui.demo.envoy_yaml import Endpoint
from darc_tui.demo.lab import free_port
from tests.lab.envoy import _factory
from tests.lab.lab import Lab
from tests.lab.sshd import SUDO_USER, TEST_USER, MakeSshd, Sshd, busybox_only, without_tools

pytestmark = pytest.mark.integration

# Not about SSH: host.load reads this (busy) machine's load; an idle access log may be "unknown".
NOT_COMPARED = {"host.load", "envoy.access_log"}


@dataclass(frozen=True)
class Variant:
    """One sshd setup and how darc-tui is configured for it."""

    forwarding: bool = True
    sshd_max_sessions: int = 10
    max_sessions: int | None = None  # hosts.edge.max_sessions; None = darc-tui's default (4)
    user: str = "root"
    sudo: bool = False
    path: Callable[[Path], str] | None = None
    bastion: bool = False
    # probes allowed to differ from local: their status then, and words their detail must hold
    limited: dict[str, tuple[str, str]] = field(default_factory=dict)
    limits: tuple[str, ...] = ()  # words the host's `limits` must mention


VARIANTS = {
    "forwarding": Variant(),
    "no-forwarding": Variant(forwarding=False),
    "max-sessions-2": Variant(sshd_max_sessions=2, max_sessions=2, forwarding=False),
    # without sudo, what needs root says so (unknown), never a finding
    "non-root": Variant(
        user=TEST_USER,
        limited={
            "firewall.rules": ("unknown", "needs root"),
            "envoy.validate": ("unknown", "needs root"),
        },
    ),
    "non-root-sudo": Variant(user=SUDO_USER, sudo=True, forwarding=False),
    # sudo = true but sudoers says no: `sudo -n` is refused, which is evidence, not a finding
    "sudo-refused": Variant(
        user=TEST_USER,
        sudo=True,
        limited={
            "firewall.rules": ("unknown", "needs root"),
            "envoy.validate": ("unknown", "sudo -n refused"),
        },
    ),
    "bastion": Variant(bastion=True, forwarding=False),
    "no-curl": Variant(forwarding=False, path=lambda d: without_tools(d, "curl")),
    "busybox": Variant(path=busybox_only, limits=("no python3", "no ss")),
}
# no forwarding, no python3, no curl, no bash: HTTP and TCP from that host are impossible
BLIND = Variant(forwarding=False, path=busybox_only)


@dataclass
class Site:
    lab: Lab
    sshds: dict[str, tuple[Sshd, Sshd | None]]  # variant → (target, bastion)


@pytest.fixture(scope="module")
def site(envoy_binary: Path, make_module_sshd: MakeSshd) -> Iterator[Site]:
    # the lab outside pytest's temp root: that stays 0700 (every pytest start resets it), and a
    # non-root login must read envoy.yaml as it reads /etc/envoy/envoy.yaml on a real host
    root = Path(tempfile.mkdtemp(prefix="darc-variants-"))
    root.chmod(0o755)
    make_lab, close_labs = _factory(root, envoy_binary)
    try:
        yield _site(make_lab(), make_module_sshd)
    finally:
        close_labs()
        shutil.rmtree(root, ignore_errors=True)


def _site(lab: Lab, make_module_sshd: MakeSshd) -> Site:
    sshds: dict[str, tuple[Sshd, Sshd | None]] = {}
    for name, v in VARIANTS.items():
        target = make_module_sshd(
            allow_tcp_forwarding=v.forwarding, max_sessions=v.sshd_max_sessions, path=v.path
        )
        sshds[name] = (target, make_module_sshd() if v.bastion else None)
    sshds["blind"] = (make_module_sshd(allow_tcp_forwarding=False, path=busybox_only), None)
    return Site(lab, sshds)


def check(config: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "darc_tui", "check", "-c", str(config), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.strip(), proc.stderr
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def host_table(sshd: Sshd, user: str, **extra: Any) -> dict[str, Any]:
    hc = sshd.host_config(user=user)
    table = {
        "address": hc.address,
        "port": hc.port,
        "user": hc.user,
        "identity_file": hc.identity_file,
        "known_hosts": hc.known_hosts,
    }
    return {**table, **extra}


def variant_config(site: Site, name: str) -> Path:
    v = VARIANTS.get(name, BLIND)
    target, bastion = site.sshds[name]
    edge: dict[str, Any] = {"sudo": v.sudo}
    if v.max_sessions is not None:
        edge["max_sessions"] = v.max_sessions
    hosts = {}
    if bastion is not None:
        hosts["bastion"] = host_table(bastion, "root")
        edge["jump"] = "bastion"
    hosts["edge"] = host_table(target, v.user, **edge)
    path = site.lab.workdir / f"ssh-{name}.toml"
    return site.lab.write_config(path, envoy={"host": "edge"}, hosts=hosts)


def statuses(doc: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Probe → evidence, the target without its host prefix ("edge: envoy" vs "local: envoy")."""
    return {
        (p["name"], p["vantage"], p["target"].removeprefix("local: ").removeprefix("edge: ")): p
        for p in doc["probes"]
        if p["name"] not in NOT_COMPARED
    }


def status(p: dict[str, Any]) -> str:
    # a loaded 2-core machine makes any request "slow" now and then, over SSH or not
    if p["status"] == "warn" and "slow" in p["detail"]:
        return "ok"
    # Envoys of other tests (another xdist worker) run on this same machine: with the lab's Envoy
    # stopped, a scan that meets one of them says "not the configured …" instead of "no Envoy"
    if p["name"] == "envoy.process" and "not the configured" in p["detail"]:
        return "fail"
    return str(p["status"])


def compare(name: str, local: dict[str, Any], remote: dict[str, Any]) -> list[str]:
    """What differs between the local and the SSH run beyond what the variant explains."""
    v = VARIANTS[name]
    problems = []
    ours, theirs = statuses(local), statuses(remote)
    if set(ours) != set(theirs):
        problems.append(f"{name}: probes differ: {set(ours) ^ set(theirs)}")
    for key in set(ours) & set(theirs):
        a, b = ours[key], theirs[key]
        if status(a) == status(b):
            continue
        if "no data yet" in a["detail"] + b["detail"]:
            continue  # one run took a single stats sample: "not measured yet", not a verdict
        allowed, words = v.limited.get(key[0], ("", ""))
        if allowed and b["status"] == allowed and words in b["detail"]:
            continue
        problems.append(
            f"{name}: {key}: local {a['status']} ({a['detail']}), ssh {b['status']} ({b['detail']})"
        )
    local_causes = [c["id"] for c in local["causes"]]
    remote_causes = [c["id"] for c in remote["causes"]]
    if local_causes[:1] != remote_causes[:1]:
        problems.append(f"{name}: top cause local {local_causes} vs ssh {remote_causes}")
    edge = next((h for h in remote.get("hosts", []) if h["name"] == "edge"), None)
    if edge is None or not edge["connected"]:
        problems.append(f"{name}: edge not connected: {edge}")
    else:
        text = " ".join(edge["limits"])
        problems += [f"{name}: limits lack {w!r}: {text}" for w in v.limits if w not in text]
    return problems


def run_everywhere(site: Site) -> tuple[dict[str, Any], list[str]]:
    local = check(site.lab.write_config(site.lab.workdir / "local.toml"))
    with ThreadPoolExecutor(max_workers=2) as pool:  # 2 cores, shared
        docs = dict(
            zip(VARIANTS, pool.map(lambda n: check(variant_config(site, n)), VARIANTS), strict=True)
        )
    problems = [p for name, doc in docs.items() for p in compare(name, local, doc)]
    return local, problems


def test_healthy_site_reads_the_same_over_every_ssh_variant(site: Site) -> None:
    local, problems = run_everywhere(site)
    assert local["verdict"] == "ok", local["causes"]
    assert not problems, "\n".join(problems)


def test_backend_down_is_the_top_cause_over_every_variant(site: Site) -> None:
    site.lab.backend.down()
    try:
        site.lab.wait_unhealthy()
        local, problems = run_everywhere(site)
    finally:
        site.lab.backend.up()
        site.lab.wait_healthy()
    assert local["causes"][0]["id"] == "backend.down"
    assert not problems, "\n".join(problems)


def test_envoy_down_is_the_top_cause_over_every_variant(site: Site) -> None:
    site.lab.envoy.stop_sync()
    try:
        local, problems = run_everywhere(site)
    finally:
        site.lab.start(new_ports=False)
    assert local["causes"][0]["id"] == "envoy.down"
    assert not problems, "\n".join(problems)


def test_wrong_port_is_the_top_cause_over_every_variant(site: Site) -> None:
    original = site.lab.spec.endpoints
    site.lab.reconfigure(endpoints=(Endpoint("127.0.0.1", free_port()),))
    try:
        site.lab.wait_unhealthy()
        local, problems = run_everywhere(site)
    finally:
        site.lab.reconfigure(healthy=True, endpoints=original)
    assert local["causes"][0]["id"] == "config.endpoint_mismatch"
    assert not problems, "\n".join(problems)


def test_a_host_that_can_make_no_connection_says_so_and_finds_nothing(site: Site) -> None:
    """No forwarding, no python3, no curl, no bash: every check that needs a connection from the
    Envoy host is an error naming why, the host's limits say it, and no cause is made up
    (the issue's false envoy.admin_unreachable on a healthy site)."""
    doc = check(variant_config(site, "blind"))
    assert doc["causes"] == [], doc["causes"]
    edge = next(h for h in doc["hosts"] if h["name"] == "edge")
    assert any("HTTP from this host impossible" in limit for limit in edge["limits"]), edge
    from_edge = [p for p in doc["probes"] if p["name"] in ("envoy.clusters", "backend.tcp")]
    assert from_edge and all(p["status"] == "error" for p in from_edge), from_edge
    assert all("cannot" in p["detail"] and "no TCP forwarding" in p["detail"] for p in from_edge)
