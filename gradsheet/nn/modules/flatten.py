"""torch.nn.modules.flatten: Flatten, Unflatten, as gradsheet.nn's classes."""
from __future__ import annotations

from ._reexport import reexport

_NAMES = [
    'Flatten', 'Unflatten',
]
_PRIVATE: dict[str, list[str]] = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
