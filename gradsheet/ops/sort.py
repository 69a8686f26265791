"""Sorting and order statistics: sort, argsort, msort, topk, kthvalue, median, nanmedian,
mode, unique, unique_consecutive, searchsorted, bucketize, quantile, nanquantile.

Sorting is stable (ties keep their order, ascending or descending, as torch's
``stable=True``) and puts NaN above every number, as PyTorch. The ops that pick
elements (sort, topk, kthvalue, median and mode along a dim) give the gradient of each
picked value to the position it was picked from.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple, Optional, Union

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, as_tensor
from ..autograd.methods import tensor_method
from . import elementwise
from .reduce import Select, _check_dim, _dim, _input

if TYPE_CHECKING:
    from .._typing import TensorLike

class _SortedFields(NamedTuple):
    values: Tensor
    indices: Tensor


class Sorted(_SortedFields):
    """(values, indices): the result of sort, topk, kthvalue, median, nanmedian and
    mode, as torch.return_types."""

    __slots__ = ()


def _axis(op: str, dim: Optional[int], axis: Optional[int], ndim: int) -> int:
    dim = _dim(op, dim, axis)
    if isinstance(dim, (tuple, list)) or dim is None:
        raise TypeError(f"{op}: dim must be one int, got {dim!r}")
    return _check_dim(op, dim, ndim)


def _argsort(a: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort along ``axis``, NaN largest; descending keeps ties in their order."""
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    flipped = np.argsort(np.flip(a, axis), axis=axis, kind="stable")
    return a.shape[axis] - 1 - np.flip(flipped, axis)


def _pick(op: str, x: Tensor, index: Optional[np.ndarray], axis: Optional[int],
          keepdim: bool) -> Sorted:
    """(values, indices) of the elements of x at ``index`` along ``axis`` (gradient to them)."""
    if x.ndim == 0:  # its one element, at index 0
        return Sorted(elementwise.clone(x), as_tensor(np.zeros((), np.int64)))
    assert index is not None and axis is not None  # given for a tensor with dimensions
    values = Select.apply(x, index, axis, keepdim)
    return Sorted(values, as_tensor(index if keepdim else np.squeeze(index, axis)))


def _nonempty(op: str, x: Tensor, axis: int) -> None:
    if x.ndim and x.shape[axis] == 0:
        raise IndexError(f"{op}: Expected reduction dim {axis} to have non-zero size (input "
                         f"shape {x.shape})")


# ----------------------------------------------------------------------------- sorting
@tensor_method("sort")
def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False, *,
         axis: Optional[int] = None) -> Sorted:
    """(values, indices): x sorted along ``dim`` (ascending unless ``descending``), NaN last
    (first when descending); always stable (ties keep their order, as torch's ``stable=True``).
    The gradient of each sorted value goes back to its position."""
    x = _input("sort", input)
    ax = _axis("sort", None if axis is not None else dim, axis, x.ndim)
    if x.ndim == 0:
        return _pick("sort", x, None, None, True)
    index = _argsort(x.array, ax, descending)
    return _pick("sort", x, index, ax, True)


@tensor_method("argsort")
def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False, *,
            axis: Optional[int] = None) -> Tensor:
    """The indices that sort x along ``dim`` (``sort(...).indices``), int64; stable."""
    x = _input("argsort", input)
    ax = _axis("argsort", None if axis is not None else dim, axis, x.ndim)
    if x.ndim == 0:
        return as_tensor(np.zeros((), np.int64))
    return as_tensor(_argsort(x.array, ax, descending))


@tensor_method("msort")
def msort(input: Tensor) -> Tensor:
    """x sorted along its first dimension: ``sort(x, dim=0).values``."""
    return sort(input, 0).values


