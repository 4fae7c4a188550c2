"""The offline analyzer (the default): no language model, no network, deterministic."""

from mcem.offline.analyzer import OfflineAnalyzer

__all__ = ["OfflineAnalyzer"]
