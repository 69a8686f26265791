"""torch.nn.modules.channelshuffle: ChannelShuffle, as gradsheet.nn's class."""
from ._reexport import reexport

_NAMES = [
    'ChannelShuffle',
]
_PRIVATE = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
