"""pytest fixtures for the real-software lab (Envoy, backend, sshd, namespaces). Filled per module."""
