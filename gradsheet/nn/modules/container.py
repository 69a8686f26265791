"""torch.nn.modules.container: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict,
as gradsheet.nn's classes."""
from __future__ import annotations

from ._reexport import reexport

_NAMES = [
    'Container', 'Sequential', 'ModuleList', 'ModuleDict', 'ParameterList', 'ParameterDict',
]
_PRIVATE: dict[str, list[str]] = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
