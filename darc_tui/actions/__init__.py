"""Host-changing actions: the Envoy reload flow, its hot-restart wrapper, and the audit log."""
