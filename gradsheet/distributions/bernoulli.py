"""``Bernoulli(probs=None, logits=None)``: a 0/1 variable that is 1 with probability p."""
from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any, Optional, Union

from ..autograd import grad_mode
from ..factories import arange
from ..ops import elementwise, promotion, random
from ..ops.loss import binary_cross_entropy_with_logits
from . import constraints
from .distribution import ExponentialFamily
from .utils import broadcast_all, lazy_property, logits_to_probs, probs_to_logits

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._typing import ShapeLike
    from ..autograd.tensor import Tensor

__all__ = ["Bernoulli"]


class Bernoulli(ExponentialFamily):
    """P(X = 1) = p, P(X = 0) = 1 - p, given as ``probs`` p or ``logits`` log(p / (1 - p))
    (exactly one); the other is computed on first use.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs: Optional[Union[Tensor, float]] = None,
                 logits: Optional[Union[Tensor, float]] = None,
                 validate_args: Optional[bool] = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        given = probs if probs is not None else logits
        assert given is not None  # exactly one of them is given (checked above)
        (param,) = broadcast_all(given)
        if probs is not None:
            self.probs = param
        else:
            self.logits = param
        self._param = param
        batch_shape = () if isinstance(given, numbers.Number) else param.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> Bernoulli:
        """Bernoulli with its parameter expanded to ``batch_shape``."""
        new = self._get_checked_instance(Bernoulli, _instance)
        batch_shape = tuple(batch_shape)
        if "probs" in self.__dict__:
            new.probs = new._param = self.probs.expand(batch_shape)
        if "logits" in self.__dict__:
            new.logits = new._param = self.logits.expand(batch_shape)
        return self._finish_expand(new, Bernoulli, batch_shape)

    @lazy_property
    def logits(self) -> Tensor:
        """log(p) - log(1 - p) (p clamped to [eps, 1 - eps])."""
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        """sigmoid(logits)."""
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> tuple[int, ...]:
        """The shape of the given parameter."""
        return self._param.shape

    @property
    def mean(self) -> Tensor:
        """p."""
        return self.probs

    @property
    def mode(self) -> Tensor:
        """1 where p > 1/2, 0 where p < 1/2, NaN at p = 1/2."""
        mode = (self.probs >= 0.5).type_as(self.probs)
        return elementwise.where(self.probs == 0.5, math.nan, mode).detach()

    @property
    def variance(self) -> Tensor:
        """p (1 - p)."""
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """0/1 draws of shape sample_shape + batch_shape (in the parameter's dtype)."""
        shape = self._extended_shape(sample_shape)
        with grad_mode.no_grad():
            return random.bernoulli(self.probs.expand(shape))

    def log_prob(self, value: Tensor) -> Tensor:
        """value log p + (1 - value) log(1 - p) = -BCE(logits, value), stable in the logits."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        dtype = promotion.result_type(logits, value)  # torch's promotion of the two
        logits, value = elementwise.cast(logits, dtype), elementwise.cast(value, dtype)
        return -binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self) -> Tensor:
        """-p log p - (1 - p) log(1 - p) = BCE(logits, p)."""
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """[0, 1] along dimension 0 (then the batch dims, singleton unless ``expand``)."""
        values = arange(2, dtype=self._param.dtype).reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + self._batch_shape) if expand else values

