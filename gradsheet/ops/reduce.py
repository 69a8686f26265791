"""Reductions over dimensions: sum, mean, max, min, var, std, logsumexp, argmax, argmin.

``dim`` is None (all dimensions), an int or a tuple; ``keepdim`` keeps the
reduced dimensions as size 1. The backward of a reduction broadcasts the
incoming gradient back over the reduced dimensions.
"""
import builtins
from collections import namedtuple

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, as_tensor
from ..autograd.methods import tensor_method
from . import elementwise

MaxMin = namedtuple("MaxMin", ["values", "indices"])


def _axes(op, dim, ndim):
    """Normalise ``dim`` to a sorted tuple of non-negative axes (None or (): all of them, as
    in PyTorch)."""
    if dim is None or (isinstance(dim, (tuple, list)) and not dim):
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    axes = []
    for d in dims:
        if not -builtins.max(ndim, 1) <= d < builtins.max(ndim, 1):
            raise IndexError(f"{op}: dim {d} is out of range for a tensor of {ndim} dimensions")
        axes.append(d % builtins.max(ndim, 1))
    return tuple(sorted(set(axes))) if ndim else ()


def _expand_back(g, axes, keepdim, shape):
    """Broadcast a reduced gradient back to the input's ``shape``."""
    if not keepdim and axes:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape)


class Sum(Function):
    """y = sum_i x_i over ``dim``;  dy/dx_i = 1."""

    def forward(self, x, axes, keepdim):
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        return np.sum(x, axis=axes, keepdims=keepdim)

    def backward(self, g):
        return _expand_back(g, self.axes, self.keepdim, self.shape), None, None


class Mean(Function):
    """y = (1/n) sum_i x_i over ``dim``;  dy/dx_i = 1/n."""

    def forward(self, x, axes, keepdim):
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        self.n = int(np.prod([x.shape[a] for a in axes])) if axes else 1
        return np.mean(x, axis=axes, keepdims=keepdim)

    def backward(self, g):
        return _expand_back(g / self.n, self.axes, self.keepdim, self.shape), None, None


class Extreme(Function):
    """y = max (or min) over ``dim``;  the gradient goes to the elements equal to y,
    shared evenly among ties (PyTorch's rule for a full reduction)."""

    def forward(self, x, axes, keepdim, largest):
        self.x, self.axes, self.keepdim = x, axes, keepdim
        y = (np.max if largest else np.min)(x, axis=axes, keepdims=True)
        self.y = y
        return y if keepdim else np.squeeze(y, axis=axes)

    def backward(self, g):
        if not self.keepdim:
            g = np.expand_dims(g, self.axes)
        hit = (self.x == self.y)
        count = hit.sum(axis=self.axes, keepdims=True)
        return g * hit / count.astype(g.dtype), None, None, None


class ExtremeAlong(Function):
    """y = max (or min) along one ``dim``, with the index of the winner;
    the gradient goes to that index only (as PyTorch's ``max(dim)``)."""

    def forward(self, x, dim, keepdim, largest):
        index = (np.argmax if largest else np.argmin)(x, axis=dim)
        self.index = np.expand_dims(index, dim)
        self.shape, self.dim, self.keepdim = x.shape, dim, keepdim
        y = np.take_along_axis(x, self.index, axis=dim)
        return y if keepdim else np.squeeze(y, axis=dim)

    def backward(self, g):
        if not self.keepdim:
            g = np.expand_dims(g, self.dim)
        grad = np.zeros(self.shape, dtype=g.dtype)
        np.put_along_axis(grad, self.index, g, axis=self.dim)
        return grad, None, None, None


class Var(Function):
    """y = sum_i (x_i - mean)**2 / (n - correction);  dy/dx_i = 2 (x_i - mean) / (n - correction)."""

    def forward(self, x, axes, keepdim, correction):
        n = int(np.prod([x.shape[a] for a in axes])) if axes else 1
        self.centered = x - np.mean(x, axis=axes, keepdims=True)
        self.denominator = builtins.max(n - correction, 0)
        self.axes, self.keepdim = axes, keepdim
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sum(self.centered ** 2, axis=axes, keepdims=keepdim) / self.denominator

    def backward(self, g):
        if not self.keepdim:
            g = np.expand_dims(g, self.axes)
        return g * (2 / self.denominator) * self.centered, None, None, None


