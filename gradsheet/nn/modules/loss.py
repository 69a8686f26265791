"""torch.nn.modules.loss: the loss layers, as gradsheet.nn's classes (and their bases _Loss,
_WeightedLoss)."""
from __future__ import annotations

from ._reexport import reexport

_NAMES = [
    'L1Loss', 'NLLLoss', 'NLLLoss2d', 'PoissonNLLLoss', 'GaussianNLLLoss', 'KLDivLoss', 'MSELoss', 'BCELoss',
    'BCEWithLogitsLoss', 'HingeEmbeddingLoss', 'MultiLabelMarginLoss', 'SmoothL1Loss', 'HuberLoss',
    'SoftMarginLoss', 'CrossEntropyLoss', 'LinearCrossEntropyLoss', 'MultiLabelSoftMarginLoss',
    'CosineEmbeddingLoss', 'MarginRankingLoss', 'MultiMarginLoss', 'TripletMarginLoss',
    'TripletMarginWithDistanceLoss', 'CTCLoss',
]
_PRIVATE: dict[str, list[str]] = {
    '_Loss': ['loss:_Loss'],
    '_WeightedLoss': ['loss:_WeightedLoss'],
}

__getattr__, __all__ = reexport(globals(), _NAMES, _PRIVATE)
