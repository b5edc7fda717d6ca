"""Recordings: what goes in comes back, redacted; a killed writer leaves a readable prefix;
the size stays bounded by rotation."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from darc_tui.ids import ProbeId
from darc_tui.model import (
    DeployKind,
    DeployMarker,
    Evidence,
    EvidenceRef,
    Finding,
    HostState,
    Snapshot,
    Status,
    TimelineEvent,
    Vantage,
    Verdict,
)
from darc_tui.parse.clusters import ClustersReport, parse_clusters
from darc_tui.recording import Recorder, RecordingError, read_frames
from darc_tui.recording.reader import open_recording

DATA = Path(__file__).resolve().parents[1] / "data"


def snapshot(at: float, status: Status, causes: tuple[str, ...] = ()) -> Snapshot:
    ev = Evidence("backend.health", "http://127.0.0.1:1/h (jump-box)", Vantage.JUMP, status,
                  f"GET → {status.value}", observed_at=at, latency_ms=3.5,
                  facts={"status": 200, "token": "s3cret-value", "url": "http://u:pw@h/"})  # fmt: skip
    findings = tuple(
        Finding(c, c.title(), 0.9, f"{c} summary", (EvidenceRef.of(ev),), ("x",), ("curl h",))
        for c in causes
    )
    return Snapshot(
        taken_at=at,
        evidence=(ev,),
        findings=findings,
        hosts=(HostState("local", "local", True, since=at),),
        verdict=Verdict.DOWN if causes else Verdict.OK,
        timeline=(TimelineEvent(at, "probe", f"status {status.value}"),),
        rounds=int(at),
        deploys=(DeployMarker(1000.5, "local", DeployKind.ENVOY_RESTARTED, "pid 1 → 2"),),
    )


def test_frames_come_back_as_the_snapshots_that_went_in(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl.gz"
    rec = Recorder(path, site="lab")
    sent = [snapshot(1000.0, Status.OK), snapshot(1001.0, Status.FAIL, ("backend.down",)),
            snapshot(1002.0, Status.OK)]  # fmt: skip
    for snap in sent:
        rec.snapshot(snap)
    rec.close()

    recording, frames = open_recording(path)
    got = list(frames)
    assert recording.site == "lab" and not recording.truncated
    assert [f.t for f in got] == [0.0, 1.0, 2.0]
    assert [[x.cause for x in f.snapshot.findings] for f in got] == [[], ["backend.down"], []]
    back = got[1].snapshot
    (ev,) = back.evidence
    assert (ev.status, ev.latency_ms, ev.detail) == (Status.FAIL, 3.5, "GET → fail")
    assert back.findings[0].evidence[0].probe == "backend.health"
    assert back.deploys[0].kind is DeployKind.ENVOY_RESTARTED
    assert [e.text for e in got[2].snapshot.timeline] == ["status ok", "status fail", "status ok"]


def test_a_recording_is_redacted(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl.gz"
    rec = Recorder(path)
    rec.snapshot(snapshot(1000.0, Status.OK))
    rec.close()
    raw = gzip.decompress(path.read_bytes()).decode()
    assert "s3cret" not in raw and ":pw@" not in raw
    (frame,) = read_frames(path)
    assert frame.snapshot.evidence[0].facts["token"] == "‹redacted›"


WRITER = textwrap.dedent(
    """
    import sys, time
    from darc_tui.model import Snapshot, Verdict, Evidence, Status, Vantage
    from darc_tui.recording import Recorder
    rec = Recorder(sys.argv[1])
    i = 0
    while True:
        i += 1
        ev = Evidence("backend.health", "t", Vantage.JUMP, Status.OK, f"round {i}", observed_at=float(i))
        rec.snapshot(Snapshot(float(i), (ev,), (), (), Verdict.OK, rounds=i))
        if i == 50:
            print("ready", flush=True)
        time.sleep(0.005)
    """
)


def test_a_killed_writer_leaves_a_recording_that_replays_up_to_the_cut(tmp_path: Path) -> None:
    path = tmp_path / "killed.jsonl.gz"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        time.sleep(1.5)  # past one sync flush
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    recording, frames = open_recording(path)
    got = list(frames)
    assert recording.truncated
    assert len(got) >= 50
    # every frame up to the cut, in order, none invented
    assert [f.snapshot.rounds for f in got] == list(range(1, len(got) + 1))


def test_a_cut_in_the_middle_of_the_gzip_stream_reads_what_came_before(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl.gz"
    rec = Recorder(path)
    for i in range(200):
        rec.snapshot(snapshot(1000.0 + i, Status.OK if i % 2 else Status.FAIL))
    rec.close()
    data = path.read_bytes()
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    recording, frames = open_recording(cut)
    got = list(frames)
    assert recording.truncated and 0 < len(got) < 200
    assert [f.snapshot.taken_at for f in got] == [1000.0 + i for i in range(len(got))]


def test_rotation_keeps_two_parts_and_the_current_one_replays_alone(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl.gz"
    rec = Recorder(path, max_bytes=4096, clock=iter(range(10_000)).__next__)
    for i in range(400):
        rec.snapshot(snapshot(1000.0 + i, Status.OK if i % 3 else Status.FAIL, ("backend.down",)))
    rec.close()
    older = path.with_name(path.name + ".1")
    assert older.exists() and not path.with_name(path.name + ".2").exists()
    assert path.stat().st_size < 4096 + 2048 and older.stat().st_size < 4096 + 2048
    frames = read_frames(path)
    assert frames and frames[-1].snapshot.taken_at == 1399.0
    assert frames[0].snapshot.evidence and frames[0].snapshot.findings  # a key frame first


def test_a_file_that_is_not_a_recording_is_one_clear_error(tmp_path: Path) -> None:
    plain = tmp_path / "notes.txt"
    plain.write_text("hello\n")
    with pytest.raises(RecordingError, match="not a darc-tui recording"):
        read_frames(plain)
    other = tmp_path / "other.gz"
    other.write_bytes(gzip.compress(b'{"hello": 1}\n'))
    with pytest.raises(RecordingError, match="not a darc-tui recording"):
        read_frames(other)
    unknown = tmp_path / "newer.jsonl.gz"
    rec = Recorder(unknown)
    rec.snapshot(snapshot(1000.0, Status.OK))
    rec.close()
    text = gzip.decompress(unknown.read_bytes()).replace(
        b"backend.health", b"probe.from_the_future"
    )
    unknown.write_bytes(gzip.compress(text))
    (frame,) = read_frames(unknown)  # what this version cannot read is left out, not fatal
    assert frame.snapshot.evidence == () and frame.snapshot.deploys
    with pytest.raises(RecordingError, match="cannot read"):
        read_frames(tmp_path / "missing.gz")


@pytest.mark.parametrize(
    "state", ["healthy", "backend_down", "hc_timeout_degraded", "pre_initializing"]
)
def test_the_cluster_hosts_come_back_for_the_clusters_pane(tmp_path: Path, state: str) -> None:
    report = parse_clusters((DATA / "envoy-1.40" / state / "clusters.json").read_text())
    name = report.clusters[0].name
    ev = Evidence(ProbeId.ENVOY_CLUSTERS, name, Vantage.ENVOY_HOST, Status.OK, "clusters",
                  observed_at=1000.0, data=report)  # fmt: skip
    path = tmp_path / "rec.jsonl.gz"
    rec = Recorder(path, where={"cluster": name})
    rec.snapshot(Snapshot(1000.0, (ev,), (), (), Verdict.OK))
    rec.close()
    (frame,) = read_frames(path)
    back = frame.snapshot.evidence[0].data
    assert back == ClustersReport((report.get(name),), format=report.format)


def _recorded_lines(path: Path, report: ClustersReport, where: dict[str, str]) -> list[bytes]:
    ev = Evidence(ProbeId.ENVOY_CLUSTERS, "backend_cluster", Vantage.ENVOY_HOST, Status.OK,
                  "clusters", observed_at=1000.0, data=report)  # fmt: skip
    rec = Recorder(path, where=where)
    rec.snapshot(Snapshot(1000.0, (ev,), (), (), Verdict.OK))
    rec.close()
    lines = gzip.decompress(path.read_bytes()).splitlines()
    return [line for line in lines if b'"started_at"' not in line]  # the header's clock


@pytest.mark.parametrize("state", ["healthy", "backend_down", "hc_timeout_degraded"])
def test_a_report_read_for_the_configured_cluster_records_as_the_whole_one(
    tmp_path: Path, state: str
) -> None:
    """The probe keeps only the configured cluster's hosts (the others as counts): the recording
    of it, which keeps only that cluster, is the very one the whole report gave."""
    body = (DATA / "envoy-1.40" / state / "clusters.json").read_bytes()
    where = {"cluster": "backend_cluster"}
    whole = _recorded_lines(tmp_path / "whole.gz", parse_clusters(body), where)
    kept = _recorded_lines(tmp_path / "kept.gz", parse_clusters(body, "backend_cluster"), where)
    assert kept == whole and any(b'"hosts"' in line for line in kept)


def test_clusters_kept_as_counts_come_back_as_counts(tmp_path: Path) -> None:
    body = (DATA / "envoy-1.40" / "hc_timeout_degraded" / "clusters.json").read_bytes()
    report = parse_clusters(body, "backend_cluster")
    assert any(c.tally is not None and c.tally.hosts for c in report.clusters)
    _recorded_lines(tmp_path / "rec.gz", report, {})  # no configured cluster: every cluster
    (frame,) = read_frames(tmp_path / "rec.gz")
    assert frame.snapshot.evidence[0].data == report
