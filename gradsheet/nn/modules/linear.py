"""torch.nn.modules.linear: Identity, Linear, Bilinear, LazyLinear, as gradsheet.nn's classes."""
from __future__ import annotations

from ._reexport import reexport

_NAMES = [
    'Bilinear', 'Identity', 'LazyLinear', 'Linear',
]
_PRIVATE: dict[str, list[str]] = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
