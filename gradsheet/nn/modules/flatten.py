"""torch.nn.modules.flatten: Flatten, Unflatten, as gradsheet.nn's classes."""
from ._reexport import reexport

_NAMES = [
    'Flatten', 'Unflatten',
]
_PRIVATE = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
