"""torch.nn.modules.upsampling: Upsample and its fixed-mode forms, as gradsheet.nn's classes."""
from __future__ import annotations

from ._reexport import reexport

_NAMES = [
    'Upsample', 'UpsamplingNearest2d', 'UpsamplingBilinear2d',
]
_PRIVATE: dict[str, list[str]] = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
