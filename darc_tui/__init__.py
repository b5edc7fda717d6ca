"""darc-tui: a live console that names why Envoy answers 503 while the backend is fine."""

__version__ = "0.1.0"
