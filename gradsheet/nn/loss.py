"""Loss layers: each stores its options and calls the loss of ``gradsheet.ops.loss``, where
the formula and its gradient live. Constructor arguments, defaults and buffers follow
PyTorch (``weight`` and ``pos_weight`` are buffers, so they are saved in ``state_dict``).

The deprecated ``size_average`` / ``reduce`` arguments keep their PyTorch positions and
meaning: reduce=False gives 'none', else size_average=False gives 'sum', else 'mean'.
"""
import warnings

from ..ops import loss as L
from .module import Module

_REDUCTIONS = ("none", "mean", "sum")


def _reduction(loss, size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        legacy = "none" if reduce is False else "sum" if size_average is False else "mean"
        warnings.warn(f"{loss}: size_average and reduce are deprecated; use "
                      f"reduction={legacy!r} instead", DeprecationWarning, stacklevel=3)
        return legacy
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{loss}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    return reduction


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = _reduction(type(self).__name__, size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    """A loss with an optional per-class ``weight``, kept as a buffer."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class CrossEntropyLoss(_WeightedLoss):
    """L = -sum_c w_c q_c log softmax(z)_c (q the one-hot, or smoothed, target), averaged
    over samples whose target is not ``ignore_index``. See ``F.cross_entropy``."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return L.cross_entropy(input, target, weight=self.weight,
                               ignore_index=self.ignore_index, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """L = -w_y x_y for log-probabilities x and class y. See ``F.nll_loss``."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return L.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """L(z, y) = -w [y log z + (1 - y) log(1 - z)] for probabilities z.
    See ``F.binary_cross_entropy``."""

    def forward(self, input, target):
        return L.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """L(x, y) = -w [p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))], p = ``pos_weight``,
    computed stably from logits x. See ``F.binary_cross_entropy_with_logits``."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return L.binary_cross_entropy_with_logits(input, target, weight=self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class MSELoss(_Loss):
    """L = (x - y)**2. See ``F.mse_loss``."""

    def forward(self, input, target):
        return L.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """L = |x - y|. See ``F.l1_loss``."""

    def forward(self, input, target):
        return L.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """L = (x - y)**2 / 2 if |x - y| < delta else delta (|x - y| - delta / 2).
    See ``F.huber_loss``."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return L.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """L = (x - y)**2 / (2 beta) if |x - y| < beta else |x - y| - beta / 2.
    See ``F.smooth_l1_loss``."""

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return L.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)
