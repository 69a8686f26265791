"""Reductions over dimensions: sum, mean, prod, max, min, amax, amin, aminmax, var, std,
logsumexp, argmax, argmin, any, all, count_nonzero, norm, vector_norm, dist, nansum, nanmean.

``dim`` (or its alias ``axis``, as in PyTorch) is None (all dimensions), an int or a tuple;
``keepdim`` keeps the reduced dimensions as size 1. The backward of a reduction broadcasts
the incoming gradient back over the reduced dimensions.
"""
from __future__ import annotations

import builtins
import math
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, Optional, TypeVar, Union, overload

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor, as_tensor
from ..autograd.methods import tensor_method
from . import elementwise

if TYPE_CHECKING:
    from .._typing import DType, DimLike, TensorLike

_D = TypeVar("_D")

class _MaxMinFields(NamedTuple):
    values: Tensor
    indices: Tensor


class MaxMin(_MaxMinFields):
    """(values, indices): the result of max/min along a dim, as torch.return_types."""

    __slots__ = ()


class _AMinMaxFields(NamedTuple):
    min: Tensor
    max: Tensor


class AMinMax(_AMinMaxFields):
    """(min, max): the result of aminmax, as torch.return_types.aminmax."""

    __slots__ = ()


class EmptyReductionError(RuntimeError, ValueError):
    """A reduction without an identity (max, amax, argmax, ...) of an empty tensor: PyTorch
    raises RuntimeError; it is a ValueError too (a value the op cannot reduce)."""


def _input(op: str, x: object) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: argument 'input' must be a Tensor, not {type(x).__name__}")
    return x


def _dim(op: str, dim: _D, axis: Optional[_D]) -> _D:
    """``dim``, or ``axis`` (PyTorch's alias) when only that is given."""
    if axis is None:
        return dim
    if dim is not None:
        raise TypeError(f"{op}: got both dim={dim!r} and axis={axis!r} (axis is an alias of dim)")
    return axis


def _check_dim(op: str, d: object, ndim: int) -> int:
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {d!r}")
    size = builtins.max(ndim, 1)
    if not -size <= d < size:
        raise IndexError(f"{op}: dim {d} is out of range for a tensor of {ndim} dimensions "
                         f"(expected a dim in [{-size}, {size - 1}])")
    return int(d) % size


def _axes(op: str, dim: Optional[DimLike], ndim: int) -> tuple[int, ...]:
    """Normalise ``dim`` to a sorted tuple of non-negative axes (None or (): all of them, as
    in PyTorch)."""
    if dim is None or (isinstance(dim, (tuple, list)) and not dim):
        return tuple(range(ndim))
    dims = (dim,) if not isinstance(dim, (tuple, list)) else tuple(dim)
    axes = [_check_dim(op, d, ndim) for d in dims]
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"{op}: dim {dim} names a dimension more than once")
    return tuple(sorted(axes)) if ndim else ()


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    return int(np.prod([shape[a] for a in axes])) if axes else 1


def _expand_back(g: np.ndarray, axes: tuple[int, ...], keepdim: bool, shape: tuple[int, ...]) -> np.ndarray:
    """Broadcast a reduced gradient back to the input's ``shape``."""
    return np.broadcast_to(_keep(g, axes, keepdim), shape)


