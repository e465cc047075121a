"""Sony Easy Predictive Analytics (Prediction One): retraining a model behind its prediction API."""

from reconciler.providers.sony_epa.platform import SonyEpa

__all__ = ["SonyEpa"]
