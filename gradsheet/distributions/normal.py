"""``Normal(loc, scale)``: the Gaussian N(loc, scale**2)."""
from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any, Optional, Union

from ..factories import randn
from ..ops import elementwise, unary
from . import constraints
from .distribution import ExponentialFamily
from .utils import broadcast_all

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._typing import ShapeLike
    from ..autograd.tensor import Tensor

__all__ = ["Normal"]


class Normal(ExponentialFamily):
    """N(loc, scale**2): p(x) = exp(-(x - loc)**2 / (2 scale**2)) / (scale sqrt(2 pi)).

    ``rsample`` is loc + scale * eps with eps ~ N(0, 1) from gradsheet's generator: gradients
    flow to loc (1) and scale (eps).
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Union[Tensor, float], scale: Union[Tensor, float],
                 validate_args: Optional[bool] = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        numbers_only = isinstance(loc, numbers.Number) and isinstance(scale, numbers.Number)
        super().__init__(() if numbers_only else self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> Normal:
        """Normal with loc and scale expanded to ``batch_shape``."""
        new = self._get_checked_instance(Normal, _instance)
        batch_shape = tuple(batch_shape)
        new.loc, new.scale = self.loc.expand(batch_shape), self.scale.expand(batch_shape)
        return self._finish_expand(new, Normal, batch_shape)

    @property
    def mean(self) -> Tensor:
        """loc."""
        return self.loc

    @property
    def mode(self) -> Tensor:
        """loc."""
        return self.loc

    @property
    def stddev(self) -> Tensor:
        """scale."""
        return self.scale

    @property
    def variance(self) -> Tensor:
        """scale**2."""
        return self.scale ** 2

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """loc + scale * eps, eps ~ N(0, 1) of shape sample_shape + batch_shape."""
        eps = randn(self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value: Tensor) -> Tensor:
        """-(value - loc)**2 / (2 scale**2) - log(scale) - log(sqrt(2 pi))."""
        if self._validate_args:
            self._validate_sample(value)
        return (-((value - self.loc) ** 2) / (2 * self.scale ** 2) - elementwise.log(self.scale)
                - math.log(math.sqrt(2 * math.pi)))

    def cdf(self, value: Tensor) -> Tensor:
        """(1 + erf((value - loc) / (scale sqrt 2))) / 2."""
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + unary.erf((value - self.loc) * unary.reciprocal(self.scale)
                                    / math.sqrt(2)))

    def icdf(self, value: Tensor) -> Tensor:
        """loc + scale sqrt(2) erfinv(2 value - 1)."""
        return self.loc + self.scale * unary.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self) -> Tensor:
        """1/2 + log(2 pi)/2 + log(scale)."""
        return 0.5 + 0.5 * math.log(2 * math.pi) + elementwise.log(self.scale)
