"""torch.nn.modules.batchnorm: the batch normalisation layers, as gradsheet.nn's classes."""
from __future__ import annotations

from ._reexport import reexport

_NAMES = [
    'BatchNorm1d', 'LazyBatchNorm1d', 'BatchNorm2d', 'LazyBatchNorm2d', 'BatchNorm3d', 'LazyBatchNorm3d',
    'SyncBatchNorm',
]
_PRIVATE: dict[str, list[str]] = {
    '_BatchNorm': ['normalization:_BatchNorm', 'batchnorm:_BatchNorm'],
    '_NormBase': ['normalization:_NormBase', 'batchnorm:_NormBase'],
    '_LazyNormBase': ['normalization:_LazyNormBase'],
}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
