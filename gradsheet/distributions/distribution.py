"""``Distribution``: the base class (``torch.distributions.Distribution``), and
``ExponentialFamily``."""
import warnings

import numpy as np

from ..autograd import grad_mode
from ..autograd.tensor import Tensor
from ..ops import elementwise
from . import constraints
from .utils import lazy_property

__all__ = ["Distribution", "ExponentialFamily"]


def _shape(shape, what="sample_shape"):
    """A shape (tuple of ints) from a tuple, list, torch.Size-like or a single int."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        return (int(shape),)
    try:
        result = tuple(int(s) for s in shape)
    except TypeError:
        raise TypeError(f"{what} must be a tuple of ints, got {type(shape).__name__}") from None
    if any(s < 0 for s in result):
        raise ValueError(f"{what} must not hold negative sizes, got {result}")
    return result


def _size_text(value):
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
    def set_default_validate_args(value):
        """Turn argument validation on (True, the default unless ``python -O``) or off for every
        distribution made without an explicit ``validate_args``."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args: expected True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
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
    def batch_shape(self):
        """The shape over which the parameters are batched (a tuple)."""
        return self._batch_shape

    @property
    def event_shape(self):
        """The shape of one sample, without batching (a tuple)."""
        return self._event_shape

    def _extended_shape(self, sample_shape=()):
        """sample_shape + batch_shape + event_shape."""
        return _shape(sample_shape) + self._batch_shape + self._event_shape

    def expand(self, batch_shape, _instance=None):
        """A distribution with the parameters expanded (broadcast, without copying) to
        ``batch_shape``; not validated again."""
        raise NotImplementedError

    def _get_checked_instance(self, cls, _instance=None):
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(
                f"Subclass {type(self).__name__} of {cls.__name__} that defines a custom "
                "__init__ method must also define a custom .expand() method.")
        return self.__new__(type(self)) if _instance is None else _instance

    def _finish_expand(self, new, cls, batch_shape, event_shape=None):
        Distribution.__init__(new, batch_shape,
                              self._event_shape if event_shape is None else event_shape,
                              validate_args=False)
        new._validate_args = self._validate_args
        return new

    # ------------------------------------------------------------ constraints
    @property
    def arg_constraints(self):
        """The constraint of each parameter: a dict from its name."""
        raise NotImplementedError

    @property
    def support(self):
        """The constraint the samples satisfy."""
        raise NotImplementedError

    # ------------------------------------------------------------ moments
    @property
    def mean(self):
        """E[X], of shape batch_shape + event_shape."""
        raise NotImplementedError

    @property
    def mode(self):
        """The most likely value, of shape batch_shape + event_shape."""
        raise NotImplementedError(f"{type(self)} does not implement mode")

    @property
    def variance(self):
        """Var[X] = E[(X - E X)**2], elementwise."""
        raise NotImplementedError

    @property
    def stddev(self):
        """sqrt(Var[X])."""
        return elementwise.sqrt(self.variance)

    # ------------------------------------------------------------ sampling and densities
    def sample(self, sample_shape=()):
        """A draw of shape sample_shape + batch_shape + event_shape, outside the graph (no
        gradient), from gradsheet's seeded generator."""
        with grad_mode.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()):
        """A reparameterised draw: a differentiable function of the parameters and fixed noise,
        so gradients flow from the sample to the parameters."""
        raise NotImplementedError(f"{type(self).__name__} has no reparameterised sampler "
                                  "(rsample); use sample()")

    def sample_n(self, n):
        """``sample((n,))`` (deprecated in torch)."""
        warnings.warn("`sample_n(n)` will be deprecated. Use `sample((n,))` instead.",
                      FutureWarning, stacklevel=2)
        return self.sample((n,))

    def log_prob(self, value):
        """log p(value): the log density (or mass) at value, of shape broadcast(value's batch
        dims, batch_shape)."""
        raise NotImplementedError

    def cdf(self, value):
        """P(X <= value)."""
        raise NotImplementedError

    def icdf(self, value):
        """The inverse of cdf: the x with P(X <= x) = value."""
        raise NotImplementedError

    def enumerate_support(self, expand=True):
        """Every value of a discrete distribution along dimension 0, of shape (cardinality,) +
        batch_shape + event_shape (singleton batch dims when ``expand`` is False)."""
        raise NotImplementedError

    def entropy(self):
        """H = -E[log p(X)], of shape batch_shape."""
        raise NotImplementedError

    def perplexity(self):
        """exp(H), of shape batch_shape."""
        return elementwise.exp(self.entropy())

    def _validate_sample(self, value):
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

    def __repr__(self):
        try:
            names = [k for k in self.arg_constraints if k in self.__dict__]
        except NotImplementedError:
            names = []
        args = ", ".join(f"{k}: {_size_text(self.__dict__[k])}" for k in names)
        return f"{type(self).__name__}({args})"


class ExponentialFamily(Distribution):
    """A distribution of the exponential family, p(x) = h(x) exp(<theta, t(x)> - F(theta))
    (base class of Bernoulli, Beta, Gamma and Normal, as in torch)."""
