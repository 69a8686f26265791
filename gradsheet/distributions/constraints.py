"""Constraints: the regions a distribution's parameters and samples live in (``torch.distributions.
constraints``).

A constraint's ``check(value)`` gives a bool tensor of the value's shape less the constraint's
``event_dim`` rightmost dimensions: True where the event is inside. ``Distribution`` checks its
parameters against ``arg_constraints`` and, with validation on, the values given to
``log_prob`` against ``support``. Constraints whose region depends on other parameters (a
Uniform's support) are ``dependent``; they cannot be checked on their own.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

import numpy as np

from ..autograd.tensor import Tensor

if TYPE_CHECKING:
    from .._typing import TensorLike

__all__ = [
    "Constraint", "boolean", "dependent", "dependent_property", "greater_than", "greater_than_eq",
    "half_open_interval", "independent", "integer_interval", "interval", "is_dependent",
    "less_than", "lower_cholesky", "lower_triangular", "nonnegative", "nonnegative_integer",
    "one_hot", "positive", "positive_definite", "positive_integer", "positive_semidefinite",
    "real", "real_vector", "simplex", "square", "symmetric", "unit_interval",
]


def _array(x: TensorLike) -> np.ndarray:
    """The NumPy values of a tensor or number (bounds may be either)."""
    return x.array if isinstance(x, Tensor) else np.asarray(x)


def _result(mask: Any) -> Tensor:
    return Tensor._wrap(np.asarray(mask, dtype=bool))


def _all_last(mask: Any, k: int) -> np.ndarray:
    """``mask`` reduced with ``all`` over its last ``k`` dimensions."""
    mask = np.asarray(mask)
    return np.all(mask, axis=tuple(range(mask.ndim - k, mask.ndim))) if k else mask


def _bound_text(bound: TensorLike) -> str:
    """A bound as torch's f-strings print it: a 0-d tensor as its number."""
    if isinstance(bound, Tensor):
        return str(bound.item()) if bound.dim() == 0 else str(bound)
    return repr(float(bound)) if isinstance(bound, (int, float, np.floating)) and \
        not isinstance(bound, bool) else repr(bound)


class Constraint:
    """A region of values: ``check(value)`` is True for each event of ``value`` inside it.

    ``is_discrete``: whether the region is discrete; ``event_dim``: how many rightmost
    dimensions make one event (``check`` reduces them away).
    """

    is_discrete = False
    event_dim = 0

    def check(self, value: TensorLike) -> Tensor:
        """A bool tensor: which events of ``value`` satisfy the constraint."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return type(self).__name__.lstrip("_") + "()"


class _Dependent(Constraint):
    """A placeholder for a region that depends on other parameters: it cannot be checked."""

    def __init__(self, *, is_discrete: bool = NotImplemented,
                 event_dim: int = NotImplemented) -> None:
        self._is_discrete = is_discrete
        self._event_dim = event_dim

    # read-only properties over Constraint's class attributes (as torch's _Dependent does)
    @property
    def is_discrete(self) -> bool:  # type: ignore[override]  # raises where not given
        """Whether discrete, where given; NotImplementedError otherwise."""
        if self._is_discrete is NotImplemented:
            raise NotImplementedError(".is_discrete cannot be determined statically")
        return self._is_discrete

    @property
    def event_dim(self) -> int:  # type: ignore[override]  # raises where not given
        """The event dimensions, where given; NotImplementedError otherwise."""
        if self._event_dim is NotImplemented:
            raise NotImplementedError(".event_dim cannot be determined statically")
        return self._event_dim

    def __call__(self, *, is_discrete: bool = NotImplemented,
                 event_dim: int = NotImplemented) -> _Dependent:
        """A dependent constraint with the given static attributes."""
        return _Dependent(is_discrete=self._is_discrete if is_discrete is NotImplemented
                          else is_discrete,
                          event_dim=self._event_dim if event_dim is NotImplemented else event_dim)

    def check(self, value: TensorLike) -> Tensor:
        """Always ValueError: a dependent region cannot be checked on its own."""
        raise ValueError("Cannot determine validity of dependent constraint")


def is_dependent(constraint: Any) -> bool:
    """Whether ``constraint`` is a dependent one (skipped by argument validation)."""
    return isinstance(constraint, _Dependent)


class _DependentProperty(property, _Dependent):
    """A property on instances (``Uniform(...).support`` is an interval) that reads as a
    dependent constraint on the class (``Uniform.support``)."""

    def __init__(self, fn: Optional[Callable[[Any], Any]] = None, *,
                 is_discrete: bool = NotImplemented, event_dim: int = NotImplemented) -> None:
        property.__init__(self, fn)
        self._is_discrete = is_discrete
        self._event_dim = event_dim

    # the decorator's call (torch's too) takes the function, not _Dependent's keywords
    def __call__(self, fn: Callable[[Any], Any]) -> _DependentProperty:  # type: ignore[override]
        """Decorate ``fn``: ``@dependent_property(is_discrete=..., event_dim=...)``."""
        return _DependentProperty(fn, is_discrete=self._is_discrete, event_dim=self._event_dim)


class _IndependentConstraint(Constraint):
    """``base_constraint`` with its last ``reinterpreted_batch_ndims`` batch dimensions made
    part of the event: an event holds when every entry does."""

    def __init__(self, base_constraint: Constraint, reinterpreted_batch_ndims: int) -> None:
        if not isinstance(base_constraint, Constraint):
            raise TypeError(f"independent: base_constraint must be a Constraint, got "
                            f"{type(base_constraint).__name__}")
        if isinstance(reinterpreted_batch_ndims, bool) or \
                not isinstance(reinterpreted_batch_ndims, int) or reinterpreted_batch_ndims < 0:
            raise ValueError(f"independent: reinterpreted_batch_ndims must be an int >= 0, got "
                             f"{reinterpreted_batch_ndims!r}")
        self.base_constraint = base_constraint
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    @property
    def is_discrete(self) -> bool:  # type: ignore[override]  # read-only: the base's
        """The base constraint's."""
        return self.base_constraint.is_discrete

    @property
    def event_dim(self) -> int:  # type: ignore[override]  # read-only: from the base's
        """The base's event dimensions plus the reinterpreted ones."""
        return self.base_constraint.event_dim + self.reinterpreted_batch_ndims

    def check(self, value: TensorLike) -> Tensor:
        """The base check, reduced with ``all`` over the reinterpreted dimensions."""
        result = self.base_constraint.check(value).array
        if result.ndim < self.reinterpreted_batch_ndims:
            raise ValueError(f"Expected value.dim() >= {self.event_dim} but got "
                             f"{_array(value).ndim}")
        return _result(_all_last(result, self.reinterpreted_batch_ndims))

    def __repr__(self) -> str:
        return f"IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


