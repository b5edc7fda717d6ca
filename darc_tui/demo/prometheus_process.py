"""Find the Prometheus binary and run it as a child process on loopback, storage in a work dir.

The demo's fleet and the tests use it: a generated config scrapes each Envoy's `/stats/prometheus`
every second. Prometheus 2.42 applies new targets on a 5 s tick (the first sample came 5.8 s after
start), so readiness is `count(up{job=…} == 1) == N`, not `/-/ready`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import weakref
from collections.abc import Sequence
from pathlib import Path

import httpx
import yaml

from darc_tui.demo.lab import free_port

JOB = "envoy"
SCRAPE_INTERVAL = 1.0


class PrometheusMissing(RuntimeError):
    """No Prometheus binary ($DARC_PROMETHEUS, next to the Python, or on PATH)."""


def find_prometheus() -> Path | None:
    """`$DARC_PROMETHEUS`, the one `./run setup` puts next to the venv's Python, or PATH."""
    env = os.environ.get("DARC_PROMETHEUS", "")
    candidates = [Path(env)] if env else []
    candidates.append(Path(sys.executable).parent / "prometheus")
    found = shutil.which("prometheus")
    if found:
        candidates.append(Path(found))
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    return None


def scrape_config(targets: Sequence[str], job: str = JOB, interval: float = SCRAPE_INTERVAL) -> str:
    """A prometheus.yml scraping `targets` (host:port of Envoy admins) at `interval`."""
    doc = {
        "global": {"scrape_interval": f"{interval:g}s", "evaluation_interval": f"{interval:g}s"},
        "scrape_configs": [
            {
                "job_name": job,
                "metrics_path": "/stats/prometheus",
                "scrape_interval": f"{interval:g}s",
                "scrape_timeout": f"{interval:g}s",
                "static_configs": [{"targets": list(targets)}],
            }
        ],
    }
    return yaml.safe_dump(doc, sort_keys=False)


class PrometheusProcess:
    """One Prometheus on 127.0.0.1:<free port>, killed with its process group on stop()."""

    def __init__(self, workdir: Path, binary: Path | None = None) -> None:
        found = binary or find_prometheus()
        if found is None:
            raise PrometheusMissing(
                "no Prometheus binary: run ./run setup (apt-get download prometheus) "
                "or set DARC_PROMETHEUS"
            )
        self.binary = found
        self.workdir = workdir
        self.port = free_port()
        self.config_path = workdir / "prometheus.yml"
        self.log_path = workdir / "prometheus.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def write_config(self, targets: Sequence[str], job: str = JOB) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(scrape_config(targets, job), encoding="utf-8")

    def start(self, targets: Sequence[str], job: str = JOB, timeout: float = 30.0) -> None:
        """Start scraping `targets`; returns once every target was scraped up."""
        self.write_config(targets, job)
        argv = [
            str(self.binary),
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--storage.tsdb.retention.time=1h",
            "--log.level=warn",
        ]
        setpriv = shutil.which("setpriv")
        if setpriv:  # dies with its parent even when the parent is SIGKILLed
            argv = [setpriv, "--pdeathsig", "KILL", "--", *argv]
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                start_new_session=True,
            )
        _LIVE.add(self)
        try:
            self.wait_up(len(targets), job, timeout)
        except BaseException:
            self.stop()
            raise

    def wait_up(self, count: int, job: str = JOB, timeout: float = 30.0) -> None:
        """Until `count(up{job} == 1) == count` (new targets are applied on a 5 s tick)."""
        deadline = time.monotonic() + timeout
        query = f'count(up{{job="{job}"}} == 1)'
        while True:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"Prometheus exited: {self.log_tail()}")
            if self.instant_value(query) == count:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"timed out after {timeout:g}s waiting for {count} target(s) up in "
                    f"Prometheus ({self.log_path})"
                )
            time.sleep(0.2)

    def instant_value(self, query: str) -> float | None:
        """The single value of an instant query, None when it has none (or Prometheus is not up)."""
        try:
            response = httpx.get(
                f"{self.url}/api/v1/query", params={"query": query}, timeout=2, trust_env=False
            )
            result = response.json()["data"]["result"]
        except (httpx.HTTPError, ValueError, KeyError):
            return None
        return float(result[0]["value"][1]) if result else None

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 5.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        _LIVE.discard(self)
        if proc.poll() is None:
            _killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _killpg(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


_LIVE: weakref.WeakSet[PrometheusProcess] = weakref.WeakSet()
