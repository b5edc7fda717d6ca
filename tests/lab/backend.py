"""Lab fixtures: backend (real software, loopback only)."""
