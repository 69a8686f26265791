"""Scans along a dimension: cumsum, cumprod, cummax, cummin, logcumsumexp, and diff.

Each scan keeps the input's shape; ``dim`` (or its alias ``axis``) is one int. A 0-d tensor
scans as a tensor of one element, as in PyTorch.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple, Optional

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor, as_tensor
from ..autograd.methods import tensor_method
from . import elementwise, promotion
from .reduce import _check_dim, _dim, _input

if TYPE_CHECKING:
    from .._typing import DType, TensorLike

class _CumMaxFields(NamedTuple):
    values: Tensor
    indices: Tensor


class CumMax(_CumMaxFields):
    """(values, indices): the result of cummax/cummin, as torch.return_types."""

    __slots__ = ()


def _scan_dim(op: str, dim: Optional[int], axis: Optional[int], ndim: int) -> int:
    dim = _dim(op, dim, axis)
    if dim is None:
        raise TypeError(f"{op}: missing the required argument dim (as torch.{op})")
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{op}: dim must be one int, got {dim!r}")
    return _check_dim(op, dim, ndim)


def _flip_cumsum(g: np.ndarray, axis: int) -> np.ndarray:
    """sum_{j >= i} g_j along ``axis`` (non-negative: the reverse cumulative sum). The reversal
    is a slice, as in np.flip, without its Python wrapper (2 us a call)."""
    reverse = (slice(None),) * axis + (slice(None, None, -1),)
    return np.cumsum(g[reverse], axis)[reverse]


def _at_least_1d(x: np.ndarray, axis: int) -> tuple[np.ndarray, int]:
    """x as an array with at least one dimension (a 0-d x becomes shape (1,), axis 0)."""
    return (x.reshape(1), 0) if x.ndim == 0 else (x, axis)


class CumSum(Function):
    """y_j = sum_{i <= j} x_i along ``dim``;  dL/dx_i = sum_{j >= i} dL/dy_j."""

    def forward(self, x: np.ndarray, axis: int) -> np.ndarray:
        self.axis = axis
        a, ax = _at_least_1d(x, axis)
        if a.dtype.kind in "biu":
            return np.cumsum(a, axis=ax, dtype=np.int64).reshape(x.shape)
        return np.cumsum(a, axis=ax).reshape(x.shape)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        a, ax = _at_least_1d(g, self.axis)
        return _flip_cumsum(a, ax).reshape(g.shape), None


class CumProd(Function):
    """y_j = prod_{i <= j} x_i along ``dim``;  dL/dx_k = sum_{j >= k} dL/dy_j prod_{i <= j, i != k}
    x_i: sum_{j >= k} g_j y_j / x_k before a slice's first zero, y_{z-1} sum_{j >= z} g_j
    prod_{z < i <= j} x_i at its first zero z, 0 after it (as torch)."""

    def forward(self, x: np.ndarray, axis: int) -> np.ndarray:
        a, ax = _at_least_1d(x, axis)
        if a.dtype.kind in "biu":
            return np.cumprod(a, axis=ax, dtype=np.int64).reshape(x.shape)
        self.x, self.axis = a, ax
        self.y = np.cumprod(a, axis=ax)
        return self.y.reshape(x.shape)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        shape = g.shape
        x, y, ax = self.x, self.y, self.axis
        g = g.reshape(x.shape)
        zero = x == 0
        zeros_so_far = np.cumsum(zero, axis=ax)
        before = zeros_so_far == 0
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # (the terms j >= z vanish; leaving them out keeps inf * 0 out, as torch)
            grad = np.where(before, _flip_cumsum(np.where(before, g * y, 0), ax)
                            / np.where(before, x, 1), 0)
            if zero.any():
                first = zero & (zeros_so_far == 1)
                later = (zeros_so_far >= 1) & ~first
                partial = np.cumprod(np.where(later, x, 1), axis=ax)  # prod_{z < i <= j} x_i
                tail = _flip_cumsum(np.where(zeros_so_far >= 1, g * partial, 0), ax)
                prefix = np.cumprod(np.where(before, x, 1), axis=ax)  # prod_{i < z} x_i at z
                grad = grad + np.where(first, prefix * tail, 0)
        return grad.reshape(shape), None


class CumExtreme(Function):
    """y_j = max (or min) of x_0 .. x_j along ``dim``; the gradient of y_j goes to the index
    chosen for it (summed where several y_j chose the same index)."""

    def forward(self, x: np.ndarray, index: np.ndarray, axis: int) -> np.ndarray:
        a, ax = _at_least_1d(x, axis)
        self.index, self.axis, self.shape = index.reshape(a.shape), ax, x.shape
        return np.take_along_axis(a, self.index, axis=ax).reshape(x.shape)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None]:
        if g.size == 0:
            return np.zeros(self.shape, g.dtype), None, None
        g = g.reshape(self.index.shape)
        moved_g: np.ndarray = np.moveaxis(g, self.axis, -1)
        moved_index = np.moveaxis(self.index, self.axis, -1)
        n = moved_g.shape[-1]
        flat = moved_g.reshape(-1, n)
        rows = np.arange(flat.shape[0])[:, None]
        grad = np.zeros_like(flat)
        np.add.at(grad, (rows, moved_index.reshape(-1, n)), flat)
        grad = np.moveaxis(grad.reshape(moved_g.shape), -1, self.axis)
        return grad.reshape(self.shape), None, None


class LogCumSumExp(Function):
    """y_j = log sum_{i <= j} exp(x_i) along ``dim`` (a running logaddexp: no overflow);
    dL/dx_i = sum_{j >= i} g_j exp(x_i - y_j), computed as exp(x_i + L+_i) - exp(x_i + L-_i) with
    L+-_i = log sum_{j >= i} max(+-g_j, 0) exp(-y_j) (reverse running logaddexps)."""

    def forward(self, x: np.ndarray, axis: int) -> np.ndarray:
        a, ax = _at_least_1d(x, axis)
        self.x, self.axis = a, ax
        with np.errstate(invalid="ignore"):
            self.y = np.logaddexp.accumulate(a, axis=ax)
        return self.y.reshape(x.shape)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        shape = g.shape
        g = g.reshape(self.x.shape)
        ax = self.axis
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            grad: Any = 0  # 0, then an array
            for sign in (1, -1):
                part = np.log(np.maximum(sign * g, 0)) - self.y
                tail = np.flip(np.logaddexp.accumulate(np.flip(part, ax), axis=ax), ax)
                grad = grad + sign * np.exp(self.x + tail)
        return grad.reshape(shape), None


class Diff(Function):
    """y = the n-th forward difference y_i = x_{i+1} - x_i (n times) along ``dim`` of
    [prepend, x, append]; the gradient of one difference is g_{i-1} - g_i (g zero outside),
    applied n times and split among the three inputs."""

    def forward(self, x: np.ndarray, prepend: Optional[np.ndarray], append: Optional[np.ndarray],
                n: int, axis: int, dtype: np.dtype) -> np.ndarray:
        parts = [np.asarray(p).astype(dtype, copy=False) for p in (prepend, x, append)
                 if p is not None]
        self.sizes = [np.shape(p)[axis] if p is not None else None for p in (prepend, x, append)]
        self.dtypes = [getattr(p, "dtype", None) for p in (x, prepend, append)]
        a = np.concatenate(parts, axis=axis) if len(parts) > 1 else parts[0].copy()
        self.lengths, self.axis = [], axis
        for _ in range(n):
            self.lengths.append(a.shape[axis])
            a = np.diff(a, axis=axis)
        return a

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], ...]:
        ax = self.axis
        for length in reversed(self.lengths):
            if g.shape[ax] == 0:
                shape = list(g.shape)
                shape[ax] = length
                g = np.zeros(shape, g.dtype)
                continue
            widths = [(0, 0)] * g.ndim
            widths[ax] = (1, 0)
            before = np.pad(g, widths)
            widths[ax] = (0, 1)
            g = before - np.pad(g, widths)
        pre, size, _ = self.sizes
        assert size is not None  # x's own size (only prepend's and append's may be None)
        start = pre or 0
        pieces = np.split(g, [start, start + size], axis=ax)
        grads = [pieces[1], pieces[0] if pre is not None else None,
                 pieces[2] if self.sizes[2] is not None else None]
        grads = [None if p is None else p.astype(d, copy=False) if d is not None and d.kind == "f"
                 else p for p, d in zip(grads, self.dtypes)]
        return grads[0], grads[1], grads[2], None, None, None


def _with_dtype(x: Tensor, dtype: Optional[DType]) -> Tensor:
    return x if dtype is None else elementwise.cast(x, backend.as_dtype(dtype))


@tensor_method("cumsum", inplace="cumsum_")
def cumsum(input: Tensor, dim: Optional[int] = None, *, dtype: Optional[DType] = None,
           axis: Optional[int] = None) -> Tensor:
    """y_j = sum_{i <= j} x_i along ``dim``; gradient sum_{j >= i} dL/dy_j (a reversed cumsum).
    Bool and integer tensors give int64 (``dtype`` converts the input first), as torch."""
    x = _with_dtype(_input("cumsum", input), dtype)
    return CumSum.apply(x, _scan_dim("cumsum", dim, axis, x.ndim))


@tensor_method("cumprod", inplace="cumprod_")
def cumprod(input: Tensor, dim: Optional[int] = None, *, dtype: Optional[DType] = None,
            axis: Optional[int] = None) -> Tensor:
    """y_j = prod_{i <= j} x_i along ``dim``; gradient sum_{j >= k} dL/dy_j prod_{i <= j, i != k}
    x_i, right with zeros in the input (as torch). Bool and integer tensors give int64."""
    x = _with_dtype(_input("cumprod", input), dtype)
    return CumProd.apply(x, _scan_dim("cumprod", dim, axis, x.ndim))


def _cum_extreme(op: str, x: Tensor, dim: Optional[int], axis: Optional[int],
                largest: bool) -> CumMax:
    x = _input(op, x)
    ax = _scan_dim(op, dim, axis, x.ndim)
    a, a_ax = _at_least_1d(x.array, ax)
    with np.errstate(invalid="ignore"):
        running = (np.maximum if largest else np.minimum).accumulate(a, axis=a_ax)
        # torch's rule: the index moves on to j where x_j ties or beats the running extreme,
        # and to every NaN (the running value stays NaN from the first one on)
        hit = (a == running) | (np.isnan(a) if a.dtype.kind in "fc" else False)
    positions = np.arange(a.shape[a_ax]).reshape([-1 if d == a_ax else 1 for d in range(a.ndim)])
    index = np.maximum.accumulate(np.where(hit, positions, 0), axis=a_ax).astype(np.int64)
    values = CumExtreme.apply(x, index, ax)
    return CumMax(values, as_tensor(index.reshape(x.shape)))


@tensor_method("cummax")
def cummax(input: Tensor, dim: Optional[int] = None, *, axis: Optional[int] = None) -> CumMax:
    """(values, indices): y_j = max(x_0 .. x_j) along ``dim`` and the index it came from (the
    latest on ties, as torch; NaN propagates); the gradient of y_j goes to that index."""
    return _cum_extreme("cummax", input, dim, axis, True)


@tensor_method("cummin")
def cummin(input: Tensor, dim: Optional[int] = None, *, axis: Optional[int] = None) -> CumMax:
    """(values, indices): y_j = min(x_0 .. x_j) along ``dim`` and the index it came from (the
    latest on ties, as torch; NaN propagates); the gradient of y_j goes to that index."""
    return _cum_extreme("cummin", input, dim, axis, False)


@tensor_method("logcumsumexp")
def logcumsumexp(input: Tensor, dim: Optional[int] = None, *,
                 axis: Optional[int] = None) -> Tensor:
    """y_j = log sum_{i <= j} exp(x_i) along ``dim``, without overflow; gradient
    sum_{j >= i} dL/dy_j exp(x_i - y_j). Needs a floating tensor, as torch."""
    x = _input("logcumsumexp", input)
    if x.array.dtype.kind not in "fc":
        raise TypeError(f"logcumsumexp: needs a floating tensor, got {x.dtype} (as torch)")
    return LogCumSumExp.apply(x, _scan_dim("logcumsumexp", dim, axis, x.ndim))


@tensor_method("diff")
def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Optional[TensorLike] = None,
         append: Optional[TensorLike] = None) -> Tensor:
    """y_i = x_{i+1} - x_i along ``dim``, ``n`` times, of ``prepend``, x and ``append`` joined
    along ``dim`` (as torch.diff; bool tensors give x_{i+1} != x_i); gradient g_{i-1} - g_i per
    difference."""
    x = _input("diff", input)
    if x.ndim == 0:
        raise RuntimeError("diff: expects input to be at least one-dimensional")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"diff: order must be a non-negative int, got n={n!r}")
    axis = _check_dim("diff", dim, x.ndim)
    extras = []
    for name, extra in (("prepend", prepend), ("append", append)):
        if extra is not None:
            extra = extra if isinstance(extra, Tensor) else as_tensor(extra)
            if extra.ndim != x.ndim:
                raise RuntimeError(f"diff: expects {name} to have the same number of dimensions "
                                   f"as input ({name} has shape {extra.shape}, input {x.shape})")
            if any(a != b for d, (a, b) in enumerate(zip(extra.shape, x.shape)) if d != axis):
                raise RuntimeError(f"diff: {name} of shape {extra.shape} does not match input of "
                                   f"shape {x.shape} outside dim {axis}")
        extras.append(extra)
    dtype = promotion.result_type(x, *[e for e in extras if e is not None]) \
        if any(e is not None for e in extras) else x.array.dtype
    if n == 0:
        return elementwise.clone(x) if dtype == x.array.dtype else elementwise.cast(x, dtype)
    return Diff.apply(x, extras[0], extras[1], int(n), axis, dtype)


__all__ = ["cummax", "cummin", "cumprod", "cumsum", "diff", "logcumsumexp"]
