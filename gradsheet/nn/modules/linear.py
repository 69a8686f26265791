"""torch.nn.modules.linear: Identity, Linear, Bilinear, LazyLinear, as gradsheet.nn's classes."""
from ._reexport import reexport

_NAMES = [
    'Bilinear', 'Identity', 'LazyLinear', 'Linear',
]
_PRIVATE = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
