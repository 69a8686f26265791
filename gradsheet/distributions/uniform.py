"""``Uniform(low, high)``: the uniform distribution on [low, high)."""
import math
import numbers

import numpy as np

from ..autograd.tensor import Tensor
from ..factories import rand
from ..ops import elementwise
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Uniform"]


class Uniform(Distribution):
    """U[low, high): p(x) = 1 / (high - low) on [low, high), 0 elsewhere.

    ``rsample`` is low + u (high - low) with u ~ U[0, 1): gradients flow to low (1 - u) and
    high (u).
    """

    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        numbers_only = isinstance(low, numbers.Number) and isinstance(high, numbers.Number)
        super().__init__(() if numbers_only else self.low.shape, validate_args=validate_args)

    @property
    def arg_constraints(self):
        """low < high, each against the other."""
        return {"low": constraints.less_than(self.high), "high": constraints.greater_than(self.low)}

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        """[low, high]."""
        return constraints.interval(self.low, self.high)

    def expand(self, batch_shape, _instance=None):
        """Uniform with low and high expanded to ``batch_shape``."""
        new = self._get_checked_instance(Uniform, _instance)
        batch_shape = tuple(batch_shape)
        new.low, new.high = self.low.expand(batch_shape), self.high.expand(batch_shape)
        return self._finish_expand(new, Uniform, batch_shape)

    @property
    def mean(self):
        """(low + high) / 2."""
        return (self.high + self.low) / 2

    @property
    def mode(self):
        """NaN (every point of the interval is a mode)."""
        return math.nan * self.high

    @property
    def stddev(self):
        """(high - low) / sqrt(12)."""
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self):
        """(high - low)**2 / 12."""
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape=()):
        """low + u (high - low), u ~ U[0, 1) of shape sample_shape + batch_shape."""
        u = rand(self._extended_shape(sample_shape), dtype=self.low.dtype)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        """-log(high - low) on [low, high), -inf outside."""
        if self._validate_args:
            self._validate_sample(value)
        inside = ((self.low <= value) & (self.high > value)).array
        log_inside = np.where(inside, 0.0, -np.inf).astype(self.low.dtype)  # log of 1 or 0
        return Tensor._wrap(log_inside) - elementwise.log(self.high - self.low)

    def cdf(self, value):
        """(value - low) / (high - low), clamped to [0, 1]."""
        if self._validate_args:
            self._validate_sample(value)
        return elementwise.clip((value - self.low) / (self.high - self.low), 0, 1)

    def icdf(self, value):
        """low + value (high - low)."""
        return value * (self.high - self.low) + self.low

    def entropy(self):
        """log(high - low)."""
        return elementwise.log(self.high - self.low)
