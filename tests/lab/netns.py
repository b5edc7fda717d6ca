"""Lab fixtures: netns (real software, loopback only)."""
