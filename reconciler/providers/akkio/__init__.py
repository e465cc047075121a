"""Akkio: datasets filled through the legacy dataset API, models trained through the training API."""

from reconciler.providers.akkio.platform import Akkio

__all__ = ["Akkio"]
