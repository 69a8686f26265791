"""torch.nn.modules.pooling: the pooling layers, as gradsheet.nn's classes."""
from __future__ import annotations

from ._reexport import reexport

_NAMES = [
    'MaxPool1d', 'MaxPool2d', 'MaxPool3d', 'MaxUnpool1d', 'MaxUnpool2d', 'MaxUnpool3d', 'AvgPool1d',
    'AvgPool2d', 'AvgPool3d', 'FractionalMaxPool2d', 'FractionalMaxPool3d', 'LPPool1d', 'LPPool2d',
    'LPPool3d', 'AdaptiveMaxPool1d', 'AdaptiveMaxPool2d', 'AdaptiveMaxPool3d', 'AdaptiveAvgPool1d',
    'AdaptiveAvgPool2d', 'AdaptiveAvgPool3d',
]
_PRIVATE: dict[str, list[str]] = {
    '_MaxPoolNd': ['pooling:_MaxPoolNd', 'pooling:_MaxPool'],
    '_AvgPoolNd': ['pooling:_AvgPoolNd'],
    '_AdaptiveAvgPoolNd': ['pooling:_AdaptiveAvgPoolNd', 'pooling:_AdaptiveAvgPool'],
    '_AdaptiveMaxPoolNd': ['pooling:_AdaptiveMaxPoolNd', 'pooling:_AdaptiveMaxPool'],
    '_LPPoolNd': ['pooling:_LPPoolNd'],
    '_MaxUnpoolNd': ['pooling:_MaxUnpoolNd'],
}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
