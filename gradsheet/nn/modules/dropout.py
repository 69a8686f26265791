"""torch.nn.modules.dropout: the dropout layers, as gradsheet.nn's classes."""
from __future__ import annotations

from ._reexport import reexport

_NAMES = [
    'Dropout', 'Dropout1d', 'Dropout2d', 'Dropout3d', 'AlphaDropout', 'FeatureAlphaDropout',
]
_PRIVATE: dict[str, list[str]] = {
    '_DropoutNd': ['dropout:_DropoutNd'],
}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
