"""torch.nn.modules.conv: the convolution layers, as gradsheet.nn's classes."""
from __future__ import annotations

from ._reexport import reexport

_NAMES = [
    'Conv1d', 'Conv2d', 'Conv3d', 'ConvTranspose1d', 'ConvTranspose2d', 'ConvTranspose3d', 'LazyConv1d',
    'LazyConv2d', 'LazyConv3d', 'LazyConvTranspose1d', 'LazyConvTranspose2d', 'LazyConvTranspose3d',
]
_PRIVATE: dict[str, list[str]] = {
    '_ConvNd': ['conv:_ConvNd'],
    '_ConvTransposeNd': ['conv:_ConvTransposeNd'],
    '_ConvTransposeMixin': ['conv:_ConvTransposeMixin'],
}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
