"""Tensor factories, named and shaped as PyTorch's: tensor, zeros, ones, randn, ..."""
import numpy as np

from . import backend
from .autograd.tensor import Tensor, _to_array


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def _new(array, requires_grad):
    out = Tensor._wrap(array)
    return out.requires_grad_(True) if requires_grad else out


def tensor(data, dtype=None, requires_grad=False):
    """A new tensor holding a copy of ``data``. Python floats get the default dtype;
    NumPy arrays keep theirs; ``dtype=`` overrides both."""
    source = data.array if isinstance(data, Tensor) else data
    array = _to_array(source, None if dtype is None else backend.as_dtype(dtype))
    if array is source:
        array = array.copy()
    return _new(array, requires_grad)


def zeros(*size, dtype=None, requires_grad=False):
    """A tensor of 0s of the given size, as ``zeros(2, 3)`` or ``zeros((2, 3))``; the default
    float dtype unless ``dtype`` says.
    """
    return _new(np.zeros(_shape(size), dtype=backend.as_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    """A tensor of 1s of the given size (``ones(2, 3)`` or ``ones((2, 3))``); the default float dtype
    unless ``dtype`` says.
    """
    return _new(np.ones(_shape(size), dtype=backend.as_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, requires_grad=False):
    """An uninitialised tensor of the given size (its values are whatever memory held)."""
    return _new(np.empty(_shape(size), dtype=backend.as_dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    """A tensor of ``size`` filled with ``fill_value``; as in PyTorch a bool value gives a bool
    tensor, an int an int64 one, a float the default float dtype.
    """
    if dtype is None and isinstance(fill_value, (bool, int)):
        dtype = np.bool_ if isinstance(fill_value, bool) else np.int64
    return _new(np.full(tuple(size), fill_value, dtype=backend.as_dtype(dtype)), requires_grad)


def zeros_like(x, dtype=None, requires_grad=False):
    """A tensor of 0s with ``x``'s shape and (unless ``dtype`` says) dtype."""
    return _new(np.zeros(x.shape, dtype=dtype or x.dtype), requires_grad)


def ones_like(x, dtype=None, requires_grad=False):
    """A tensor of 1s with ``x``'s shape and (unless ``dtype`` says) dtype."""
    return _new(np.ones(x.shape, dtype=dtype or x.dtype), requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad=False):
    """A tensor of ``fill_value`` with ``x``'s shape and (unless ``dtype`` says) dtype."""
    return _new(np.full(x.shape, fill_value, dtype=dtype or x.dtype), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """Integers from start to end (exclusive); floats when any argument is a float."""
    if end is None:
        start, end = 0, start
    values = np.arange(start, end, step)
    if dtype is not None:
        values = values.astype(backend.as_dtype(dtype))
    elif values.dtype.kind == "f":
        values = values.astype(backend.get_default_dtype())
    return _new(values, requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end``, both included:
    start + i (end - start) / (steps - 1).
    """
    return _new(np.linspace(start, end, steps, dtype=backend.as_dtype(dtype)), requires_grad)


def randn(*size, dtype=None, requires_grad=False, generator=None):
    """Standard normal samples from the seeded generator (``manual_seed``)."""
    rng = generator or backend.default_generator()
    return _new(rng.standard_normal(_shape(size), dtype=backend.as_dtype(dtype)), requires_grad)


def rand(*size, dtype=None, requires_grad=False, generator=None):
    """Uniform samples on [0, 1) from the seeded generator."""
    rng = generator or backend.default_generator()
    return _new(rng.random(_shape(size), dtype=backend.as_dtype(dtype)), requires_grad)


def randint(low, high=None, size=(), dtype=None, generator=None):
    """Integers uniform on [low, high)."""
    if high is None:
        low, high = 0, low
    rng = generator or backend.default_generator()
    return _new(rng.integers(low, high, size=tuple(size), dtype=dtype or np.int64), False)


def randn_like(x, dtype=None, requires_grad=False):
    """Standard normal samples with ``x``'s shape and dtype, from the seeded generator."""
    return randn(x.shape, dtype=dtype or x.dtype, requires_grad=requires_grad)


def rand_like(x, dtype=None, requires_grad=False):
    """Uniform samples on [0, 1) with ``x``'s shape and dtype, from the seeded generator."""
    return rand(x.shape, dtype=dtype or x.dtype, requires_grad=requires_grad)


# gradsheet.* (torch.*) names defined here; gradsheet/__init__.py imports them with *
__all__ = [
    "arange", "empty", "full", "full_like", "linspace", "ones", "ones_like", "rand", "rand_like",
    "randint", "randn", "randn_like", "tensor", "zeros", "zeros_like",
]
