"""torch.nn.modules.distance: PairwiseDistance, CosineSimilarity, as gradsheet.nn's classes."""
from __future__ import annotations

from ._reexport import reexport

_NAMES = [
    'PairwiseDistance', 'CosineSimilarity',
]
_PRIVATE: dict[str, list[str]] = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
