"""Lab fixtures: envoy (real software, loopback only)."""
