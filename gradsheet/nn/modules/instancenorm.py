"""torch.nn.modules.instancenorm: the instance normalisation layers, as gradsheet.nn's classes."""
from __future__ import annotations

from ._reexport import reexport

_NAMES = [
    'InstanceNorm1d', 'InstanceNorm2d', 'InstanceNorm3d', 'LazyInstanceNorm1d', 'LazyInstanceNorm2d',
    'LazyInstanceNorm3d',
]
_PRIVATE: dict[str, list[str]] = {
    '_InstanceNorm': ['normalization:_InstanceNorm', 'instancenorm:_InstanceNorm'],
}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
