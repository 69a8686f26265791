"""Dropout: during training each unit is dropped with probability p and the survivors are
scaled by 1 / (1 - p) (inverted dropout), so E[output] = input and evaluation is the identity.

The mask is drawn in ``gradsheet.ops.dropout`` from the seeded generator.
"""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

from ..ops import dropout as D
from ..ops.dropout import dropout
from .module import Module

if TYPE_CHECKING:
    from .._typing import Tensor


class Dropout(Module):
    """y = x * m / (1 - p), m_i ~ Bernoulli(1 - p), in training mode; y = x in eval mode.

    Args:
        p: probability of dropping a unit, in [0, 1] (default 0.5).
        inplace: accepted for PyTorch compatibility; the result is always a new tensor.

    Reference: Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from
    Overfitting", JMLR 2014.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"Dropout: probability p has to be between 0 and 1, but got {p!r}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class _DropoutNd(Module):
    """What the channel and alpha dropouts share: p in [0, 1] (ValueError otherwise, as torch),
    ``inplace`` passed on to the function, and the repr."""

    @staticmethod
    def _function(input: Tensor, p: float, training: bool, inplace: bool) -> Tensor:
        """The dropout of ``input`` (each subclass names its function of ops.dropout)."""
        raise NotImplementedError

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not isinstance(p, (float, numbers.Real)):  # float: for the type checker, a Real too
            raise TypeError(f"{type(self).__name__}: dropout probability must be a number, got "
                            f"{type(p).__name__}")
        if not 0 <= p <= 1:
            raise ValueError(f"{type(self).__name__}: dropout probability has to be between 0 "
                             f"and 1, but got {p!r}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._function(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(_DropoutNd):
    """y[n, c, :] = x[n, c, :] m / (1 - p), one m ~ Bernoulli(1 - p) per channel, in training
    mode; y = x in eval mode. Input (N, C, L) or (C, L)."""

    _function = staticmethod(D.dropout1d)


class Dropout2d(_DropoutNd):
    """y[n, c] = x[n, c] m / (1 - p), one m ~ Bernoulli(1 - p) per channel of (N, C, H, W) (or
    (C, H, W)), in training mode; y = x in eval mode."""

    _function = staticmethod(D.dropout2d)


class Dropout3d(_DropoutNd):
    """y[n, c] = x[n, c] m / (1 - p), one m ~ Bernoulli(1 - p) per channel of (N, C, D, H, W)
    (or (C, D, H, W)), in training mode; y = x in eval mode."""

    _function = staticmethod(D.dropout3d)


class AlphaDropout(_DropoutNd):
    """y = a (x m + alpha' (1 - m)) + b, m ~ Bernoulli(1 - p) per element, alpha' = -1.7581,
    a and b keeping zero mean and unit variance (for SELU networks), in training mode; y = x in
    eval mode."""

    _function = staticmethod(D.alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels: one m ~ Bernoulli(1 - p) per (sample, channel)
    (see AlphaDropout), in training mode; y = x in eval mode."""

    _function = staticmethod(D.feature_alpha_dropout)
