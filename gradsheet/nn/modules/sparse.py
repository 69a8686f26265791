"""torch.nn.modules.sparse: Embedding, EmbeddingBag, as gradsheet.nn's classes."""
from ._reexport import reexport

_NAMES = [
    'Embedding', 'EmbeddingBag',
]
_PRIVATE = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
