"""torch.nn.modules.adaptive: AdaptiveLogSoftmaxWithLoss, as gradsheet.nn's class."""
from __future__ import annotations

from ._reexport import reexport

_NAMES = [
    'AdaptiveLogSoftmaxWithLoss',
]
_PRIVATE: dict[str, list[str]] = {}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
