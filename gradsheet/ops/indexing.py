"""Gathering and scattering by index: gather, scatter, index_select, masked ops, ...
"""

__all__ = []
