"""The PromQL darc-tui asks, built from the job, the instance label and the rate window.

Series names measured on Envoy 1.40's /stats/prometheus (see tests/data/prometheus/). Counters
are read as rates over ≥ 4 scrape intervals, never as lifetime totals.
"""

from __future__ import annotations

from dataclasses import dataclass

CLUSTER = "envoy_cluster_name"
# cluster counters read as per-second rates (the sum of the listed series), keyed by the field
# they fill in
CLUSTER_RATES: dict[str, tuple[str, ...]] = {
    "rq_5xx_per_s": ('envoy_cluster_upstream_rq_xx{{{sel},envoy_response_code_class="5"}}',),
    "connect_fail_per_s": ("envoy_cluster_upstream_cx_connect_fail{{{sel}}}",),
    # circuit breakers: both give 503 UO (max_pending_requests, max_requests)
    "overflow_per_s": (
        "envoy_cluster_upstream_rq_pending_overflow{{{sel}}}",
        "envoy_cluster_upstream_rq_active_overflow{{{sel}}}",
    ),
    "panic_per_s": ("envoy_cluster_lb_healthy_panic{{{sel}}}",),
}
SERVER_GAUGES = ("live", "state", "hot_restart_epoch", "uptime", "version")


def quote(value: str) -> str:
    """A PromQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@dataclass(frozen=True, slots=True)
class Queries:
    job: str
    instance_label: str
    window_s: float

    @property
    def sel(self) -> str:
        return f"job={quote(self.job)}"

    @property
    def window(self) -> str:
        return f"{max(1, round(self.window_s))}s"

    def up(self) -> str:
        return f"up{{{self.sel}}}"

    def server(self) -> str:
        names = "|".join(SERVER_GAUGES)
        return f'{{__name__=~"envoy_server_({names})",{self.sel}}}'

    def membership(self) -> str:
        return f'{{__name__=~"envoy_cluster_membership_(healthy|total)",{self.sel}}}'

    def cluster_rate(self, field: str) -> str:
        # one sum per counter, added (a rate over a regex on __name__ would give two series with
        # one label set: "vector cannot contain metrics with the same labelset")
        by = f"{self.instance_label}, {CLUSTER}"
        return " + ".join(
            f"sum by ({by}) (rate({series.format(sel=self.sel)}[{self.window}]))"
            for series in CLUSTER_RATES[field]
        )

    def downstream_5xx(self) -> str:
        """5xx the Envoy answered (its own local replies included), admin listener excluded."""
        series = (
            f'envoy_http_downstream_rq_xx{{{self.sel},envoy_response_code_class="5",'
            'envoy_http_conn_manager_prefix!="admin"}'
        )
        return f"sum by ({self.instance_label}) (rate({series}[{self.window}]))"

    def mangled(self) -> str:
        """Per-cluster gauges whose dotted cluster name tag extraction cut apart (envoy#5239):
        `cluster.www.darc.kr_backend.membership_total` → `envoy_cluster_darc_kr_backend_
        membership_total{envoy_cluster_name="www"}`."""
        return f'{{__name__=~"envoy_cluster_.+_membership_(healthy|total)",{self.sel}}}'
