"""torch.nn.modules.transformer: the Transformer layers, as gradsheet.nn's classes."""
from ._reexport import reexport

_NAMES = [
    'Transformer', 'TransformerEncoder', 'TransformerDecoder', 'TransformerEncoderLayer',
    'TransformerDecoderLayer',
]
_PRIVATE = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
