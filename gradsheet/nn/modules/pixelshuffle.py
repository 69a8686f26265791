"""torch.nn.modules.pixelshuffle: PixelShuffle, PixelUnshuffle, as gradsheet.nn's classes."""
from __future__ import annotations

from ._reexport import reexport

_NAMES = [
    'PixelShuffle', 'PixelUnshuffle',
]
_PRIVATE: dict[str, list[str]] = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
