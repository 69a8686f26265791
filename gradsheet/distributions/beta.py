"""``Beta(concentration1, concentration0)``: the Beta distribution on [0, 1]."""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from ..ops import binary, elementwise, unary
from . import constraints
from ._ops import BetaSample
from .distribution import ExponentialFamily
from .utils import broadcast_all

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._typing import ShapeLike
    from ..autograd.tensor import Tensor

__all__ = ["Beta"]


class Beta(ExponentialFamily):
    """Beta(a, b): p(x) = x**(a - 1) (1 - x)**(b - 1) / B(a, b) on [0, 1] (a =
    ``concentration1``, b = ``concentration0``).

    ``rsample`` draws G_a / (G_a + G_b) from two Gamma draws (as torch's Dirichlet sampler); its
    gradients are the implicit reparameterisation ones, dx/da = -(dI_x(a, b)/da) / p(x) and
    likewise for b (the values torch's Beta.rsample differentiates to).
    """

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1: Union[Tensor, float], concentration0: Union[Tensor, float],
                 validate_args: Optional[bool] = None) -> None:
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        numbers_only = isinstance(concentration1, numbers.Number) and \
            isinstance(concentration0, numbers.Number)
        super().__init__(() if numbers_only else self.concentration1.shape,
                         validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> Beta:
        """Beta with both concentrations expanded to ``batch_shape``."""
        new = self._get_checked_instance(Beta, _instance)
        batch_shape = tuple(batch_shape)
        new.concentration1 = self.concentration1.expand(batch_shape)
        new.concentration0 = self.concentration0.expand(batch_shape)
        return self._finish_expand(new, Beta, batch_shape)

    @property
    def mean(self) -> Tensor:
        """a / (a + b)."""
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        """(a - 1) / (a + b - 2) with a - 1, b - 1 clamped at 0; 1 where both a, b < 1 (torch's
        choice among the two modes 0 and 1)."""
        a1 = elementwise.clip(self.concentration1 - 1, min=0.0)
        b1 = elementwise.clip(self.concentration0 - 1, min=0.0)
        both_small = (self.concentration1 < 1) & (self.concentration0 < 1)
        with np.errstate(invalid="ignore"):
            return elementwise.where(both_small, 1.0, a1 / (a1 + b1))

    @property
    def variance(self) -> Tensor:
        """a b / ((a + b)**2 (a + b + 1))."""
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total ** 2 * (total + 1))

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """x ~ Beta(a, b) of shape sample_shape + batch_shape, reparameterised implicitly."""
        shape_ = self._extended_shape(sample_shape)
        return BetaSample.apply(self.concentration1.expand(shape_),
                                self.concentration0.expand(shape_))

    def log_prob(self, value: Tensor) -> Tensor:
        """(a - 1) log x + (b - 1) log(1 - x) + log Gamma(a + b) - log Gamma(a) - log Gamma(b)
        (xlogy: 0 log 0 = 0)."""
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration1, self.concentration0
        return (binary.xlogy(a - 1.0, value) + binary.xlogy(b - 1.0, 1.0 - value)
                + unary.lgamma(a + b) - unary.lgamma(a) - unary.lgamma(b))

    def entropy(self) -> Tensor:
        """log B(a, b) - (a - 1) digamma(a) - (b - 1) digamma(b) + (a + b - 2) digamma(a + b)."""
        a, b = self.concentration1, self.concentration0
        total = a + b
        return (unary.lgamma(a) + unary.lgamma(b) - unary.lgamma(total)
                - (2 - total) * unary.digamma(total)
                - (a - 1.0) * unary.digamma(a) - (b - 1.0) * unary.digamma(b))

