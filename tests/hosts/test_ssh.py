"""SshHost against a real OpenSSH sshd: commands, quoting, host keys, reconnects, jump hosts."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from asyncssh.encryption import get_default_encryption_algs

from darc_tui.config import HostConfig, parse_config
from darc_tui.hosts import LocalHost, SshHost, build_hosts
from darc_tui.hosts.ssh_connect import _cpu_has_aes, preferred_ciphers
from darc_tui.retry import Backoff
from tests.hosts._util import marker_seconds, pids_matching, wait_until
from tests.lab.sshd import TEST_USER, Sshd, without_tools

MakeHost = Callable[..., SshHost]


@pytest.mark.parametrize("user", ["root", TEST_USER])
async def test_run_returns_stdout_stderr_and_exit_status(
    sshd: Sshd, make_ssh_host: MakeHost, user: str
) -> None:
    host = make_ssh_host(sshd.host_config(user=user))
    result = await host.run(["sh", "-c", "id -un; echo err >&2; exit 3"], timeout=5)
    assert (result.stdout, result.stderr, result.exit_status) == (f"{user}\n".encode(), b"err\n", 3)
    assert host.state().connected and host.state().detail.startswith("connected")


async def test_input_reaches_the_remote_stdin(sshd: Sshd, make_ssh_host: MakeHost) -> None:
    host = make_ssh_host(sshd.host_config())
    result = await host.run(["wc", "-c"], timeout=5, input=b"12345")
    assert result.ok and result.text().strip() == "5"


async def test_non_utf8_output_keeps_the_connection(sshd: Sshd, make_ssh_host: MakeHost) -> None:
    host = make_ssh_host(sshd.host_config())
    raw = await host.run(["printf", "a\\377\\376b\\n"], timeout=5)
    assert raw.ok and raw.stdout == b"a\xff\xfeb\n"
    link = host.current_link()
    after = await host.run(["echo", "still here"], timeout=5)
    assert after.stdout == b"still here\n" and host.current_link() is link


@pytest.mark.parametrize(
    "payload",
    [
        "; touch {canary}",
        "$(touch {canary})",
        "`touch {canary}`",
        "' ; touch {canary}; '",
        '" ; touch {canary}; "',
        "a\ntouch {canary}\n",
        "| touch {canary} &",
    ],
)
async def test_argv_reaches_the_remote_side_literally(
    sshd: Sshd, make_ssh_host: MakeHost, payload: str, tmp_path: Path
) -> None:
    canary = tmp_path / "CANARY"
    text = payload.format(canary=canary)
    host = make_ssh_host(sshd.host_config())
    result = await host.run(["printf", "%s", text], timeout=5)
    assert result.ok and result.stdout == text.encode()
    assert not canary.exists()


@pytest.mark.parametrize("route", ["helper", "exec"])
async def test_remote_deadline_ends_the_command(
    make_sshd: Callable[..., Sshd], make_ssh_host: MakeHost, route: str
) -> None:
    path = (lambda d: without_tools(d, "python3")) if route == "exec" else None
    host = make_ssh_host(make_sshd(path=path).host_config(user=TEST_USER))
    secs = marker_seconds()
    result = await host.run(["sleep", secs], timeout=0.5)
    assert result.error == "timed out after 0.5s" and result.exit_status is None
    link = host.current_link()
    assert link is not None and (link.live_mux() is not None) == (route == "helper")
    # the remote process is gone and its session slot free again: the deadline ended it there
    await wait_until(lambda: not pids_matching(f"sleep {secs}"), what="remote sleep gone")
    await wait_until(lambda: link.held == (route == "helper"), what="slot released")
    assert (await host.run(["true"], timeout=5)).ok


async def test_unknown_host_key_names_the_fingerprint_and_the_line_to_add(
    sshd: Sshd, make_ssh_host: MakeHost, tmp_path: Path
) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    config = sshd.host_config()
    host = make_ssh_host(HostConfig(**{**_fields(config), "known_hosts": str(empty)}))
    result = await host.run(["true"], timeout=5)
    fingerprint = _fingerprint(sshd.host_key)
    line = f"[127.0.0.1]:{sshd.port} " + " ".join(
        sshd.host_key.with_suffix(".pub").read_text().split()[:2]
    )
    assert result.error.startswith(f"host down: unknown host key for [127.0.0.1]:{sshd.port}")
    assert fingerprint in result.error and line in result.error and str(empty) in result.error
    assert "\n" not in result.error
    assert result.error.startswith("host down: ") and not host.state().connected


async def test_changed_host_key_is_called_a_mismatch(
    make_sshd: Callable[..., Sshd], make_ssh_host: MakeHost
) -> None:
    first, second = make_sshd(), make_sshd()
    # second's known_hosts entry, but under first's port: the key will not match
    other_key = second.known_hosts.read_text().split(maxsplit=1)[1]
    first.known_hosts.write_text(f"[127.0.0.1]:{first.port} {other_key}")
    result = await make_ssh_host(first.host_config()).run(["true"], timeout=5)
    assert "HOST KEY MISMATCH" in result.error and _fingerprint(first.host_key) in result.error


async def test_closed_port_is_an_error_value_and_the_state_says_retry(
    sshd: Sshd, make_ssh_host: MakeHost
) -> None:
    sshd.stop()
    host = make_ssh_host(sshd.host_config(), backoff=_slow_backoff())
    result = await host.run(["true"], timeout=5)
    assert result.error == "host down: connection refused" and not result.ran
    state = host.state()
    assert not state.connected and state.detail.startswith("down: connection refused, retry in ")
    # while backing off, nothing is attempted: the answer comes at once and says when
    again = await host.run(["true"], timeout=5)
    assert "retry in" in again.error
    tcp = await host.open_tcp("127.0.0.1", sshd.port, timeout=2)
    assert not tcp.ok and tcp.error.startswith("host down: ")


async def test_reconnects_after_the_connection_process_is_killed(
    sshd: Sshd, make_ssh_host: MakeHost
) -> None:
    host = make_ssh_host(sshd.host_config(user=TEST_USER))
    assert (await host.run(["true"], timeout=5)).ok
    first = host.current_link()
    assert sshd.drop_connections() > 0
    await wait_until(lambda: host.current_link() is None, what="loss noticed")
    assert host.state().detail.startswith("down: connection lost")
    result = await host.run(["echo", "back"], timeout=5)
    assert result.stdout == b"back\n" and host.current_link() not in (None, first)


async def test_concurrent_first_use_opens_one_connection(
    sshd: Sshd, make_ssh_host: MakeHost
) -> None:
    host = make_ssh_host(sshd.host_config())
    results = await asyncio.gather(*(host.run(["echo", str(i)], timeout=5) for i in range(12)))
    assert [r.stdout for r in results] == [f"{i}\n".encode() for i in range(12)]
    assert len(sshd.connection_pids()) == 1  # root: one sshd process per connection


async def test_proxy_jump_through_a_second_sshd(
    make_sshd: Callable[..., Sshd], make_ssh_host: MakeHost
) -> None:
    bastion, target = make_sshd(), make_sshd()
    jump = make_ssh_host(bastion.host_config("bastion"))
    host = make_ssh_host(target.host_config("edge", jump="bastion"), jump=jump)
    result = await host.run(["sh", "-c", "echo $SSH_CONNECTION"], timeout=5)
    assert result.ok and result.text().split()[2:] == ["127.0.0.1", str(target.port)]
    assert jump.state().connected and len(bastion.connection_pids()) == 1


async def test_proxy_jump_from_the_users_ssh_config(
    make_sshd: Callable[..., Sshd], make_ssh_host: MakeHost, tmp_path: Path
) -> None:
    bastion, target = make_sshd(), make_sshd()
    known = tmp_path / "known_hosts"
    known.write_text(bastion.known_hosts.read_text() + target.known_hosts.read_text())
    ssh_config = tmp_path / "ssh_config"
    ssh_config.write_text(
        f"Host bastion-alias\n  Hostname 127.0.0.1\n  Port {bastion.port}\n  User root\n"
        f"  IdentityFile {bastion.client_key}\n"
        f"Host edge-alias\n  Hostname 127.0.0.1\n  Port {target.port}\n  User root\n"
        f"  IdentityFile {target.client_key}\n  ProxyJump bastion-alias\n"
    )
    config = HostConfig(name="edge", address="edge-alias", known_hosts=str(known))
    host = make_ssh_host(config, ssh_config=[str(ssh_config)])
    result = await host.run(["sh", "-c", "echo $SSH_CONNECTION"], timeout=5)
    assert result.ok, result.error
    assert result.text().split()[2:] == ["127.0.0.1", str(target.port)]
    assert len(bastion.connection_pids()) == 1


async def test_user_known_hosts_file_none_is_refused(
    sshd: Sshd, make_ssh_host: MakeHost, tmp_path: Path
) -> None:
    ssh_config = tmp_path / "ssh_config"
    ssh_config.write_text(
        f"Host edge-alias\n  Hostname 127.0.0.1\n  Port {sshd.port}\n  User root\n"
        f"  IdentityFile {sshd.client_key}\n  UserKnownHostsFile none\n"
    )
    host = make_ssh_host(
        HostConfig(name="edge", address="edge-alias"), ssh_config=[str(ssh_config)]
    )
    result = await host.run(["true"], timeout=5)
    assert "UserKnownHostsFile none" in result.error and not result.ran


async def test_build_hosts_wires_jump_hosts() -> None:
    config = parse_config(
        '[hosts.bastion]\naddress = "b"\n[hosts.edge]\naddress = "e"\njump = "bastion"\n'
        '[envoy]\nhost = "edge"\n[backend]\nurl = "http://127.0.0.1:1"\n'
    )
    hosts = build_hosts(config)
    assert isinstance(hosts["local"], LocalHost) and set(hosts) == {"local", "bastion", "edge"}
    edge = hosts["edge"]
    assert isinstance(edge, SshHost) and edge.jump is hosts["bastion"]
    assert edge.state().detail == "not connected yet"


def _fields(config: HostConfig) -> dict[str, object]:
    return {name: getattr(config, name) for name in HostConfig.__dataclass_fields__}


def _fingerprint(key: Path) -> str:
    import subprocess

    out = subprocess.run(
        ["ssh-keygen", "-lf", str(key)], capture_output=True, text=True, check=True
    )
    return out.stdout.split()[1]


def _slow_backoff() -> Backoff:
    return Backoff(base=30.0, cap=30.0)


async def test_keepalive_notices_a_silent_peer(sshd: Sshd, make_ssh_host: MakeHost) -> None:
    host = make_ssh_host(sshd.host_config(), keepalive_interval=0.3, keepalive_count_max=1)
    assert (await host.run(["true"], timeout=5)).ok
    try:
        assert sshd.signal_connections(signal.SIGSTOP) > 0
        await wait_until(lambda: not host.state().connected, what="keepalive failure noticed")
        assert "not responding to keepalive" in host.state().detail
    finally:
        sshd.signal_connections(signal.SIGCONT)


async def test_a_caller_giving_up_does_not_abort_the_connect(
    sshd: Sshd, make_ssh_host: MakeHost
) -> None:
    host = make_ssh_host(sshd.host_config())
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.001):
            await host.run(["true"], timeout=5)
    await wait_until(lambda: host.state().connected, what="background connect finished")


async def test_losing_the_jump_host_reconnects_through_it(
    make_sshd: Callable[..., Sshd], make_ssh_host: MakeHost
) -> None:
    bastion, target = make_sshd(), make_sshd()
    jump = make_ssh_host(bastion.host_config("bastion"))
    host = make_ssh_host(target.host_config("edge", jump="bastion"), jump=jump)
    assert (await host.run(["true"], timeout=5)).ok
    assert bastion.drop_connections() > 0
    await wait_until(lambda: not host.state().connected, what="target lost with its jump")
    result = await host.run(["echo", "back"], timeout=5)
    assert result.stdout == b"back\n" and jump.state().connected


def test_backoff_grows_to_its_cap_with_jitter() -> None:
    backoff = Backoff(base=1.0, cap=8.0, jitter=0.2)
    for failures, raw in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)):
        delays = {backoff.delay(failures) for _ in range(20)}
        assert all(0.8 * raw <= d <= 1.2 * raw for d in delays) and len(delays) > 1


async def test_output_beyond_the_cap_is_cut_and_the_helper_keeps_serving(
    sshd: Sshd, make_ssh_host: MakeHost
) -> None:
    from darc_tui.hosts.ssh_mux import OUTPUT_LIMIT

    host = make_ssh_host(sshd.host_config(user=TEST_USER))
    result = await host.run(["head", "-c", str(OUTPUT_LIMIT + 4096), "/dev/zero"], timeout=30)
    # never half an output passed off as the whole: an error saying so, with what was kept
    assert result.error == "output larger than 16 MiB: stopped reading"
    assert len(result.stdout) == OUTPUT_LIMIT
    link = host.current_link()
    assert link is not None and link.live_mux() is not None
    assert (await host.run(["echo", "still here"], timeout=5)).stdout == b"still here\n"


def _cipher(host: SshHost) -> str:
    link = host.current_link()
    assert link is not None
    return str(link.conn.get_extra_info("send_cipher"))  # type: ignore[attr-defined]


async def test_aes_gcm_is_preferred_when_the_cpu_has_aes(
    sshd: Sshd, make_ssh_host: MakeHost
) -> None:
    host = make_ssh_host(sshd.host_config())
    assert (await host.run(["true"], timeout=5)).ok
    want = "aes128-gcm@openssh.com" if _cpu_has_aes() else "chacha20-poly1305@openssh.com"
    assert _cipher(host) == want


async def test_the_ssh_configs_ciphers_are_kept(
    sshd: Sshd, make_ssh_host: MakeHost, tmp_path: Path
) -> None:
    ssh_config = tmp_path / "ssh_config"
    ssh_config.write_text(
        f"Host edge-alias\n  Hostname 127.0.0.1\n  Port {sshd.port}\n  User root\n"
        f"  IdentityFile {sshd.client_key}\n  Ciphers chacha20-poly1305@openssh.com\n"
    )
    config = HostConfig(name="edge", address="edge-alias", known_hosts=str(sshd.known_hosts))
    host = make_ssh_host(config, ssh_config=[str(ssh_config)])
    assert (await host.run(["true"], timeout=5)).ok
    assert _cipher(host) == "chacha20-poly1305@openssh.com"


def test_the_preference_only_reorders_the_default_ciphers() -> None:
    default = get_default_encryption_algs()
    preferred = preferred_ciphers(default, has_aes=True)
    assert preferred[:2] == ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")
    assert sorted(preferred) == sorted(alg.decode() for alg in default)
    assert preferred_ciphers(default, has_aes=False) == ()
    assert preferred_ciphers([b"chacha20-poly1305@openssh.com"], has_aes=True) == ()
