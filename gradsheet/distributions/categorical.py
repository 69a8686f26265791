"""``Categorical(probs=None, logits=None)``: one of K classes 0, ..., K-1."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..autograd import grad_mode
from ..factories import arange, full
from ..ops import elementwise, random, reduce, shape
from . import constraints
from .distribution import Distribution
from .utils import lazy_property, logits_to_probs, probs_to_logits

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._typing import ShapeLike
    from ..autograd.tensor import Tensor

__all__ = ["Categorical"]


class Categorical(Distribution):
    """P(X = k) = p_k for k = 0, ..., K-1 (K = the last size of the parameter), given as
    ``probs`` (non-negative, normalised to sum to 1 over the last dimension) or ``logits``
    (unnormalised log probabilities, normalised to logits - logsumexp(logits)); exactly one.
    The leading dimensions of the parameter are the batch shape.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs: Optional[Tensor] = None, logits: Optional[Tensor] = None,
                 validate_args: Optional[bool] = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            self._param = self.probs
        else:
            assert logits is not None  # exactly one of them is given (checked above)
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
            self._param = self.logits
        self._num_events = self._param.shape[-1]
        batch_shape = self._param.shape[:-1] if self._param.dim() > 1 else ()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> Categorical:
        """Categorical with its parameter expanded to ``batch_shape`` + (K,)."""
        new = self._get_checked_instance(Categorical, _instance)
        batch_shape = tuple(batch_shape)
        param_shape = batch_shape + (self._num_events,)
        if "probs" in self.__dict__:
            new.probs = new._param = self.probs.expand(param_shape)
        if "logits" in self.__dict__:
            new.logits = new._param = self.logits.expand(param_shape)
        new._num_events = self._num_events
        return self._finish_expand(new, Categorical, batch_shape)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> constraints.Constraint:
        """The integers 0, ..., K-1."""
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self) -> Tensor:
        """log(p) (p clamped to [eps, 1 - eps])."""
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> Tensor:
        """softmax(logits) over the last dimension."""
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> tuple[int, ...]:
        """The shape of the given parameter: batch_shape + (K,)."""
        return self._param.shape

    @property
    def mean(self) -> Tensor:
        """NaN (a category has no mean), of shape batch_shape."""
        return full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    @property
    def mode(self) -> Tensor:
        """argmax_k p_k."""
        return self.probs.argmax(dim=-1)

    @property
    def variance(self) -> Tensor:
        """NaN, of shape batch_shape."""
        return full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """Class indices (int64) of shape sample_shape + batch_shape."""
        sample_shape = tuple(sample_shape) if not isinstance(sample_shape, int) else (sample_shape,)
        n = int(np.prod(sample_shape, dtype=np.int64))
        with grad_mode.no_grad():
            probs_2d = self.probs.reshape(-1, self._num_events)
            if n == 0 or probs_2d.shape[0] == 0:
                from ..factories import zeros
                from ..backend import as_dtype
                return zeros(self._extended_shape(sample_shape), dtype=as_dtype("int64"))
            samples_2d = random.multinomial(probs_2d, n, True).T
            return samples_2d.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value: Tensor) -> Tensor:
        """log p_value: the normalised logits gathered at the class index value."""
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = shape.broadcast_tensors(value, self.logits)
        value = value[..., :1]
        return log_pmf.gather(-1, value).squeeze(-1)

    def entropy(self) -> Tensor:
        """-sum_k p_k log p_k (the logits clamped to the dtype's lowest finite value, so that
        p_k = 0 adds 0)."""
        min_real = float(np.finfo(self.logits.dtype).min)
        logits = elementwise.clip(self.logits, min=min_real)
        return -reduce.sum(logits * self.probs, -1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """0, ..., K-1 along dimension 0 (then the batch dims, singleton unless ``expand``)."""
        values = arange(self._num_events).reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + self._batch_shape) if expand else values