def _keep(g: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
    """The reduced gradient with the reduced dims (``axes``, sorted) back as size 1, for
    broadcasting. A reshape: np.expand_dims's Python wrapper took 2-3 us, most of a small
    reduction's backward."""
    if keepdim or not axes:
        return g
    dims = list(g.shape)  # (g may be a NumPy scalar: it has .shape too)
    for axis in axes:
        dims.insert(axis, 1)
    return g.reshape(dims)


def _with_dtype(x: Tensor, dtype: Optional[DType]) -> Tensor:
    """x converted to ``dtype`` first (the ``dtype=`` argument of sum, mean, prod, ...)."""
    return x if dtype is None else elementwise.cast(x, backend.as_dtype(dtype))


def _floating(op: str, x: Tensor) -> None:
    if x.array.dtype.kind not in "fc":
        raise TypeError(f"{op}: needs a floating tensor, got {x.dtype} (as torch; pass dtype= or "
                        "convert with .double() / .float())")


def _check_nonempty_dims(op: str, x: Tensor, axes: tuple[int, ...], full: bool) -> None:
    """A reduction without identity (max, amax, ...): every reduced dim must be non-empty."""
    if x.array.size and not full:
        return
    if full:
        if x.array.size == 0:
            raise EmptyReductionError(
                f"{op}: cannot reduce an empty tensor of shape {x.shape} without a dim "
                f"(torch: Expected reduction dim to be specified for input.numel() == 0)")
        return
    for a in axes:
        if x.shape[a] == 0:
            raise IndexError(f"{op}: Expected reduction dim {a} to have non-zero size "
                             f"(input shape {x.shape})")


class Sum(Function):
    """y = sum_i x_i over ``dim``;  dy/dx_i = 1."""

    def forward(self, x: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        # np.add.reduce is np.sum without its Python wrapper (4 us of a small tensor's 7 here)
        if x.dtype.kind in "biu":
            return np.add.reduce(x, axis=axes, keepdims=keepdim,  # type: ignore[call-overload]
                                 dtype=np.int64)  # (numpy's stubs take keepdims as a Literal only)
        return np.add.reduce(x, axis=axes, keepdims=keepdim)  # type: ignore[call-overload]  # (above)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None]:
        return _expand_back(g, self.axes, self.keepdim, self.shape), None, None


class NanSum(Function):
    """y = sum_i x_i over ``dim``, NaN counted as 0;  dy/dx_i = 1 (0 where x_i is NaN)."""

    def forward(self, x: np.ndarray, axes: tuple[int, ...], keepdim: bool, mean: bool
                ) -> Union[np.ndarray, np.generic]:  # (a NumPy scalar over all axes: apply wraps it)
        self.nan = np.isnan(x) if x.dtype.kind in "fc" else None
        self.axes, self.keepdim, self.shape = axes, keepdim, x.shape
        if x.dtype.kind in "biu":
            return np.sum(x, axis=axes, keepdims=keepdim, dtype=np.int64)
        y = np.nansum(x, axis=axes, keepdims=keepdim)
        self.n = None
        if mean:
            self.n = np.sum(~self.nan, axis=axes, keepdims=True)  # type: ignore[operator]
            with np.errstate(divide="ignore", invalid="ignore"):
                y = y / (self.n if keepdim else np.squeeze(self.n, axis=axes)).astype(x.dtype)
        return y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None, None]:
        g = _keep(g, self.axes, self.keepdim)
        if self.n is not None:  # nanmean: (g / n) * [x is not NaN], NaN where n is 0 (as torch)
            with np.errstate(divide="ignore", invalid="ignore"):
                # (nan is set: an integer x returned above)
                return g / self.n.astype(g.dtype) * ~self.nan, None, None, None  # type: ignore[operator]
        return np.where(self.nan, 0, g) if self.nan is not None else \
            np.broadcast_to(g, self.shape), None, None, None


class Mean(Function):
    """y = (1/n) sum_i x_i over ``dim``;  dy/dx_i = 1/n."""

    def forward(self, x: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        self.n = _count(x.shape, axes)
        if self.n == 0:  # NaN, as torch (0/0), without NumPy's warning
            return np.full(np.sum(x, axis=axes, keepdims=keepdim).shape, np.nan, x.dtype)
        # x.sum, not np.mean (whose Python wrapper costs more); float16 sums in float32, as np.mean
        total = x.sum(axis=axes, keepdims=keepdim, dtype=np.float32 if x.dtype == np.float16 else None)
        return (total / self.n).astype(x.dtype, copy=False)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None]:
        return _expand_back(g / builtins.max(self.n, 1), self.axes, self.keepdim, self.shape), \
            None, None


class Prod(Function):
    """y = prod_i x_i over ``dim``;  dy/dx_k = prod_{i != k} x_i: y / x_k when the input has no
    zero, else the product of the others (exclusive cumulative products from both sides, so
    right with zeros; a full product with several zeros has gradient 0), as torch."""

    def forward(self, x: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
        self.x, self.axes, self.keepdim = x, axes, keepdim
        if x.dtype.kind in "biu":
            return np.prod(x, axis=axes, keepdims=keepdim, dtype=np.int64)
        y = np.prod(x, axis=axes, keepdims=True)
        self.y = y
        return y if keepdim else np.squeeze(y, axis=axes)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None]:
        g = _keep(g, self.axes, self.keepdim)
        x, y = self.x, self.y
        if x.ndim == 0:
            return g, None, None
        zeros = int(np.count_nonzero(x == 0))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if zeros == 0:
                return g * (y / x), None, None
            if len(self.axes) == x.ndim and zeros > 1:
                return np.zeros(x.shape, g.dtype), None, None
            if len(self.axes) == 1:
                return g * _others_product(x, self.axes[0]), None, None
            return g * _others_product(x.reshape(-1), 0).reshape(x.shape), None, None


def _others_product(x: np.ndarray, axis: int) -> np.ndarray:
    """prod_{i != k} x_i along ``axis`` for each k, without division: the product of the
    elements before k times the product of those after it."""
    ones = np.ones_like(np.take(x, [0], axis=axis))
    n = x.shape[axis]
    before = np.cumprod(np.concatenate([ones, np.take(x, np.arange(n - 1), axis=axis)], axis), axis)
    after = np.flip(np.cumprod(np.flip(np.concatenate(
        [np.take(x, np.arange(1, n), axis=axis), ones], axis), axis), axis), axis)
    return before * after


class Extreme(Function):
    """y = max (or min) over ``dim``;  the gradient goes to the elements equal to y, shared
    evenly among ties (``amax``/``amin``: a slice with a NaN gets NaN gradients; a full
    ``max()``/``min()``/``median()``: a NaN result shares it among the NaNs, as torch)."""

    def forward(self, x: np.ndarray, axes: tuple[int, ...], keepdim: bool, largest: bool,
                nan_shares: bool = False) -> np.ndarray:
        self.x, self.axes, self.keepdim, self.nan_shares = x, axes, keepdim, nan_shares
        y = (np.max if largest else np.min)(x, axis=axes, keepdims=True)
        self.y = y
        return y if keepdim else np.squeeze(y, axis=axes)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None, None, None]:
        g = _keep(g, self.axes, self.keepdim)
        hit = self.x == self.y
        if self.nan_shares:
            hit = hit | (np.isnan(self.x) & np.isnan(self.y))
        count = hit.sum(axis=self.axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            return g / count.astype(g.dtype) * hit, None, None, None, None


class Select(Function):
    """y = x at one given index along ``dim`` (max/min/median/mode/kthvalue along a dim);
    the gradient goes to that index only (scattered back, as torch)."""

    def forward(self, x: np.ndarray, index: np.ndarray, dim: int, keepdim: bool) -> np.ndarray:
        self.shape, self.index, self.dim, self.keepdim = x.shape, index, dim, keepdim
        y = np.take_along_axis(x, index, axis=dim)
        return y if keepdim else np.squeeze(y, axis=dim)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None, None]:
        if not self.keepdim:
            g = np.expand_dims(g, self.dim)
        grad = np.zeros(self.shape, dtype=g.dtype)
        np.put_along_axis(grad, self.index, g, axis=self.dim)
        return grad, None, None, None


