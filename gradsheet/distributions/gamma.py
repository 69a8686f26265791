"""``Gamma(concentration, rate)``: the Gamma distribution of shape alpha and rate beta."""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any, Optional, Union

from ..autograd.tensor import Tensor, as_tensor
from ..ops import binary, elementwise, unary
from . import constraints
from ._ops import StandardGamma
from .distribution import ExponentialFamily
from .utils import broadcast_all

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._typing import ShapeLike

__all__ = ["Gamma"]


class Gamma(ExponentialFamily):
    """Gamma(alpha, beta): p(x) = beta**alpha x**(alpha - 1) e^(-beta x) / Gamma(alpha), x > 0
    (alpha = ``concentration``, beta = ``rate`` = 1 / scale).

    ``rsample`` is G / rate with G ~ Gamma(alpha, 1): its gradient to alpha is the implicit
    reparameterisation one, -(dP(alpha, G)/d alpha) / p(G; alpha) (as torch's
    ``_standard_gamma``), to the rate -G / rate**2.
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration: Union[Tensor, float], rate: Union[Tensor, float],
                 validate_args: Optional[bool] = None) -> None:
        self.concentration, self.rate = broadcast_all(concentration, rate)
        numbers_only = isinstance(concentration, numbers.Number) and \
            isinstance(rate, numbers.Number)
        super().__init__(() if numbers_only else self.concentration.shape,
                         validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> Gamma:
        """Gamma with concentration and rate expanded to ``batch_shape``."""
        new = self._get_checked_instance(Gamma, _instance)
        batch_shape = tuple(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        return self._finish_expand(new, Gamma, batch_shape)

    @property
    def mean(self) -> Tensor:
        """alpha / beta."""
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        """max((alpha - 1) / beta, 0)."""
        return elementwise.clip((self.concentration - 1) / self.rate, min=0)

    @property
    def variance(self) -> Tensor:
        """alpha / beta**2."""
        return self.concentration / self.rate ** 2

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """G / rate, G ~ Gamma(alpha, 1) of shape sample_shape + batch_shape (implicit
        reparameterisation gradient to alpha)."""
        shape = self._extended_shape(sample_shape)
        return StandardGamma.apply(self.concentration.expand(shape)) / self.rate.expand(shape)

    def log_prob(self, value: Tensor) -> Tensor:
        """alpha log beta + (alpha - 1) log x - beta x - log Gamma(alpha) (xlogy: 0 log 0 = 0)."""
        if not isinstance(value, Tensor):
            value = as_tensor(value, dtype=self.rate.dtype)
        if self._validate_args:
            self._validate_sample(value)
        return (binary.xlogy(self.concentration, self.rate)
                + binary.xlogy(self.concentration - 1, value)
                - self.rate * value - unary.lgamma(self.concentration))

    def entropy(self) -> Tensor:
        """alpha - log beta + log Gamma(alpha) + (1 - alpha) digamma(alpha)."""
        return (self.concentration - elementwise.log(self.rate) + unary.lgamma(self.concentration)
                + (1.0 - self.concentration) * unary.digamma(self.concentration))
