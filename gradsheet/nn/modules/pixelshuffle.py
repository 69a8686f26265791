"""torch.nn.modules.pixelshuffle: PixelShuffle, PixelUnshuffle, as gradsheet.nn's classes."""
from ._reexport import reexport

_NAMES = [
    'PixelShuffle', 'PixelUnshuffle',
]
_PRIVATE = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