class _Boolean(Constraint):
    """The two values {0, 1}."""

    is_discrete = True

    def check(self, value: TensorLike) -> Tensor:
        """value == 0 or value == 1."""
        v = _array(value)
        return _result((v == 0) | (v == 1))


class _OneHot(Constraint):
    """One-hot vectors: entries 0 or 1 summing to 1."""

    is_discrete = True
    event_dim = 1

    def check(self, value: TensorLike) -> Tensor:
        """Every entry 0 or 1, and their sum 1."""
        v = _array(value)
        return _result(np.all((v == 0) | (v == 1), axis=-1) & (v.sum(-1) == 1))


class _IntegerInterval(Constraint):
    """The integers in [lower_bound, upper_bound]."""

    is_discrete = True

    def __init__(self, lower_bound: TensorLike, upper_bound: TensorLike) -> None:
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value: TensorLike) -> Tensor:
        """value is a whole number and lower_bound <= value <= upper_bound."""
        v = _array(value)
        with np.errstate(invalid="ignore"):
            return _result((v % 1 == 0) & (_array(self.lower_bound) <= v)
                           & (v <= _array(self.upper_bound)))

    def __repr__(self) -> str:
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerGreaterThan(Constraint):
    """The integers >= lower_bound."""

    is_discrete = True

    def __init__(self, lower_bound: TensorLike) -> None:
        self.lower_bound = lower_bound

    def check(self, value: TensorLike) -> Tensor:
        """value is a whole number and value >= lower_bound."""
        v = _array(value)
        with np.errstate(invalid="ignore"):
            return _result((v % 1 == 0) & (v >= _array(self.lower_bound)))

    def __repr__(self) -> str:
        return f"IntegerGreaterThan(lower_bound={self.lower_bound})"


class _Real(Constraint):
    """The extended real line [-inf, inf]: anything but NaN."""

    def check(self, value: TensorLike) -> Tensor:
        """value == value (False for NaN)."""
        v = _array(value)
        return _result(v == v)


class _GreaterThan(Constraint):
    """(lower_bound, inf]."""

    def __init__(self, lower_bound: TensorLike) -> None:
        self.lower_bound = lower_bound

    def check(self, value: TensorLike) -> Tensor:
        """lower_bound < value."""
        return _result(_array(self.lower_bound) < _array(value))

    def __repr__(self) -> str:
        return f"GreaterThan(lower_bound={_bound_text(self.lower_bound)})"


class _GreaterThanEq(Constraint):
    """[lower_bound, inf)."""

    def __init__(self, lower_bound: TensorLike) -> None:
        self.lower_bound = lower_bound

    def check(self, value: TensorLike) -> Tensor:
        """lower_bound <= value."""
        return _result(_array(self.lower_bound) <= _array(value))

    def __repr__(self) -> str:
        return f"GreaterThanEq(lower_bound={_bound_text(self.lower_bound)})"


