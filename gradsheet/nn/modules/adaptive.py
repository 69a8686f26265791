"""torch.nn.modules.adaptive: AdaptiveLogSoftmaxWithLoss, as gradsheet.nn's class."""
from ._reexport import reexport

_NAMES = [
    'AdaptiveLogSoftmaxWithLoss',
]
_PRIVATE = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
