"""Deploys: markers detected from the evidence stream, and the before/after comparison."""
