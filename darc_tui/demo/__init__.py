"""The embedded lab: a real local Envoy (rendered envoy.yaml) and a demo backend with fault switches."""
