"""``Uniform(low, high)``: the uniform distribution on [low, high)."""
from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from ..autograd.tensor import Tensor
from ..factories import rand
from ..ops import elementwise
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._typing import ShapeLike

__all__ = ["Uniform"]


class Uniform(Distribution):
    """U[low, high): p(x) = 1 / (high - low) on [low, high), 0 elsewhere.

    ``rsample`` is low + u (high - low) with u ~ U[0, 1): gradients flow to low (1 - u) and
    high (u).
    """

    has_rsample = True

    def __init__(self, low: Union[Tensor, float], high: Union[Tensor, float],
                 validate_args: Optional[bool] = None) -> None:
        self.low, self.high = broadcast_all(low, high)
        numbers_only = isinstance(low, numbers.Number) and isinstance(high, numbers.Number)
        super().__init__(() if numbers_only else self.low.shape, validate_args=validate_args)

    @property
    def arg_constraints(self) -> dict[str, constraints.Constraint]:
        """low < high, each against the other."""
        return {"low": constraints.less_than(self.high), "high": constraints.greater_than(self.low)}

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self) -> constraints.Constraint:
        """[low, high]."""
        return constraints.interval(self.low, self.high)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> Uniform:
        """Uniform with low and high expanded to ``batch_shape``."""
        new = self._get_checked_instance(Uniform, _instance)
        batch_shape = tuple(batch_shape)
        new.low, new.high = self.low.expand(batch_shape), self.high.expand(batch_shape)
        return self._finish_expand(new, Uniform, batch_shape)

    @property
    def mean(self) -> Tensor:
        """(low + high) / 2."""
        return (self.high + self.low) / 2

    @property
    def mode(self) -> Tensor:
        """NaN (every point of the interval is a mode)."""
        return math.nan * self.high

    @property
    def stddev(self) -> Tensor:
        """(high - low) / sqrt(12)."""
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self) -> Tensor:
        """(high - low)**2 / 12."""
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """low + u (high - low), u ~ U[0, 1) of shape sample_shape + batch_shape."""
        u = rand(self._extended_shape(sample_shape), dtype=self.low.dtype)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value: Tensor) -> Tensor:
        """-log(high - low) on [low, high), -inf outside."""
        if self._validate_args:
            self._validate_sample(value)
        inside = ((self.low <= value) & (self.high > value)).array
        log_inside = np.where(inside, 0.0, -np.inf).astype(self.low.dtype)  # log of 1 or 0
        return Tensor._wrap(log_inside) - elementwise.log(self.high - self.low)

    def cdf(self, value: Tensor) -> Tensor:
        """(value - low) / (high - low), clamped to [0, 1]."""
        if self._validate_args:
            self._validate_sample(value)
        return elementwise.clip((value - self.low) / (self.high - self.low), 0, 1)

    def icdf(self, value: Tensor) -> Tensor:
        """low + value (high - low)."""
        return value * (self.high - self.low) + self.low

    def entropy(self) -> Tensor:
        """log(high - low)."""
        return elementwise.log(self.high - self.low)
