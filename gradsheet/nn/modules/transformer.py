"""torch.nn.modules.transformer: the Transformer layers, as gradsheet.nn's classes."""
from __future__ import annotations

from ._reexport import reexport

_NAMES = [
    'Transformer', 'TransformerEncoder', 'TransformerDecoder', 'TransformerEncoderLayer',
    'TransformerDecoderLayer',
]
_PRIVATE: dict[str, list[str]] = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
