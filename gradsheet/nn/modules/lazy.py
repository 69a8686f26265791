"""torch.nn.modules.lazy: LazyModuleMixin, as gradsheet.nn's class."""
from ._reexport import reexport

_NAMES = [
    'LazyModuleMixin',
]
_PRIVATE = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
