"""``Distribution``: the base class (``torch.distributions.Distribution``), and
``ExponentialFamily``."""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..autograd import grad_mode
from ..autograd.tensor import Tensor
from ..ops import elementwise
from . import constraints
from .utils import lazy_property

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._typing import ShapeLike

__all__ = ["Distribution", "ExponentialFamily"]


def _shape(shape: ShapeLike, what: str = "sample_shape") -> tuple[int, ...]:
    """A shape (tuple of ints) from a tuple, list, torch.Size-like or a single int."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        return (int(shape),)
    try:
        # a bool lands here on purpose: iterating it raises the TypeError below
        result = tuple(int(s) for s in shape)  # type: ignore[union-attr]
    except TypeError:
        raise TypeError(f"{what} must be a tuple of ints, got {type(shape).__name__}") from None
    if any(s < 0 for s in result):
        raise ValueError(f"{what} must not hold negative sizes, got {result}")
    return result


def _size_text(value: Tensor) -> str:
    return repr(value) if value.numel() == 1 else f"{tuple(value.shape)}"


class Distribution:
    """A probability distribution: batches of independent events of ``event_shape``, laid out
    over ``batch_shape``; ``sample``/``rsample``, ``log_prob``, ``entropy``, moments.

    ``validate_args`` (None: the class default, ``Distribution.set_default_validate_args``)
    checks the parameters against ``arg_constraints`` on construction and the values given to
    ``log_prob`` against ``support``, raising ValueError.
    """

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn argument validation on (True, the default unless ``python -O``) or off for every
        distribution made without an explicit ``validate_args``."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args: expected True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape: ShapeLike = (), event_shape: ShapeLike = (),
                 validate_args: Optional[bool] = None) -> None:
        self._batch_shape = _shape(batch_shape, "batch_shape")
        self._event_shape = _shape(event_shape, "event_shape")
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            try:
                arg_constraints = self.arg_constraints
            except NotImplementedError:
                arg_constraints = {}
                warnings.warn(f"{type(self)} does not define `arg_constraints`. Please set "
                              "`arg_constraints = {}` or initialize the distribution with "
                              "`validate_args=False` to turn off validation.", stacklevel=2)
            for param, constraint in arg_constraints.items():
                if constraints.is_dependent(constraint):
                    continue  # its region depends on other parameters
                if param not in self.__dict__ and \
                        isinstance(getattr(type(self), param, None), lazy_property):
                    continue  # not given: computed from the parameter that was
                value = getattr(self, param)
                if not bool(np.all(constraint.check(value).array)):
                    raise ValueError(
                        f"Expected parameter {param} ({type(value).__name__} of shape "
                        f"{tuple(value.shape)}) of distribution {self!r} to satisfy the "
                        f"constraint {constraint!r}, but found invalid values:\n{value}")

    # ------------------------------------------------------------ shapes
    @property
    def batch_shape(self) -> tuple[int, ...]:
        """The shape over which the parameters are batched (a tuple)."""
        return self._batch_shape

    @property
    def event_shape(self) -> tuple[int, ...]:
        """The shape of one sample, without batching (a tuple)."""
        return self._event_shape

    def _extended_shape(self, sample_shape: ShapeLike = ()) -> tuple[int, ...]:
        """sample_shape + batch_shape + event_shape."""
        return _shape(sample_shape) + self._batch_shape + self._event_shape

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> Distribution:
        """A distribution with the parameters expanded (broadcast, without copying) to
        ``batch_shape``; not validated again."""
        raise NotImplementedError

    def _get_checked_instance(self, cls: type[Distribution], _instance: Any = None) -> Any:
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(
                f"Subclass {type(self).__name__} of {cls.__name__} that defines a custom "
                "__init__ method must also define a custom .expand() method.")
        return self.__new__(type(self)) if _instance is None else _instance

    def _finish_expand(self, new: Any, cls: type[Distribution], batch_shape: ShapeLike,
                       event_shape: Optional[ShapeLike] = None) -> Any:
        Distribution.__init__(new, batch_shape,
                              self._event_shape if event_shape is None else event_shape,
                              validate_args=False)
        new._validate_args = self._validate_args
        return new

    # ------------------------------------------------------------ constraints
    @property
    def arg_constraints(self) -> dict[str, constraints.Constraint]:
        """The constraint of each parameter: a dict from its name."""
        raise NotImplementedError

    @property
    def support(self) -> constraints.Constraint:
        """The constraint the samples satisfy."""
        raise NotImplementedError

    # ------------------------------------------------------------ moments
    @property
    def mean(self) -> Tensor:
        """E[X], of shape batch_shape + event_shape."""
        raise NotImplementedError

    @property
    def mode(self) -> Tensor:
        """The most likely value, of shape batch_shape + event_shape."""
        raise NotImplementedError(f"{type(self)} does not implement mode")

    @property
    def variance(self) -> Tensor:
        """Var[X] = E[(X - E X)**2], elementwise."""
        raise NotImplementedError

    @property
    def stddev(self) -> Tensor:
        """sqrt(Var[X])."""
        return elementwise.sqrt(self.variance)

    # ------------------------------------------------------------ sampling and densities
    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """A draw of shape sample_shape + batch_shape + event_shape, outside the graph (no
        gradient), from gradsheet's seeded generator."""
        with grad_mode.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """A reparameterised draw: a differentiable function of the parameters and fixed noise,
        so gradients flow from the sample to the parameters."""
        raise NotImplementedError(f"{type(self).__name__} has no reparameterised sampler "
                                  "(rsample); use sample()")

    def sample_n(self, n: int) -> Tensor:
        """``sample((n,))`` (deprecated in torch)."""
        warnings.warn("`sample_n(n)` will be deprecated. Use `sample((n,))` instead.",
                      FutureWarning, stacklevel=2)
        return self.sample((n,))

    def log_prob(self, value: Tensor) -> Tensor:
        """log p(value): the log density (or mass) at value, of shape broadcast(value's batch
        dims, batch_shape)."""
        raise NotImplementedError

    def cdf(self, value: Tensor) -> Tensor:
        """P(X <= value)."""
        raise NotImplementedError

    def icdf(self, value: Tensor) -> Tensor:
        """The inverse of cdf: the x with P(X <= x) = value."""
        raise NotImplementedError

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """Every value of a discrete distribution along dimension 0, of shape (cardinality,) +
        batch_shape + event_shape (singleton batch dims when ``expand`` is False)."""
        raise NotImplementedError

    def entropy(self) -> Tensor:
        """H = -E[log p(X)], of shape batch_shape."""
        raise NotImplementedError

    def perplexity(self) -> Tensor:
        """exp(H), of shape batch_shape."""
        return elementwise.exp(self.entropy())

    def _validate_sample(self, value: Tensor) -> None:
        """ValueError unless value is a tensor whose rightmost sizes match event_shape, which
        broadcasts with batch_shape + event_shape and lies in the support."""
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        shape = tuple(value.shape)
        start = len(shape) - len(self._event_shape)
        if shape[start:] != self._event_shape:
            raise ValueError(f"The right-most size of value must match event_shape: {shape} vs "
                             f"{self._event_shape}.")
        expected = self._batch_shape + self._event_shape
        for i, j in zip(reversed(shape), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{shape} vs {expected}.")
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(f"{type(self)} does not define `support` to enable sample validation. "
                          "Please initialize the distribution with `validate_args=False` to "
                          "turn off validation.", stacklevel=2)
            return
        if not bool(np.all(support.check(value).array)):
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape {shape}) "
                             f"to be within the support ({support!r}) of the distribution "
                             f"{self!r}, but found invalid values:\n{value}")

    def __repr__(self) -> str:
        try:
            names = [k for k in self.arg_constraints if k in self.__dict__]
        except NotImplementedError:
            names = []
        args = ", ".join(f"{k}: {_size_text(self.__dict__[k])}" for k in names)
        return f"{type(self).__name__}({args})"


class ExponentialFamily(Distribution):
    """A distribution of the exponential family, p(x) = h(x) exp(<theta, t(x)> - F(theta))
    (base class of Bernoulli, Beta, Gamma and Normal, as in torch)."""