class _LessThan(Constraint):
    """[-inf, upper_bound)."""

    def __init__(self, upper_bound: TensorLike) -> None:
        self.upper_bound = upper_bound

    def check(self, value: TensorLike) -> Tensor:
        """value < upper_bound."""
        return _result(_array(value) < _array(self.upper_bound))

    def __repr__(self) -> str:
        return f"LessThan(upper_bound={_bound_text(self.upper_bound)})"


class _Interval(Constraint):
    """[lower_bound, upper_bound]."""

    def __init__(self, lower_bound: TensorLike, upper_bound: TensorLike) -> None:
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value: TensorLike) -> Tensor:
        """lower_bound <= value <= upper_bound."""
        v = _array(value)
        return _result((_array(self.lower_bound) <= v) & (v <= _array(self.upper_bound)))

    def __repr__(self) -> str:
        return (f"{type(self).__name__.lstrip('_')}(lower_bound={_bound_text(self.lower_bound)}, "
                f"upper_bound={_bound_text(self.upper_bound)})")


class _HalfOpenInterval(_Interval):
    """[lower_bound, upper_bound)."""

    def check(self, value: TensorLike) -> Tensor:
        """lower_bound <= value < upper_bound."""
        v = _array(value)
        return _result((_array(self.lower_bound) <= v) & (v < _array(self.upper_bound)))


class _Simplex(Constraint):
    """The probability simplex in the last dimension: x >= 0 and |sum(x) - 1| < 1e-6."""

    event_dim = 1

    def check(self, value: TensorLike) -> Tensor:
        """All entries >= 0 and their sum within 1e-6 of 1."""
        v = _array(value)
        with np.errstate(invalid="ignore"):
            return _result(np.all(v >= 0, axis=-1) & (np.abs(v.sum(-1) - 1) < 1e-6))


class _LowerTriangular(Constraint):
    """Lower-triangular square matrices."""

    event_dim = 2

    def check(self, value: TensorLike) -> Tensor:
        """value equals its lower triangle."""
        v = _array(value)
        return _result(_all_last(np.tril(v) == v, 2))


class _LowerCholesky(Constraint):
    """Lower-triangular matrices with a positive diagonal (Cholesky factors)."""

    event_dim = 2

    def check(self, value: TensorLike) -> Tensor:
        """Lower triangular, and every diagonal entry > 0."""
        v = _array(value)
        diagonal = np.diagonal(v, axis1=-2, axis2=-1)
        return _result(_all_last(np.tril(v) == v, 2) & np.all(diagonal > 0, axis=-1))


class _Square(Constraint):
    """Square matrices."""

    event_dim = 2

    def check(self, value: TensorLike) -> Tensor:
        """Whether the last two sizes agree (one answer per matrix)."""
        v = _array(value)
        return _result(np.full(v.shape[:-2], v.shape[-2] == v.shape[-1]))


class _Symmetric(_Square):
    """Symmetric square matrices (to within an absolute 1e-6, as torch)."""

    def check(self, value: TensorLike) -> Tensor:
        """Square, and value close to its transpose."""
        square = super().check(value)
        if not square.array.all():
            return square
        v = _array(value)
        close = np.isclose(v, np.swapaxes(v, -1, -2), atol=1e-6)
        return _result(_all_last(close, 2))


class _PositiveSemidefinite(_Symmetric):
    """Symmetric matrices with eigenvalues >= 0."""

    def check(self, value: TensorLike) -> Tensor:
        """Symmetric, and every eigenvalue >= 0."""
        symmetric = super().check(value)
        if not symmetric.array.all():
            return symmetric
        return _result(np.all(np.linalg.eigvalsh(_array(value)) >= 0, axis=-1))


class _PositiveDefinite(_Symmetric):
    """Symmetric positive-definite matrices (a Cholesky factorization exists)."""

    def check(self, value: TensorLike) -> Tensor:
        """Symmetric, and the Cholesky factorization succeeds."""
        symmetric = super().check(value)
        if not symmetric.array.all():
            return symmetric
        v = _array(value)
        if v.size == 0:
            return _result(np.ones(v.shape[:-2], bool))
        # eigenvalues > 0 is the Cholesky test, vectorised over the batch (no per-matrix loop)
        return _result(np.all(np.linalg.eigvalsh(v) > 0, axis=-1))


dependent = _Dependent()
dependent_property = _DependentProperty
independent = _IndependentConstraint
boolean = _Boolean()
one_hot = _OneHot()
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
integer_interval = _IntegerInterval
real = _Real()
real_vector = independent(real, 1)
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
unit_interval = _Interval(0.0, 1.0)
interval = _Interval
half_open_interval = _HalfOpenInterval
simplex = _Simplex()
lower_triangular = _LowerTriangular()
lower_cholesky = _LowerCholesky()
square = _Square()
symmetric = _Symmetric()
positive_semidefinite = _PositiveSemidefinite()
positive_definite = _PositiveDefinite()
