"""Datrics: predictions of models deployed through the AutoModel API."""

from reconciler.providers.datrics.platform import Datrics

__all__ = ["Datrics"]
