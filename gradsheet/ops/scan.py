"""Scans along a dimension: cumsum, cumprod, cummax, cummin, logcumsumexp.
"""

__all__ = []
