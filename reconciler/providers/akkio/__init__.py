"""Akkio: datasets filled through the legacy dataset API, models trained through the training API,
and their predictions through the legacy model call."""

from reconciler.providers.akkio.platform import Akkio

__all__ = ["Akkio"]
