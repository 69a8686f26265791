"""``gs.backends.mps``: Apple's Metal backend queries; gradsheet has no MPS device."""
from __future__ import annotations


def is_available() -> bool:
    """False: gradsheet computes on the CPU only."""
    return False


def is_built() -> bool:
    """False: gradsheet is not built with MPS."""
    return False
