"""torch.nn.modules.container: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict,
as gradsheet.nn's classes."""
from ._reexport import reexport

_NAMES = [
    'Container', 'Sequential', 'ModuleList', 'ModuleDict', 'ParameterList', 'ParameterDict',
]
_PRIVATE = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
