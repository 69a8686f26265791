"""torch.nn.modules.normalization: LayerNorm, GroupNorm, RMSNorm, LocalResponseNorm, as
gradsheet.nn's classes."""
from ._reexport import reexport

_NAMES = [
    'LocalResponseNorm', 'CrossMapLRN2d', 'LayerNorm', 'GroupNorm', 'RMSNorm',
]
_PRIVATE = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
