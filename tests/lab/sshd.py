"""Lab fixtures: sshd (real software, loopback only)."""