@tensor_method("topk")
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True, *,
         axis: Optional[int] = None) -> Sorted:
    """(values, indices): the ``k`` largest (``largest=False``: smallest) elements along
    ``dim``, NaN counting as largest, in sorted order (also when ``sorted=False``). The gradient
    goes to the chosen positions. Ties: the earliest positions are chosen (torch's choice among
    ties depends on its selection algorithm)."""
    x = _input("topk", input)
    ax = _axis("topk", None if axis is not None else dim, axis, x.ndim)
    size = x.shape[ax] if x.ndim else 1
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= size:
        raise RuntimeError(f"topk: selected index k out of range: k = {k!r} but dim {dim} has "
                           f"size {size}")
    if x.ndim == 0:
        return _pick("topk", x, None, None, True)
    index = np.take(_argsort(x.array, ax, largest), np.arange(int(k)), axis=ax)
    return _pick("topk", x, index, ax, True)


@tensor_method("kthvalue")
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False, *,
             axis: Optional[int] = None) -> Sorted:
    """(values, indices): the ``k``-th smallest element (k from 1) along ``dim``; gradient to
    its position. Ties: the position of the k-th in a stable sort."""
    x = _input("kthvalue", input)
    ax = _axis("kthvalue", None if axis is not None else dim, axis, x.ndim)
    size = x.shape[ax] if x.ndim else 1
    _nonempty("kthvalue", x, ax)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= size:
        raise RuntimeError(f"kthvalue: selected number k out of range: k = {k!r} but dim {dim} "
                           f"has size {size}")
    if x.ndim == 0:
        return _pick("kthvalue", x, None, None, keepdim)
    index = np.take(_argsort(x.array, ax, False), [int(k) - 1], axis=ax)
    return _pick("kthvalue", x, index, ax, keepdim)


class Distribute(Function):
    """y = the given value v of x (median over all elements); the gradient is shared evenly
    among the elements equal to v (among the NaNs when v is NaN), as torch."""

    def forward(self, x: np.ndarray, value: Any) -> np.ndarray:
        self.x, self.value = x, value
        return np.asarray(value, x.dtype)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        mask = np.isnan(self.x) if np.isnan(self.value) else self.x == self.value
        return np.where(mask, g / max(int(mask.sum()), 1), 0).astype(g.dtype), None


