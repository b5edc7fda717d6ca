"""The fleet: many Envoys read through Prometheus (no collector of our own), ranked worst first,
with how far each fault reaches. No Textual here; the console's fleet screen renders it."""

from darc_tui.fleet.collect import FleetSource, sample_once
from darc_tui.fleet.model import ClusterHealth, ClusterSpread, EnvoyRow, FleetSnapshot, Scrape
from darc_tui.fleet.prometheus import PrometheusClient, PrometheusError

__all__ = [
    "ClusterHealth",
    "ClusterSpread",
    "EnvoyRow",
    "FleetSnapshot",
    "FleetSource",
    "PrometheusClient",
    "PrometheusError",
    "Scrape",
    "sample_once",
]
