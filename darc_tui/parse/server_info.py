"""Envoy `/server_info` (JSON) and `/ready` (one word) → server state, version, uptime, options."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from darc_tui.parse import as_text, load_json, one_line
from darc_tui.parse._values import duration, mapping, text, to_int


class ServerState(StrEnum):
    LIVE = "LIVE"
    DRAINING = "DRAINING"
    PRE_INITIALIZING = "PRE_INITIALIZING"
    INITIALIZING = "INITIALIZING"


@dataclass(frozen=True, slots=True)
class ServerInfo:
    version: str = ""  # "9e55…/1.40.0/Clean/RELEASE/BoringSSL"
    state: ServerState | None = None
    uptime_current_epoch: float | None = None  # seconds since this process (epoch) started
    uptime_all_epochs: float | None = None  # seconds since the first epoch (survives hot restarts)
    hot_restart_version: str = ""
    restart_epoch: int | None = None
    base_id: int | None = None
    config_path: str = ""
    concurrency: int | None = None
    disable_hot_restart: bool = False
    node_id: str = ""
    node_cluster: str = ""
    error: str = ""

    @property
    def semver(self) -> str:
        """ "1.40.0" out of the build string, "" when absent."""
        match = re.search(r"/(\d+\.\d+\.\d+[^/]*)/", self.version)
        return match.group(1) if match else ""


def parse_server_info(body: str | bytes) -> ServerInfo:
    doc, error = load_json(body)
    if error:
        return ServerInfo(error=error)
    if not isinstance(doc, Mapping) or ("state" not in doc and "version" not in doc):
        return ServerInfo(error="not a /server_info document: no state or version")
    options = mapping(doc.get("command_line_options"))
    node = mapping(doc.get("node"))
    return ServerInfo(
        version=text(doc.get("version")),
        state=_state(text(doc.get("state"))),
        uptime_current_epoch=duration(doc.get("uptime_current_epoch")),
        uptime_all_epochs=duration(doc.get("uptime_all_epochs")),
        hot_restart_version=text(doc.get("hot_restart_version")),
        restart_epoch=to_int(options.get("restart_epoch", 0)),  # proto3 JSON omits a 0
        base_id=to_int(options.get("base_id", 0)),
        config_path=text(options.get("config_path")),
        concurrency=to_int(options.get("concurrency")),
        disable_hot_restart=options.get("disable_hot_restart") is True,
        node_id=text(node.get("id")),
        node_cluster=text(node.get("cluster")),
    )


def _state(word: str) -> ServerState | None:
    try:
        return ServerState(word.strip().upper())
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class ReadyState:
    """`/ready`: 200 "LIVE", else 503 and the state word (e.g. "PRE_INITIALIZING")."""

    state: ServerState | None
    status_code: int | None = None
    text: str = ""  # what the endpoint said, on one line
    error: str = ""

    @property
    def live(self) -> bool:
        return self.state is ServerState.LIVE


def parse_ready(body: str | bytes, status_code: int | None = None) -> ReadyState:
    said = one_line(as_text(body))
    state = _state(said)
    if state is None:
        why = f"not a /ready answer: {said[:60]!r}" if said else "empty /ready answer"
        return ReadyState(None, status_code, said, why)
    return ReadyState(state, status_code, said)
