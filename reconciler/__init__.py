"""reconciler: a desired-state reconciler for ML platforms."""

__version__ = "0.1.0"
