"""Alviss AI: marketing-mix models, their data uploads, datasets and attributions."""

from reconciler.providers.alviss.platform import Alviss

__all__ = ["Alviss"]
