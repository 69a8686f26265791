"""torch.nn.modules.distance: PairwiseDistance, CosineSimilarity, as gradsheet.nn's classes."""
from ._reexport import reexport

_NAMES = [
    'PairwiseDistance', 'CosineSimilarity',
]
_PRIVATE = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