def _dof(op: str, n: int, correction: float) -> float:
    """n - correction, with torch's warning when it is <= 0 (the value is then inf or NaN; the
    gradient keeps n - correction, as torch's)."""
    dof = n - correction
    if dof <= 0:
        warnings.warn(f"{op}(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=4)
    return dof


class Var(Function):
    """y = sum_i (x_i - mean)**2 / max(n - correction, 0) (inf or NaN where that is 0);
    dy/dx_i = 2 (x_i - mean) / (n - correction) (unclamped, as torch)."""

    def forward(self, x: np.ndarray, axes: tuple[int, ...], keepdim: bool, dof: float,
                root: bool = False) -> np.ndarray:
        self.centered = x - np.mean(x, axis=axes, keepdims=True) if x.size else x
        self.dof, self.axes, self.keepdim, self.root = dof, axes, keepdim, root
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.sum(self.centered ** 2, axis=axes, keepdims=True) / x.dtype.type(builtins.max(dof, 0))
            if root:
                y = np.sqrt(y)
        self.y = y
        return y if keepdim else np.squeeze(y, axis=axes)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None, None, None]:
        g = _keep(g, self.axes, self.keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.root:  # std: the variance's gradient times 1 / (2 std), 0 where std is 0
                g = np.where(self.y == 0, 0, g / (2 * self.y))
            scale = g.dtype.type(2) / g.dtype.type(self.dof)
            return g * scale * self.centered, None, None, None, None


class LogSumExp(Function):
    """y = log sum_i exp(x_i) = m + log sum_i exp(x_i - m) with m = max x (no overflow; -inf
    over an empty dim); dy/dx_i = exp(x_i - y) = softmax(x)_i."""

    def forward(self, x: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
        # exp underflowing to 0 is exact here, and log(0) = -inf is the right answer for a
        # slice that is all -inf (or empty).
        with np.errstate(under="ignore", divide="ignore", invalid="ignore"):
            m = np.max(x, axis=axes, keepdims=True, initial=-np.inf)
            m = np.where(np.isfinite(m), m, 0)
            y = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
        self.x, self.y, self.axes, self.keepdim = x, y, axes, keepdim
        return y if keepdim else np.squeeze(y, axis=axes)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None]:
        g = _keep(g, self.axes, self.keepdim)
        with np.errstate(under="ignore", invalid="ignore"):
            return g * np.exp(self.x - self.y), None, None


class VectorNorm(Function):
    """y = (sum_i |x_i|**p)**(1/p) over ``dim`` (p = inf: max |x_i|, -inf: min |x_i|, 0: the
    number of nonzeros); dy/dx_i = sgn(x_i) |x_i|**(p-1) / y**(p-1) (p = 2: x_i / y; p = 1:
    sgn(x_i); p = +-inf: sgn(x_i) shared among the |x_i| equal to y; p = 0: 0; 0 where y = 0,
    as torch)."""

    def forward(self, x: np.ndarray, p: float, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
        a = np.abs(x)
        self.x, self.p, self.axes, self.keepdim = x, p, axes, keepdim
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            if p == math.inf:
                y = np.max(a, axis=axes, keepdims=True)
            elif p == -math.inf:
                y = np.min(a, axis=axes, keepdims=True)
            elif p == 0:
                y = np.sum(a != 0, axis=axes, keepdims=True).astype(x.dtype)
            elif p == 1:
                y = np.sum(a, axis=axes, keepdims=True)
            elif p == 2:
                y = np.sqrt(np.sum(a * a, axis=axes, keepdims=True))
            else:
                y = np.sum(a ** p, axis=axes, keepdims=True) ** (1.0 / p)
        self.y = y
        return y if keepdim else np.squeeze(y, axis=axes)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None, None]:
        g = _keep(g, self.axes, self.keepdim)
        x, y, p = self.x, self.y, self.p
        sgn = np.where(np.isnan(x), 0, np.sign(x))  # torch's sgn: 0 at NaN
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            if p == 0:
                grad = np.zeros(x.shape, g.dtype)
            elif p == 1:
                grad = sgn * g
            elif p == 2:
                grad = g * np.where(y == 0, 0, x / y)
            elif math.isinf(p):
                a = np.abs(x)
                mask = (a == y) | np.isnan(a)
                grad = sgn * (g / mask.sum(axis=self.axes, keepdims=True) * mask)
            elif p < 1:
                scaled = sgn * np.where(x == 0, 0, np.abs(x) ** (p - 1))
                grad = scaled * g * y ** (1 - p)
            else:
                scaled = sgn * np.abs(x) ** (p - 1) if p < 2 else x * np.abs(x) ** (p - 2)
                grad = scaled * np.where(y == 0, 0, g / y ** (p - 1))
        return grad.astype(g.dtype, copy=False), None, None, None


class NuclearNorm(Function):
    """y = sum of the singular values of the matrices over the last two dims;
    dy/dX = U V^T (X = U diag(s) V^T, the reduced SVD)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        u, s, vt = np.linalg.svd(x, full_matrices=False)
        self.u, self.vt = u, vt
        return s.sum(axis=-1)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g[..., None, None] * (self.u @ self.vt)


# ----------------------------------------------------------------------------- sums and means
@tensor_method("sum")
def sum(input: Tensor, dim: Optional[DimLike] = None, keepdim: bool = False, *,
        dtype: Optional[DType] = None, axis: Optional[DimLike] = None) -> Tensor:
    """y = sum_i x_i over ``dim`` (None: every dimension; an int or a tuple); gradient 1 for each
    summed element. ``keepdim`` keeps the reduced dimensions as size 1. Bool and integer tensors
    sum to int64, as torch; ``dtype`` converts the input first; an empty dim sums to 0.
    """
    x = _with_dtype(_input("sum", input), dtype)
    return Sum.apply(x, _axes("sum", _dim("sum", dim, axis), x.ndim), keepdim)


@tensor_method("nansum")
def nansum(input: Tensor, dim: Optional[DimLike] = None, keepdim: bool = False, *,
           dtype: Optional[DType] = None, axis: Optional[DimLike] = None) -> Tensor:
    """y = sum_i x_i over ``dim`` with NaN counted as 0; gradient 1 (0 at the NaNs)."""
    x = _with_dtype(_input("nansum", input), dtype)
    return NanSum.apply(x, _axes("nansum", _dim("nansum", dim, axis), x.ndim), keepdim, False)


@tensor_method("mean")
def mean(input: Tensor, dim: Optional[DimLike] = None, keepdim: bool = False, *,
         dtype: Optional[DType] = None, axis: Optional[DimLike] = None) -> Tensor:
    """y = (1/n) sum_i x_i over ``dim`` (None: every dimension); gradient 1/n for each element.
    Needs a floating tensor (TypeError otherwise), as PyTorch, unless ``dtype`` (a floating
    dtype the input is converted to first) is given; an empty dim gives NaN.
    """
    x = _with_dtype(_input("mean", input), dtype)
    _floating("mean", x)
    return Mean.apply(x, _axes("mean", _dim("mean", dim, axis), x.ndim), keepdim)


@tensor_method("nanmean")
def nanmean(input: Tensor, dim: Optional[DimLike] = None, keepdim: bool = False, *,
            dtype: Optional[DType] = None, axis: Optional[DimLike] = None) -> Tensor:
    """y = sum of the non-NaN x_i / their number, over ``dim``; gradient 1/n at the non-NaNs,
    0 at the NaNs; NaN where a slice is all NaN."""
    x = _with_dtype(_input("nanmean", input), dtype)
    _floating("nanmean", x)
    return NanSum.apply(x, _axes("nanmean", _dim("nanmean", dim, axis), x.ndim), keepdim, True)


@tensor_method("prod")
def prod(input: Tensor, dim: Optional[DimLike] = None, keepdim: bool = False, *,
         dtype: Optional[DType] = None, axis: Optional[DimLike] = None) -> Tensor:
    """y = prod_i x_i over one ``dim`` (None: every element); gradient prod_{i != k} x_i,
    right with zeros in the input (as torch). Bool and integer tensors give int64; an empty dim
    gives 1.
    """
    x = _with_dtype(_input("prod", input), dtype)
    dim = _dim("prod", dim, axis)
    if dim is None:
        return Prod.apply(x, tuple(range(x.ndim)), False)
    return Prod.apply(x, _axes("prod", _single("prod", dim), x.ndim), keepdim)


def _single(op: str, dim: object) -> int:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be one int, as in torch.{op}, got {dim!r}")
    return int(dim)


# ----------------------------------------------------------------------------- extremes
def _one_axis(op: str, dim: object, ndim: int) -> Optional[int]:
    """The axis of ``dim``, which must be one int (as in torch.max, torch.argmax); None when the
    tensor is 0-d (its one element is the answer, at index 0)."""
    axes = _axes(op, _single(op, dim), ndim)
    return axes[0] if axes else None


def _extreme(op: str, x: Tensor, dim: Optional[int], keepdim: bool,
             largest: bool) -> Union[Tensor, MaxMin]:
    x = _input(op, x)
    if dim is None:
        _check_nonempty_dims(op, x, (), True)
        return Extreme.apply(x, tuple(range(x.ndim)), keepdim, largest, True)
    axis = _one_axis(op, dim, x.ndim)
    if axis is None:
        return MaxMin(Extreme.apply(x, (), keepdim, largest, False), as_tensor(np.zeros((), np.int64)))
    _check_nonempty_dims(op, x, (axis,), False)
    index = np.expand_dims((np.argmax if largest else np.argmin)(x.array, axis=axis), axis)
    values = Select.apply(x, index, axis, keepdim)
    return MaxMin(values, as_tensor(index if keepdim else np.squeeze(index, axis)))


# as torch's: the extreme (a Tensor), (values, indices) along a dim, or the elementwise maximum
@overload
def max(input: Tensor, dim: None = None, keepdim: bool = False, *, other: None = None,
        axis: None = None) -> Tensor: ...
@overload
def max(input: Tensor, dim: int, keepdim: bool = False, *, other: None = None,
        axis: None = None) -> MaxMin: ...
@overload
def max(input: Tensor, dim: None = None, keepdim: bool = False, *, other: None = None,
        axis: int) -> MaxMin: ...
@overload
def max(input: Tensor, dim: Tensor) -> Tensor: ...
@overload
def max(input: Tensor, *, other: TensorLike) -> Tensor: ...


@tensor_method("max")
def max(input: Tensor, dim: Union[int, Tensor, None] = None, keepdim: bool = False, *,
        other: Optional[TensorLike] = None, axis: Optional[int] = None) -> Union[Tensor, MaxMin]:
    """Largest element (gradient shared among ties); with ``dim``, a (values, indices) pair as
    ``torch.max(x, dim)`` (the first largest; gradient to that index); with a tensor in place of
    ``dim`` (or ``other=``), the elementwise ``maximum`` (as ``torch.max(a, b)``)."""
    if other is not None:
        return elementwise.maximum(input, other)
    if isinstance(dim, Tensor):
        return elementwise.maximum(input, dim)
    return _extreme("max", input, _dim("max", dim, axis), keepdim, True)


# as torch's: the extreme (a Tensor), (values, indices) along a dim, or the elementwise minimum
@overload
def min(input: Tensor, dim: None = None, keepdim: bool = False, *, other: None = None,
        axis: None = None) -> Tensor: ...
@overload
def min(input: Tensor, dim: int, keepdim: bool = False, *, other: None = None,
        axis: None = None) -> MaxMin: ...
@overload
def min(input: Tensor, dim: None = None, keepdim: bool = False, *, other: None = None,
        axis: int) -> MaxMin: ...
@overload
def min(input: Tensor, dim: Tensor) -> Tensor: ...
@overload
def min(input: Tensor, *, other: TensorLike) -> Tensor: ...


@tensor_method("min")
def min(input: Tensor, dim: Union[int, Tensor, None] = None, keepdim: bool = False, *,
        other: Optional[TensorLike] = None, axis: Optional[int] = None) -> Union[Tensor, MaxMin]:
    """Smallest element (gradient shared among ties); with ``dim``, a (values, indices) pair as
    ``torch.min(x, dim)``; with a tensor in place of ``dim`` (or ``other=``), the elementwise
    ``minimum``."""
    if other is not None:
        return elementwise.minimum(input, other)
    if isinstance(dim, Tensor):
        return elementwise.minimum(input, dim)
    return _extreme("min", input, _dim("min", dim, axis), keepdim, False)


def _amax(op: str, x: Tensor, dim: Optional[DimLike], keepdim: bool, largest: bool) -> Tensor:
    x = _input(op, x)
    axes = _axes(op, dim, x.ndim)
    _check_nonempty_dims(op, x, axes, dim is None or dim == () or dim == [])
    return Extreme.apply(x, axes, keepdim, largest, False)


@tensor_method("amax")
def amax(input: Tensor, dim: DimLike = (), keepdim: bool = False, *,
         axis: Optional[DimLike] = None) -> Tensor:
    """y = max x over ``dim`` (an int or a tuple; (): every dimension); the gradient is shared
    evenly among the tied maxima (as torch). An empty reduced dim raises (IndexError)."""
    return _amax("amax", input, _dim("amax", None if dim == () else dim, axis), keepdim, True)


@tensor_method("amin")
def amin(input: Tensor, dim: DimLike = (), keepdim: bool = False, *,
         axis: Optional[DimLike] = None) -> Tensor:
    """y = min x over ``dim`` (an int or a tuple; (): every dimension); the gradient is shared
    evenly among the tied minima (as torch)."""
    return _amax("amin", input, _dim("amin", None if dim == () else dim, axis), keepdim, False)


@tensor_method("aminmax")
def aminmax(input: Tensor, *, dim: Optional[int] = None, keepdim: bool = False,
            axis: Optional[int] = None) -> AMinMax:
    """(min, max) = (amin(x, dim), amax(x, dim)) as a namedtuple ``(min, max)``; ``dim`` is one
    int or None (every element)."""
    dim = _dim("aminmax", dim, axis)
    if dim is not None:
        _single("aminmax", dim)
    return AMinMax(_amax("aminmax", input, dim, keepdim, False),
                   _amax("aminmax", input, dim, keepdim, True))


def _arg_extreme(op: str, x: Tensor, dim: Optional[int], keepdim: bool, largest: bool) -> Tensor:
    x = _input(op, x)
    find = np.argmax if largest else np.argmin
    if dim is None:
        _check_nonempty_dims(op, x, (), True)
        index = find(x.array)
        return as_tensor(np.reshape(index, (1,) * x.ndim) if keepdim else np.asarray(index))
    axis = _one_axis(op, dim, x.ndim)
    if axis is None:
        return as_tensor(np.zeros((), np.int64))
    _check_nonempty_dims(op, x, (axis,), False)
    return as_tensor(find(x.array, axis=axis, keepdims=keepdim).astype(np.int64, copy=False))


@tensor_method("argmax")
def argmax(input: Tensor, dim: Optional[int] = None, keepdim: bool = False, *,
           axis: Optional[int] = None) -> Tensor:
    """Index of the largest element (of the flattened tensor when ``dim`` is None); the first
    one on ties. Carries no gradient."""
    return _arg_extreme("argmax", input, _dim("argmax", dim, axis), keepdim, True)


@tensor_method("argmin")
def argmin(input: Tensor, dim: Optional[int] = None, keepdim: bool = False, *,
           axis: Optional[int] = None) -> Tensor:
    """Index of the smallest element (of the flattened tensor when ``dim`` is None)."""
    return _arg_extreme("argmin", input, _dim("argmin", dim, axis), keepdim, False)


# ----------------------------------------------------------------------------- spread
def _correction(op: str, dim: Optional[DimLike], unbiased: Optional[bool],
                correction: Optional[float]) -> tuple[Optional[DimLike], float]:
    """torch's two signatures: var(x, dim, unbiased, keepdim) and var(x, dim, *, correction,
    keepdim); var(x, True) is var(x, unbiased=True)."""
    if isinstance(dim, bool):
        if unbiased is not None:
            raise TypeError(f"{op}: got unbiased twice ({dim!r} in place of dim, and {unbiased!r})")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}: give unbiased= or correction=, not both (as torch)")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction


def _spread(op: str, x: Tensor, dim: Optional[DimLike], unbiased: Optional[bool], keepdim: bool,
            correction: Optional[float], axis: Optional[DimLike], root: bool) -> Tensor:
    x = _input(op, x)
    _floating(op, x)
    dim, correction = _correction(op, _dim(op, dim, axis), unbiased, correction)
    axes = _axes(op, dim, x.ndim)
    dof = _dof(op, _count(x.shape, axes), correction)
    return Var.apply(x, axes, keepdim, dof, root)


@tensor_method("var")
def var(input: Tensor, dim: Optional[DimLike] = None, unbiased: Optional[bool] = None,
        keepdim: bool = False, *, correction: Optional[float] = None,
        axis: Optional[DimLike] = None) -> Tensor:
    """y = sum_i (x_i - mean)**2 / (n - correction) over ``dim``; gradient
    2 (x_i - mean) / (n - correction). ``correction=1`` (Bessel's) by default; ``unbiased=False``
    is ``correction=0``. Where n - correction <= 0 the result is inf or NaN, with torch's warning.
    """
    return _spread("var", input, dim, unbiased, keepdim, correction, axis, False)


@tensor_method("std")
def std(input: Tensor, dim: Optional[DimLike] = None, unbiased: Optional[bool] = None,
        keepdim: bool = False, *, correction: Optional[float] = None,
        axis: Optional[DimLike] = None) -> Tensor:
    """y = sqrt(var(x, dim, correction)); gradient (x_i - mean) / ((n - correction) y), 0 where
    y is 0 (as torch)."""
    return _spread("std", input, dim, unbiased, keepdim, correction, axis, True)


def var_mean(input: Tensor, dim: Optional[DimLike] = None, unbiased: Optional[bool] = None,
             keepdim: bool = False, *, correction: Optional[float] = None,
             axis: Optional[DimLike] = None) -> tuple[Tensor, Tensor]:
    """(var(x, dim), mean(x, dim)): a tuple, as ``torch.var_mean``."""
    dim = _dim("var_mean", dim, axis)
    variance = _spread("var_mean", input, dim, unbiased, keepdim, correction, None, False)
    return variance, mean(input, None if isinstance(dim, bool) else dim, keepdim)


def std_mean(input: Tensor, dim: Optional[DimLike] = None, unbiased: Optional[bool] = None,
             keepdim: bool = False, *, correction: Optional[float] = None,
             axis: Optional[DimLike] = None) -> tuple[Tensor, Tensor]:
    """(std(x, dim), mean(x, dim)): a tuple, as ``torch.std_mean``."""
    dim = _dim("std_mean", dim, axis)
    deviation = _spread("std_mean", input, dim, unbiased, keepdim, correction, None, True)
    return deviation, mean(input, None if isinstance(dim, bool) else dim, keepdim)


@tensor_method("logsumexp")
def logsumexp(input: Tensor, dim: Optional[DimLike] = None, keepdim: bool = False, *,
              axis: Optional[DimLike] = None) -> Tensor:
    """y = log sum_i e^(x_i) over ``dim``, computed as m + log sum_i e^(x_i - m) with m = max x
    (no overflow); gradient softmax(x)_i. An empty dim gives -inf; integers give floats.
    """
    x = _input("logsumexp", input)
    dim = _dim("logsumexp", dim, axis)
    if dim is None:
        raise TypeError("logsumexp: missing the required argument dim (as torch.logsumexp)")
    if x.array.dtype.kind not in "fc":
        x = elementwise.cast(x, backend.get_default_dtype())
    return LogSumExp.apply(x, _axes("logsumexp", dim, x.ndim), keepdim)


# ----------------------------------------------------------------------------- logic and counts
def _logical(op: str, x: Tensor, dim: Optional[DimLike], keepdim: bool,
             reduce: Callable[..., Any]) -> Tensor:
    x = _input(op, x)
    axes = _axes(op, dim, x.ndim)
    y = reduce(x.array, axis=axes, keepdims=keepdim)
    return as_tensor(np.asarray(y, np.uint8 if x.array.dtype == np.uint8 else np.bool_))


@tensor_method("any")
def any(input: Tensor, dim: Optional[DimLike] = None, keepdim: bool = False, *,
        axis: Optional[DimLike] = None) -> Tensor:
    """True where some element over ``dim`` is nonzero (False over an empty dim); bool (uint8
    for a uint8 tensor, as torch). No gradient."""
    return _logical("any", input, _dim("any", dim, axis), keepdim, np.any)


@tensor_method("all")
def all(input: Tensor, dim: Optional[DimLike] = None, keepdim: bool = False, *,
        axis: Optional[DimLike] = None) -> Tensor:
    """True where every element over ``dim`` is nonzero (True over an empty dim); bool (uint8
    for a uint8 tensor, as torch). No gradient."""
    return _logical("all", input, _dim("all", dim, axis), keepdim, np.all)


@tensor_method("count_nonzero")
def count_nonzero(input: Tensor, dim: Optional[DimLike] = None, *, axis: Optional[DimLike] = None) -> Tensor:
    """The number of nonzero elements over ``dim`` (an int or a tuple; None: all), int64."""
    x = _input("count_nonzero", input)
    axes = _axes("count_nonzero", _dim("count_nonzero", dim, axis), x.ndim)
    return as_tensor(np.asarray(np.sum(x.array != 0, axis=axes), np.int64))


# ----------------------------------------------------------------------------- norms
def vector_norm(x: Tensor, ord: float = 2, dim: Optional[DimLike] = None, keepdim: bool = False, *,
                dtype: Optional[DType] = None) -> Tensor:
    """y = (sum_i |x_i|**ord)**(1/ord) over ``dim`` (None: every element), as
    ``torch.linalg.vector_norm``: ord inf is max |x_i|, -inf min |x_i|, 0 the number of nonzero
    elements; gradient sgn(x_i) |x_i|**(ord-1) / y**(ord-1) (0 where y is 0, as torch).
    """
    x = _with_dtype(_input("linalg.vector_norm", x), dtype)
    if x.array.dtype.kind not in "fc":
        raise TypeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                        f"input. Got {x.dtype}")
    if isinstance(ord, str) or isinstance(ord, bool):
        raise TypeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    ord = float(ord)
    axes = _axes("linalg.vector_norm", dim, x.ndim)
    if math.isinf(ord) and builtins.any(x.shape[a] == 0 for a in axes):
        raise EmptyReductionError(
            f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
            f"operation does not have an identity (shape {x.shape}, dim {dim})")
    return VectorNorm.apply(x, ord, axes, keepdim)


@tensor_method("norm")
def norm(input: Tensor, p: Union[float, str, None] = "fro", dim: Optional[DimLike] = None,
         keepdim: bool = False, out: Optional[Tensor] = None, dtype: Optional[DType] = None) -> Tensor:
    """The norm of ``input`` as ``torch.norm``: p = 'fro' (or a number) is the vector p-norm
    (sum_i |x_i|**p)**(1/p) of the elements over ``dim`` (None: all of them; see
    ``vector_norm``); p = 'nuc' the nuclear norm (sum of singular values, gradient U V^T) of the
    matrices over the two dims ``dim`` (a 2-d input when None).
    """
    if out is not None:
        raise TypeError("norm: out= is not supported by gradsheet")
    x = _with_dtype(_input("norm", input), dtype)
    if p is None or p == "fro":  # None: the 2-norm, as torch.norm
        p = 2
    if p == "nuc":
        if x.array.dtype.kind not in "fc":
            raise TypeError(f"norm: the nuclear norm needs a floating tensor, got {x.dtype}")
        dims = (0, 1) if dim is None else dim
        if not isinstance(dims, (tuple, list)) or len(dims) != 2 or x.ndim < 2 or \
                (dim is None and x.ndim != 2):
            raise RuntimeError(f"norm: the nuclear norm needs dim to be a 2-tuple (a 2-d input "
                               f"when dim is None); got dim {dim} for shape {x.shape}")
        rows, cols = (_check_dim("norm", d, x.ndim) for d in dims)
        if rows == cols:
            raise RuntimeError(f"norm: dim {dim} names one dimension twice")
        from .shape import permute, unsqueeze
        rest = [d for d in range(x.ndim) if d not in (rows, cols)]
        y = NuclearNorm.apply(permute(x, tuple(rest) + (rows, cols)))
        if keepdim:
            for d in sorted((rows, cols)):
                y = unsqueeze(y, d)
        return y
    if isinstance(p, str):
        raise ValueError(f"norm: p must be 'fro', 'nuc' or a number, got {p!r}")
    return vector_norm(x, p, dim, keepdim)


@tensor_method("dist")
def dist(input: Tensor, other: TensorLike, p: float = 2) -> Tensor:
    """y = vector_norm(input - other, p) (broadcasting), as ``torch.dist``; gradient through
    the difference."""
    return vector_norm(elementwise.sub(input, other), p)


# gradsheet.* (torch.*) names defined here; gradsheet/__init__.py imports them with *
__all__ = [
    "all", "amax", "amin", "aminmax", "any", "argmax", "argmin", "count_nonzero", "dist",
    "logsumexp", "max", "mean", "min", "nanmean", "nansum", "norm", "prod", "std", "std_mean",
    "sum", "var", "var_mean", "vector_norm",
]