class LogSumExp(Function):
    """y = log sum_i exp(x_i) = m + log sum_i exp(x_i - m) with m = max x (no overflow);
    dy/dx_i = exp(x_i - y) = softmax(x)_i."""

    def forward(self, x, axes, keepdim):
        m = np.max(x, axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        # exp underflowing to 0 is exact here, and log(0) = -inf is the right answer for a
        # slice that is all -inf.
        with np.errstate(under="ignore", divide="ignore"):
            y = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
        self.x, self.y, self.axes, self.keepdim = x, y, axes, keepdim
        return y if keepdim else np.squeeze(y, axis=axes)

    def backward(self, g):
        if not self.keepdim:
            g = np.expand_dims(g, self.axes)
        with np.errstate(under="ignore"):
            return g * np.exp(self.x - self.y), None, None


@tensor_method("sum")
def sum(x, dim=None, keepdim=False):
    """y = sum_i x_i over ``dim`` (None: every dimension; an int or a tuple); gradient 1 for each
    summed element. ``keepdim`` keeps the reduced dimensions as size 1.
    """
    return Sum.apply(x, _axes("sum", dim, x.ndim), keepdim)


@tensor_method("mean")
def mean(x, dim=None, keepdim=False):
    """y = (1/n) sum_i x_i over ``dim`` (None: every dimension); gradient 1/n for each element.
    Needs a floating tensor (TypeError otherwise), as PyTorch.
    """
    if x.array.dtype.kind not in "fc":
        raise TypeError(f"mean: needs a floating tensor, got {x.dtype}")
    return Mean.apply(x, _axes("mean", dim, x.ndim), keepdim)


def _one_axis(op, dim, ndim):
    """The axis of ``dim``, which must be one int (as in torch.max, torch.argmax); None when the
    tensor is 0-d (its one element is the answer, at index 0)."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be one int, as in torch.{op}, got {dim!r}")
    axes = _axes(op, int(dim), ndim)
    return axes[0] if axes else None


def _extreme(op, x, dim, keepdim, largest):
    if x.array.size == 0:
        raise ValueError(f"{op}: cannot reduce an empty tensor of shape {x.shape}")
    if dim is None:
        return Extreme.apply(x, _axes(op, None, x.ndim), keepdim, largest)
    axis = _one_axis(op, dim, x.ndim)
    if axis is None:
        return MaxMin(Extreme.apply(x, (), keepdim, largest), as_tensor(np.zeros((), np.int64)))
    values = ExtremeAlong.apply(x, axis, keepdim, largest)
    index = (np.argmax if largest else np.argmin)(x.array, axis=axis)
    return MaxMin(values, as_tensor(np.expand_dims(index, axis) if keepdim else index))


@tensor_method("max")
def max(x, dim=None, keepdim=False):
    """Largest element; with ``dim``, a (values, indices) pair as ``torch.max(x, dim)``;
    with a tensor in place of ``dim``, the elementwise ``maximum`` (as ``torch.max(a, b)``)."""
    if isinstance(dim, Tensor):
        return elementwise.maximum(x, dim)
    return _extreme("max", x, dim, keepdim, True)


@tensor_method("min")
def min(x, dim=None, keepdim=False):
    """Smallest element; with ``dim``, a (values, indices) pair as ``torch.min(x, dim)``;
    with a tensor in place of ``dim``, the elementwise ``minimum``."""
    if isinstance(dim, Tensor):
        return elementwise.minimum(x, dim)
    return _extreme("min", x, dim, keepdim, False)


@tensor_method("var")
def var(x, dim=None, keepdim=False, correction=1):
    """Variance with Bessel's correction by default (``correction=1``), as PyTorch."""
    return Var.apply(x, _axes("var", dim, x.ndim), keepdim, correction)


@tensor_method("std")
def std(x, dim=None, keepdim=False, correction=1):
    """Standard deviation: sqrt(var(x))."""
    return var(x, dim, keepdim, correction).sqrt()


@tensor_method("logsumexp")
def logsumexp(x, dim, keepdim=False):
    """y = log sum_i e^(x_i) over ``dim``, computed as m + log sum_i e^(x_i - m) with m = max x
    (no overflow); gradient softmax(x)_i.
    """
    return LogSumExp.apply(x, _axes("logsumexp", dim, x.ndim), keepdim)


def _arg_extreme(op, x, dim, keepdim, largest):
    find = np.argmax if largest else np.argmin
    if x.array.size == 0:
        raise ValueError(f"{op}: cannot reduce an empty tensor of shape {x.shape}")
    if dim is None:
        index = find(x.array)
        return as_tensor(np.reshape(index, (1,) * x.ndim) if keepdim else index)
    axis = _one_axis(op, dim, x.ndim)
    if axis is None:
        return as_tensor(np.zeros((), np.int64))
    return as_tensor(find(x.array, axis=axis, keepdims=keepdim))


@tensor_method("argmax")
def argmax(x, dim=None, keepdim=False):
    """Index of the largest element (of the flattened tensor when ``dim`` is None); the first
    one on ties. Carries no gradient."""
    return _arg_extreme("argmax", x, dim, keepdim, True)


@tensor_method("argmin")
def argmin(x, dim=None, keepdim=False):
    """Index of the smallest element (of the flattened tensor when ``dim`` is None)."""
    return _arg_extreme("argmin", x, dim, keepdim, False)


# gradsheet.* (torch.*) names defined here; gradsheet/__init__.py imports them with *
__all__ = [
    "argmax", "argmin", "logsumexp", "max", "mean", "min", "std", "sum", "var",
]
