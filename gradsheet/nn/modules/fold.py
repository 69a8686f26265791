"""torch.nn.modules.fold: Fold, Unfold, as gradsheet.nn's classes."""
from ._reexport import reexport

_NAMES = [
    'Fold', 'Unfold',
]
_PRIVATE = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