def _median(op: str, x: Tensor, dim: Optional[int], keepdim: bool, axis: Optional[int],
            ignore_nan: bool) -> Union[Tensor, Sorted]:
    x = _input(op, x)
    dim = _dim(op, dim, axis)
    if dim is None:
        a = x.array.ravel()
        if a.size == 0:
            return Distribute.apply(x, np.nan)
        order = np.sort(a)
        valid = int(np.sum(~np.isnan(a))) if ignore_nan else a.size
        if not ignore_nan and a.dtype.kind in "fc" and np.isnan(order[-1]):
            return Distribute.apply(x, np.nan)
        return Distribute.apply(x, order[max(valid - 1, 0) // 2])
    ax = _axis(op, dim, None, x.ndim)
    if x.ndim == 0:
        return _pick(op, x, None, None, keepdim)
    _nonempty(op, x, ax)
    a = x.array
    order = _argsort(a, ax, False)
    n = a.shape[ax]
    if a.dtype.kind in "fc":
        nans = np.sum(np.isnan(a), axis=ax, keepdims=True)
        if ignore_nan:
            position = np.maximum(n - nans - 1, 0) // 2
        else:  # a slice with a NaN gives its first NaN (the first after the numbers)
            position = np.where(nans > 0, n - nans, (n - 1) // 2)
    else:
        position = np.full([1 if d == ax else s for d, s in enumerate(a.shape)], (n - 1) // 2)
    index = np.take_along_axis(order, position, axis=ax)
    return _pick(op, x, index, ax, keepdim)


@tensor_method("median")
def median(input: Tensor, dim: Optional[int] = None, keepdim: bool = False, *,
           axis: Optional[int] = None) -> Union[Tensor, Sorted]:
    """The lower median: the ((n - 1) // 2)-th smallest element, NaN if there is a NaN. Without
    ``dim``, a tensor (gradient shared among the elements equal to it, as torch); with ``dim``,
    (values, indices) along it, the gradient to those positions."""
    return _median("median", input, dim, keepdim, axis, False)


@tensor_method("nanmedian")
def nanmedian(input: Tensor, dim: Optional[int] = None, keepdim: bool = False, *,
              axis: Optional[int] = None) -> Union[Tensor, Sorted]:
    """The lower median of the non-NaN elements (NaN where all are NaN): as ``median`` with the
    NaNs left out."""
    return _median("nanmedian", input, dim, keepdim, axis, True)


@tensor_method("mode")
def mode(input: Tensor, dim: int = -1, keepdim: bool = False, *,
         axis: Optional[int] = None) -> Sorted:
    """(values, indices): the most frequent value along ``dim`` (the smallest among equally
    frequent ones) and the index of its last occurrence, as torch; gradient to that index."""
    x = _input("mode", input)
    ax = _axis("mode", None if axis is not None else dim, axis, x.ndim)
    if x.ndim == 0:
        return _pick("mode", x, None, None, keepdim)
    _nonempty("mode", x, ax)
    a = np.moveaxis(x.array, ax, -1)
    order = np.argsort(a, axis=-1, kind="stable")
    s = np.take_along_axis(a, order, axis=-1)
    n = s.shape[-1]
    positions = np.broadcast_to(np.arange(n), s.shape)
    new = np.ones(s.shape, bool)
    new[..., 1:] = s[..., 1:] != s[..., :-1]  # NaN != NaN: each NaN is a run of its own
    last = np.ones(s.shape, bool)
    last[..., :-1] = new[..., 1:]
    start = np.maximum.accumulate(np.where(new, positions, 0), axis=-1)
    end = np.flip(np.minimum.accumulate(np.flip(np.where(last, positions, n - 1), -1), axis=-1), -1)
    best = np.argmax(end - start, axis=-1)[..., None]  # the first longest run: the smallest value
    index = np.take_along_axis(order, np.take_along_axis(end, best, axis=-1), axis=-1)
    return _pick("mode", x, np.moveaxis(index, -1, ax), ax, keepdim)


# ----------------------------------------------------------------------------- unique
def _unique_result(values: np.ndarray, inverse: Any, counts: Any, return_inverse: bool,
                   return_counts: bool) -> Union[Tensor, tuple[Tensor, ...]]:
    out = [as_tensor(values)]
    if return_inverse:
        out.append(as_tensor(np.asarray(inverse, np.int64)))
    if return_counts:
        out.append(as_tensor(np.asarray(counts, np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


@tensor_method("unique")
def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: Optional[int] = None
           ) -> Union[Tensor, tuple[Tensor, ...]]:
    """The distinct elements of x, sorted (also for ``sorted=False``, as torch on the CPU; each
    NaN is distinct); with ``dim``, the distinct slices along it in lexicographic order.
    ``return_inverse``: for each element (slice), the index of its value in the result;
    ``return_counts``: how often each value occurs. No gradient."""
    x = _input("unique", input)
    a = x.array
    if dim is None:
        flat = a.ravel()
        values, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True,
                                            equal_nan=False)
        return _unique_result(values, inverse.reshape(a.shape), counts, return_inverse,
                              return_counts)
    ax = _check_dim("unique", dim, a.ndim)
    moved = np.moveaxis(a, ax, 0)
    if moved.size == 0 and moved.shape[0]:
        raise RuntimeError(f"unique: there are 0 sized dimensions, and they aren't selected, so "
                           f"unique cannot be applied (shape {x.shape}, dim {dim})")
    rows = moved.reshape(moved.shape[0], int(np.prod(moved.shape[1:])))
    order = np.lexsort(rows.T[::-1]) if rows.shape[1] else np.arange(rows.shape[0])
    ordered = rows[order]
    new = np.ones(len(ordered), bool)
    new[1:] = np.any(ordered[1:] != ordered[:-1], axis=1) if rows.shape[1] else False
    group = np.cumsum(new) - 1
    inverse = np.empty(len(order), np.int64)
    inverse[order] = group
    values = np.moveaxis(moved[order[new]], 0, ax)
    counts = np.diff(np.append(np.flatnonzero(new), len(ordered)))
    return _unique_result(values, inverse, counts, return_inverse, return_counts)


@tensor_method("unique_consecutive")
def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: Optional[int] = None) -> Union[Tensor, tuple[Tensor, ...]]:
    """x with each run of equal consecutive elements (slices along ``dim``) kept once, as
    ``torch.unique_consecutive``; ``return_inverse`` / ``return_counts`` as in ``unique``."""
    x = _input("unique_consecutive", input)
    a = x.array
    ax = None if dim is None else _check_dim("unique_consecutive", dim, a.ndim)
    moved = a.reshape(-1, 1) if ax is None else np.moveaxis(a, ax, 0)
    rows = moved.reshape(moved.shape[0], int(np.prod(moved.shape[1:])))
    new = np.ones(len(rows), bool)
    if len(rows) and rows.shape[1]:
        new[1:] = np.any(rows[1:] != rows[:-1], axis=1)
    elif len(rows):
        new[1:] = False
    values = moved[new]
    values = values.reshape(-1) if ax is None else np.moveaxis(values, 0, ax)
    inverse = np.cumsum(new) - 1
    counts = np.diff(np.append(np.flatnonzero(new), len(rows)))
    return _unique_result(values, inverse.reshape(a.shape) if ax is None else inverse, counts,
                          return_inverse, return_counts)


# ----------------------------------------------------------------------------- searching
def _bisect(boundaries: np.ndarray, values: np.ndarray, right: bool,
            sorter: Optional[np.ndarray]) -> np.ndarray:
    """torch's binary search, vectorised: for each row of ``values`` (B, M), the number of
    leading elements of its row of ``boundaries`` (B, N) that are < value (<= when ``right``),
    by the same comparisons as torch's (so NaN goes where torch puts it)."""
    rows, n = boundaries.shape
    low = np.zeros(values.shape, np.int64)
    high = np.full(values.shape, n, np.int64)
    if sorter is not None:
        boundaries = np.take_along_axis(boundaries, sorter, axis=1)
    with np.errstate(invalid="ignore"):
        while True:
            active = low < high
            if not active.any():
                return low
            mid = low + (high - low) // 2
            found = np.take_along_axis(boundaries, np.minimum(mid, max(n - 1, 0)), axis=1)
            go_right = ~(found > values) if right else ~(found >= values)
            low = np.where(active & go_right, mid + 1, low)
            high = np.where(active & ~go_right, mid, high)


def searchsorted(sorted_sequence: Tensor, input: TensorLike, *, out_int32: bool = False,
                 right: bool = False, side: Optional[str] = None,
                 sorter: Optional[TensorLike] = None) -> Tensor:
    """For each value v, the index at which it would be inserted into ``sorted_sequence``
    keeping it sorted: the number of elements < v (<= v when ``right`` or side='right'), along
    the last dim (a 1-d sequence serves every value; else its leading dims match input's).
    int64 (int32 with ``out_int32``). No gradient."""
    seq = _input("searchsorted", sorted_sequence)
    values = input if isinstance(input, Tensor) else as_tensor(np.asarray(input))
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"searchsorted: side can only be 'left' or 'right' but got {side!r}")
        if right and side == "left":
            raise RuntimeError("searchsorted: side and right can't be set to opposites, got side "
                               "of left while right was True")
        right = side == "right"
    b, v = seq.array, values.array
    if b.ndim == 0:
        raise RuntimeError("searchsorted: boundaries tensor should have positive dimension, but "
                           "got 0 dimension")
    if b.ndim > 1 and b.shape[:-1] != v.shape[:-1]:
        raise RuntimeError(f"searchsorted: boundaries tensor should be 1 dimension or the first "
                           f"N-1 dimensions of boundaries tensor and input value tensor must "
                           f"match, but got boundaries of shape {seq.shape} and input of shape "
                           f"{values.shape}")
    order = None
    if sorter is not None:
        order = sorter.array if isinstance(sorter, Tensor) else np.asarray(sorter)
        if order.shape != b.shape:
            raise RuntimeError(f"searchsorted: sorter of shape {order.shape} must have the shape "
                               f"of the sorted sequence {b.shape}")
        order = order.reshape(int(np.prod(b.shape[:-1])), b.shape[-1]).astype(np.int64)
    if b.ndim == 1:
        result = _bisect(b.reshape(1, b.size), v.reshape(1, v.size), right, order)
    else:
        rows = int(np.prod(b.shape[:-1]))
        result = _bisect(b.reshape(rows, b.shape[-1]), v.reshape(rows, v.shape[-1]), right, order)
    return as_tensor(result.reshape(v.shape).astype(np.int32 if out_int32 else np.int64))


def bucketize(input: TensorLike, boundaries: Tensor, *, out_int32: bool = False,
              right: bool = False) -> Tensor:
    """The bucket of each value among the 1-d sorted ``boundaries``: i with boundaries[i-1] < v
    <= boundaries[i] (boundaries[i-1] <= v < boundaries[i] with ``right``), i.e.
    ``searchsorted(boundaries, input, right=right)``. No gradient."""
    bounds = _input("bucketize", boundaries)
    if bounds.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries tensor must be 1 dimension, but got dim "
                           f"{bounds.ndim} (shape {bounds.shape})")
    return searchsorted(bounds, input, out_int32=out_int32, right=right)


# ----------------------------------------------------------------------------- quantiles
_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _lerp(start: np.ndarray, end: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """torch.lerp's formula (exact at both ends)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(weight < 0.5, start + weight * (end - start),
                        end - (end - start) * (1 - weight))


class Quantile(Function):
    """y = s_lo + w (s_hi - s_lo) with s the sorted slice, rank r = q (n - 1), lo = floor(r),
    hi = ceil(r), w = r - lo (the other interpolations pick one element, or w = 1/2);
    dy/dx = (1 - w) at the element sorted to lo, w at the one sorted to hi;
    dy/dq = (s_hi - s_lo) (n - 1) for linear interpolation, 0 for the others."""

    def forward(self, x: np.ndarray, q: np.ndarray, axis: Optional[int], keepdim: bool, mode: str,
                ignore_nan: bool) -> np.ndarray:
        self.shape, self.axis = x.shape, axis
        moved = x.reshape(1, -1) if axis is None else np.moveaxis(x, axis, -1)
        self.moved_shape = moved.shape
        rows = moved.reshape(-1, moved.shape[-1])  # (M, n)
        n = rows.shape[-1]
        order = np.argsort(rows, axis=-1, kind="stable")
        s = np.take_along_axis(rows, order, axis=-1)
        qs = np.asarray(q, x.dtype).reshape(-1, 1)  # (Q, 1)
        nans = np.isnan(s[:, -1]) if n else np.zeros(len(s), bool)
        if ignore_nan:
            span = (n - np.sum(np.isnan(rows), axis=-1)) - 1  # (M,)
            rank = np.maximum(qs * span, 0)
        else:
            span = np.full(len(rows), n - 1)
            rank = np.where(nans, n - 1, qs * span)
        if mode == "lower":
            rank = np.floor(rank)
        elif mode == "higher":
            rank = np.ceil(rank)
        elif mode == "nearest":
            rank = np.round(rank)
        low, high = np.floor(rank).astype(np.int64), np.ceil(rank).astype(np.int64)
        weight = np.full(rank.shape, 0.5, x.dtype) if mode == "midpoint" else rank - low
        if not ignore_nan:
            weight = np.where(nans, 0, weight)
        picked = np.arange(len(rows))
        s_low, s_high = s[picked, low], s[picked, high]  # (Q, M)
        y = _lerp(s_low, s_high, weight).astype(x.dtype, copy=False)
        self.order, self.low, self.high, self.weight = order, low, high, weight
        self.dq: Optional[np.ndarray] = None
        if mode == "linear":  # the rank moves with q, except where it is pinned
            pinned = (span < 0)[None, :] if ignore_nan else nans[None, :]
            with np.errstate(invalid="ignore"):
                self.dq = np.where(pinned, 0, (s_high - s_low) * span)
        self.q_shape = np.shape(q)
        out_shape = self.moved_shape[:-1]
        if keepdim:
            out_shape = (1,) * len(self.shape) if axis is None else \
                self.shape[:axis] + (1,) + self.shape[axis + 1:]
        elif axis is None:
            out_shape = ()
        self.out_shape = out_shape
        return y.reshape(self.q_shape + out_shape)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], ...]:
        g2 = g.reshape(self.low.shape)  # (Q, M)
        m, n = self.order.shape
        rows = np.broadcast_to(np.arange(m), self.low.shape)
        grad = np.zeros((m, n), g.dtype)
        np.add.at(grad, (rows, self.order[rows, self.low]), g2 * (1 - self.weight))
        np.add.at(grad, (rows, self.order[rows, self.high]), g2 * self.weight)
        grad = grad.reshape(self.moved_shape)
        grad = grad.reshape(self.shape) if self.axis is None else np.moveaxis(grad, -1, self.axis)
        grad_q = None
        if self.needs_grad(1):
            dq = np.zeros_like(g2) if self.dq is None else g2 * self.dq
            grad_q = dq.sum(axis=1).reshape(self.q_shape).astype(g.dtype)
        return grad, grad_q, None, None, None, None


def _quantile(op: str, x: Tensor, q: Union[float, Tensor], dim: Optional[int], keepdim: bool,
              interpolation: str, ignore_nan: bool) -> Tensor:
    x = _input(op, x)
    if x.array.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"{op}: input tensor must be either float or double dtype, got "
                           f"{x.dtype}")
    if x.array.size == 0:
        raise RuntimeError(f"{op}: input tensor must be non-empty (shape {x.shape})")
    if interpolation not in _MODES:
        raise RuntimeError(f"{op}: interpolation must be one of linear, lower, higher, midpoint "
                           f"or nearest, but got {interpolation!r}")
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{op}: q must be a scalar or 1D tensor, got shape {q.shape}")
        if q.array.dtype != x.array.dtype:
            raise RuntimeError(f"{op}: q tensor must be same dtype as the input tensor ({q.dtype} "
                               f"and {x.dtype})")
        q_values = q.array
    elif isinstance(q, (int, float, np.floating, np.integer)) and not isinstance(q, bool):
        q_values = np.asarray(float(q))
    else:
        raise TypeError(f"{op}: q must be a float or a Tensor, got {type(q).__name__}")
    bad = (q_values < 0) | (q_values > 1) | np.isnan(q_values)
    if np.any(bad):
        raise RuntimeError(f"{op}: q must be in the range [0, 1] but got "
                           f"{np.asarray(q_values)[bad].ravel()[0]}")
    axis = None if dim is None else _check_dim(op, dim, x.ndim)
    if axis is not None and x.ndim == 0:
        axis = None
        keepdim = False
    return Quantile.apply(x, q if isinstance(q, Tensor) else float(q_values), axis, keepdim,
                          interpolation, ignore_nan)


@tensor_method("quantile")
def quantile(input: Tensor, q: Union[float, Tensor], dim: Optional[int] = None,
             keepdim: bool = False, *, interpolation: str = "linear",
             axis: Optional[int] = None) -> Tensor:
    """The q-th quantiles along ``dim`` (None: of all elements): with rank r = q (n - 1) in the
    sorted slice s, s_lo + (r - lo)(s_hi - s_lo) for 'linear' ('lower', 'higher', 'nearest',
    'midpoint' as torch); NaN where a slice has a NaN. A 1-d q puts its dim first. Gradient
    (1 - w) and w to the two elements used (and to a tensor q)."""
    return _quantile("quantile", input, q, _dim("quantile", dim, axis), keepdim, interpolation,
                     False)


@tensor_method("nanquantile")
def nanquantile(input: Tensor, q: Union[float, Tensor], dim: Optional[int] = None,
                keepdim: bool = False, *, interpolation: str = "linear",
                axis: Optional[int] = None) -> Tensor:
    """``quantile`` of the non-NaN elements of each slice (NaN where all are NaN)."""
    return _quantile("nanquantile", input, q, _dim("nanquantile", dim, axis), keepdim,
                     interpolation, True)


__all__ = [
    "argsort", "bucketize", "kthvalue", "median", "mode", "msort", "nanmedian", "nanquantile",
    "quantile", "searchsorted", "sort", "topk", "unique", "unique_consecutive",
]
