"""torch.nn.modules.sparse: Embedding, EmbeddingBag, as gradsheet.nn's classes."""
from __future__ import annotations

from ._reexport import reexport

_NAMES = [
    'Embedding', 'EmbeddingBag',
]
_PRIVATE: dict[str, list[str]] = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
