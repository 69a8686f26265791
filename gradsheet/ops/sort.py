"""Sorting and order statistics: sort, argsort, topk, kthvalue, median, mode, unique.
"""

__all__ = []
