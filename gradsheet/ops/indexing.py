"""Gathering and scattering by index: gather, scatter, index_select, masked ops, diagonals, ...

Each op that moves elements by an index tensor has the gradient that moves them back:

    gather:        y[p] = x[p with coordinate dim replaced by index[p]]
                   dL/dx = zeros with dL/dy[p] added at those positions (np.add.at: an element
                   picked twice gets both contributions)
    scatter:       y = x with y[p with dim -> index[p]] = src[p]
                   dL/dx = dL/dy with zeros where src was written, dL/dsrc[p] = dL/dy[... index[p] ...]
    index_select:  y = x[..., index, ...] along dim;  dL/dx = dL/dy added back along dim

Index tensors are int64 (int32 where PyTorch allows it); an index out of range raises an
IndexError (also a RuntimeError, which PyTorch raises for some of these ops) naming the index,
the dimension and its size. The factories ``eye``, ``tril_indices`` and ``triu_indices`` and the
``Tensor.new_*`` constructors live here too.
"""
from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, Optional, Union, overload

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..autograd.methods import tensor_method
from ..autograd.tensor import Tensor, _shape_args, _to_array
from .elementwise import cast

if TYPE_CHECKING:
    from .._typing import DType, DeviceLike, Number, ShapeLike, TensorLike


class IndexOutOfRange(IndexError, RuntimeError):
    """An index outside its dimension: an IndexError, and a RuntimeError as PyTorch raises for
    gather, scatter and index_add."""


# ---------------------------------------------------------------------------- checks
def _tensor(op: str, x: object, name: str = "input") -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: argument '{name}' must be a Tensor, not {type(x).__name__}")
    return x


def _index(op: str, index: object, dtypes: tuple[str, ...] = ("int64", "int32"),
           name: str = "index") -> np.ndarray:
    """index's array, checked to be a Tensor of one of ``dtypes``."""
    array = _tensor(op, index, name).array
    if array.dtype.name not in dtypes:
        raise RuntimeError(f"{op}: expected dtype {' or '.join(dtypes)} for {name}, got "
                           f"{array.dtype}")
    return array


def _in_range(op: str, index: np.ndarray, size: int, dim: object, negative: bool = False
              ) -> np.ndarray:
    """index with every entry checked to lie in [0, size) ([-size, size) when ``negative``,
    then wrapped to [0, size))."""
    if index.size:
        low = -size if negative else 0
        bad = (index < low) | (index >= size)
        if bad.any():
            value = index[bad].flat[0]
            raise IndexOutOfRange(f"{op}: index {value} is out of range for dimension {dim} with "
                                  f"size {size}")
        if negative:
            index = np.where(index < 0, index + size, index)
    return index


def _dim(op: str, dim: object, ndim: int) -> int:
    """dim wrapped to [0, ndim); a 0-d tensor accepts dims 0 and -1, as in PyTorch."""
    n = builtins.max(ndim, 1)
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    if not -n <= dim < n:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor of {ndim} dimensions "
                         f"(expected a dim in [{-n}, {n - 1}])")
    return int(dim) % n


def _same_dtype(op: str, input: Tensor, other: Tensor, name: str) -> None:
    if input.dtype != other.dtype:
        raise RuntimeError(f"{op}: input ({input.dtype}) and {name} ({other.dtype}) must have the "
                           "same dtype")


def _at_least_1d(array: np.ndarray) -> np.ndarray:
    return array.reshape(1) if array.ndim == 0 else array


def _value(op: str, value: object) -> Any:
    """A fill value: a number, or a 0-d tensor (which may get a gradient); Any: a Tensor or a
    Python number (complex too)."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"{op}: only a 0-d tensor or a number can be the value, got a "
                               f"tensor of shape {value.shape}")
        return value
    if isinstance(value, np.generic):
        return value.item()
    if not isinstance(value, (bool, int, float, complex)):
        raise TypeError(f"{op}: value must be a number or a 0-d tensor, got {type(value).__name__}")
    return value


def _grid(index: np.ndarray, dim: int) -> tuple[np.ndarray, ...]:
    """The advanced index picking, for each position p of ``index``, position p with its
    coordinate ``dim`` replaced by index[p]."""
    grid: list[np.ndarray] = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    return tuple(grid)


def _add_at(shape: tuple[int, ...], grid: tuple[np.ndarray, ...], values: np.ndarray
            ) -> np.ndarray:
    """zeros(shape) with ``values`` added at the positions ``grid`` (a tuple of broadcasting
    integer arrays, one per dimension; repeats add up): one bincount over the flat positions,
    several times faster than np.add.at. Sums in float64, then back to values' dtype."""
    steps = np.cumprod((shape[1:] + (1,))[::-1])[::-1]
    flat = sum(coordinate * step for coordinate, step in zip(grid, steps))
    counts = np.bincount(np.broadcast_to(flat, values.shape).ravel(), weights=values.ravel(),
                         minlength=math.prod(shape))
    return counts.astype(values.dtype, copy=False).reshape(shape)


def _region(shape: tuple[int, ...]) -> tuple[slice, ...]:
    return tuple(slice(0, n) for n in shape)


def _check_scatter_shapes(op: str, input: Tensor, index: np.ndarray, dim: int,
                          src: Optional[Tensor] = None) -> None:
    """PyTorch's rule: index, input (and src) have one number of dimensions; index is no larger
    than src anywhere and no larger than input outside dim."""
    ndim = builtins.max(input.ndim, 1)
    if builtins.max(index.ndim, 1) != ndim:
        raise RuntimeError(f"{op}: index has {index.ndim} dimensions but input has {input.ndim} "
                           f"(index {tuple(index.shape)}, input {tuple(input.shape)}); they must "
                           "have the same number of dimensions")
    ishape, xshape = _at_least_1d(np.empty(index.shape, bool)).shape, \
        _at_least_1d(np.empty(input.shape, bool)).shape
    if src is not None:
        if builtins.max(src.ndim, 1) != ndim:
            raise RuntimeError(f"{op}: index has {index.ndim} dimensions but src has {src.ndim} "
                               f"(index {tuple(index.shape)}, src {tuple(src.shape)}); they must "
                               "have the same number of dimensions")
        sshape = _at_least_1d(np.empty(src.shape, bool)).shape
        if any(i > s for i, s in zip(ishape, sshape)):
            raise RuntimeError(f"{op}: index of shape {tuple(index.shape)} is larger than src of "
                               f"shape {tuple(src.shape)}")
    if any(i > s for d, (i, s) in enumerate(zip(ishape, xshape)) if d != dim):
        raise RuntimeError(f"{op}: index of shape {tuple(index.shape)} is larger than input of "
                           f"shape {tuple(input.shape)} outside dimension {dim}")


# ---------------------------------------------------------------------------- gather / scatter
class Gather(Function):
    """y[p] = x[p with coordinate dim replaced by index[p]] (y has index's shape);
    dL/dx = zeros with dL/dy[p] added at each picked position (twice if picked twice)."""

    def forward(self, x: np.ndarray, index: np.ndarray, dim: int) -> np.ndarray:
        self.shape, self.dim, self.index = x.shape, dim, index
        return _at_least_1d(x)[_grid(index, dim)]

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None]:
        shape = _at_least_1d(np.empty(self.shape, bool)).shape
        return _add_at(shape, _grid(self.index, self.dim), g).reshape(self.shape), None, None


@tensor_method("gather")
def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """y[i][j] = input[index[i][j]][j] (dim 0), input[i][index[i][j]] (dim 1), ...: y has
    index's shape; the gradient is added back at the picked positions. index is int64 (or
    int32) with input's number of dimensions and no larger than input outside ``dim``.
    """
    input = _tensor("gather", input)
    array = _index("gather", index)
    dim = _dim("gather", dim, input.ndim)
    _check_scatter_shapes("gather", input, array, dim)
    size = _at_least_1d(input.array).shape[dim]
    return Gather.apply(input, _in_range("gather", _at_least_1d(array), size, dim), dim) \
        .reshape(array.shape)


class Scatter(Function):
    """y = x with y[p with coordinate dim -> index[p]] = src[p] (``reduce``: add or multiply
    into it instead); dL/dx = dL/dy with zeros where src was written, dL/dsrc[p] =
    dL/dy[p with dim -> index[p]] (as PyTorch: every duplicate gets it). With ``reduce`` there
    is no gradient (as in PyTorch)."""

    def forward(self, x: np.ndarray, src: Optional[np.ndarray], index: np.ndarray, dim: int,
                reduce: Optional[str], value: Any) -> np.ndarray:
        self.index, self.dim, self.reduce = index, dim, reduce
        self.src_shape = None if src is None else src.shape
        out = _at_least_1d(x).copy()
        grid = _grid(index, dim)
        if src is not None:
            value = _at_least_1d(src)[_region(index.shape)]
        if reduce is None:
            out[grid] = value
        elif reduce == "add":
            np.add.at(out, grid, np.broadcast_to(value, index.shape))
        else:
            np.multiply.at(out, grid, np.broadcast_to(value, index.shape))
        return out.reshape(x.shape)

    def backward(self, g: np.ndarray
                 ) -> tuple[Optional[np.ndarray], Optional[np.ndarray], None, None, None, None]:
        if self.reduce is not None:
            raise RuntimeError(f"scatter: the derivative of scatter with reduce={self.reduce!r} is "
                               "not implemented (as in PyTorch); use scatter_add or "
                               "scatter_reduce for a differentiable reduction")
        shape = g.shape
        g = _at_least_1d(g)
        grid = _grid(self.index, self.dim)
        grad_x = grad_src = None
        if self.needs_grad(0):
            grad_x = g.copy()
            grad_x[grid] = 0
            grad_x = grad_x.reshape(shape)
        if self.needs_grad(1):
            # src, and so its shape, is given when its gradient is needed
            grad_src = np.zeros(_at_least_1d(np.empty(self.src_shape, bool)  # type: ignore[arg-type]
                                             ).shape, g.dtype)
            grad_src[_region(self.index.shape)] = g[grid]
            grad_src = grad_src.reshape(self.src_shape)
        return grad_x, grad_src, None, None, None, None


def _scatter_args(op: str, input: Tensor, dim: int, index: Tensor, src: object
                  ) -> tuple[Tensor, int, np.ndarray]:
    input = _tensor(op, input)
    array = _index(op, index)
    dim = _dim(op, dim, input.ndim)
    _check_scatter_shapes(op, input, array, dim, src if isinstance(src, Tensor) else None)
    if isinstance(src, Tensor):
        _same_dtype(op, input, src, "src")
    size = _at_least_1d(input.array).shape[dim]
    return input, dim, _in_range(op, _at_least_1d(array), size, dim)


@tensor_method("scatter", inplace="scatter_")
def scatter(input: Tensor, dim: int, index: Tensor, src: Union[Tensor, Number, None] = None,
            value: Optional[Number] = None, *, reduce: Optional[str] = None) -> Tensor:
    """y = input with y[index[i][j]][j] = src[i][j] (dim 0; likewise for other dims), or =
    ``value`` (a number) everywhere index points; ``reduce='add'``/``'multiply'`` combines
    instead of overwriting. Gradient: zeros where written for input, dL/dy gathered by index
    for src. Duplicate indices keep one of the values, as in PyTorch.
    """
    if src is None and value is None:
        raise TypeError("scatter: expects src (a tensor) or value (a number)")
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError(f"scatter: reduce argument must be either add or multiply, got {reduce!r}")
    if src is None:
        value = _value("scatter", value)
        value = value.item() if isinstance(value, Tensor) else value
    input, dim, positions = _scatter_args("scatter", input, dim, index, src)
    fill = np.asarray(value, dtype=input.dtype) if src is None else value
    return Scatter.apply(input, src, positions, dim, reduce, fill)


class ScatterAdd(Function):
    """y = x with src[p] added at (p with coordinate dim -> index[p]) (duplicates accumulate);
    dL/dx = dL/dy, dL/dsrc[p] = dL/dy[p with dim -> index[p]]."""

    def forward(self, x: np.ndarray, src: np.ndarray, index: np.ndarray, dim: int
                ) -> np.ndarray:
        self.index, self.dim, self.src_shape = index, dim, src.shape
        out = _at_least_1d(x).copy()
        np.add.at(out, _grid(index, dim), _at_least_1d(src)[_region(index.shape)])
        return out.reshape(x.shape)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, Optional[np.ndarray], None, None]:
        grad_src = None
        if self.needs_grad(1):
            grad_src = np.zeros(_at_least_1d(np.empty(self.src_shape, bool)).shape, g.dtype)
            grad_src[_region(self.index.shape)] = _at_least_1d(g)[_grid(self.index, self.dim)]
            grad_src = grad_src.reshape(self.src_shape)
        return g, grad_src, None, None


@tensor_method("scatter_add", inplace="scatter_add_")
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """y = input with y[index[i][j]][j] += src[i][j] (dim 0; likewise for other dims),
    duplicates accumulating; the gradient is dL/dy for input, dL/dy gathered by index for src.
    """
    src = _tensor("scatter_add", src, "src")
    input, dim, positions = _scatter_args("scatter_add", input, dim, index, src)
    return ScatterAdd.apply(input, src, positions, dim)


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _scatter_reduce(x: np.ndarray, src: np.ndarray, index: np.ndarray, dim: int, reduce: str,
                    include_self: bool) -> np.ndarray:
    """The forward of scatter_reduce on arrays (at least 1-d, src cut to index's shape)."""
    grid = _grid(index, dim)
    out = x.copy()
    if reduce == "mean":
        count = np.zeros(x.shape, np.int64)
        np.add.at(count, grid, 1)
    if not include_self:
        out[grid] = _identity(reduce, x.dtype)
    with np.errstate(invalid="ignore"):  # NaN propagates, as in PyTorch
        if reduce in ("sum", "mean"):
            np.add.at(out, grid, src)
        elif reduce == "prod":
            np.multiply.at(out, grid, src)
        elif reduce == "amax":
            np.maximum.at(out, grid, src)
        else:
            np.minimum.at(out, grid, src)
    if reduce == "mean":
        count = count + 1 if include_self else np.maximum(count, 1)
        if x.dtype.kind in "fc":
            out = out / count.astype(x.dtype)
        else:
            out = out // count.astype(x.dtype)
    return out


def _identity(reduce: str, dtype: np.dtype) -> Union[bool, int, float]:
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if dtype.kind == "b":
        return reduce == "amin"
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


class ScatterReduce(Function):
    """y = x with src[p] reduced (sum, prod, mean, amax, amin) into position (p with coordinate
    dim -> index[p]), x's value taking part when ``include_self``. Gradients as PyTorch's:
    sum: dL/dy for x, dL/dy gathered for src;  mean: both divided by the count reduced there;
    prod: dL/dy y / x for x and (dL/dy y) gathered / src for src (a lone zero gets the product
    of the others);  amax/amin: dL/dy shared evenly among the values equal to the result.
    Without include_self, x gets no gradient where src was reduced into."""

    def forward(self, x: np.ndarray, src: np.ndarray, index: np.ndarray, dim: int, reduce: str,
                include_self: bool) -> np.ndarray:
        self.index, self.dim, self.reduce, self.include_self = index, dim, reduce, include_self
        self.x_shape, self.src_shape = x.shape, src.shape
        x1 = _at_least_1d(x)
        s1 = _at_least_1d(src)[_region(index.shape)]
        out = _scatter_reduce(x1, s1, index, dim, reduce, include_self)
        if reduce in ("prod", "amax", "amin"):
            self.x, self.src, self.out = x1, s1, out
        return out.reshape(x.shape)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray, None, None, None, None]:
        g = _at_least_1d(g)
        index, dim, reduce = self.index, self.dim, self.reduce
        grid = _grid(index, dim)
        if reduce == "sum":
            grad_x, grad_src = g, g[grid]
        elif reduce == "mean":
            count = np.zeros(g.shape, g.dtype)
            np.add.at(count, grid, 1)
            if self.include_self:
                count += 1
            count[count == 0] = 1
            grad_x = g / count
            grad_src = grad_x[grid]
        elif reduce == "prod":
            grad_x, grad_src = self._prod_grads(g, grid)
        else:
            grad_x, grad_src = self._extreme_grads(g, grid)
        if not self.include_self:
            grad_x = grad_x.copy()
            grad_x[grid] = 0
        full_src = np.zeros(_at_least_1d(np.empty(self.src_shape, bool)).shape, g.dtype)
        full_src[_region(index.shape)] = grad_src
        return (grad_x.reshape(self.x_shape), full_src.reshape(self.src_shape), None, None, None,
                None)

    def _prod_grads(self, g: np.ndarray, grid: tuple[np.ndarray, ...]
                    ) -> tuple[np.ndarray, np.ndarray]:
        x, src, out = self.x, self.src, self.out
        # x's gradient: the product of everything else reduced there, computed without dividing
        # by a zero x
        masked_x = np.where(x == 0, 1, x)
        others = _scatter_reduce(masked_x, src, self.index, self.dim, "prod", self.include_self)
        grad_x = g * others / masked_x
        # src's: (g y) / src, but a src that is the only zero at its position gets g times the
        # product of the others there
        src_zero = src == 0
        zeros_there = np.zeros(x.shape, np.int64)
        np.add.at(zeros_there, grid, src_zero)
        single_zero = src_zero & (zeros_there[grid] == 1)
        without = _scatter_reduce(x, np.where(single_zero, 1, src), self.index, self.dim, "prod",
                                  self.include_self)
        grad_src = np.where(single_zero, (g * without)[grid],
                            (g * out)[grid] / np.where(src_zero, 1, src))
        return grad_x, grad_src

    def _extreme_grads(self, g: np.ndarray, grid: tuple[np.ndarray, ...]
                       ) -> tuple[np.ndarray, np.ndarray]:
        x, src, out = self.x, self.src, self.out
        x_is = (x == out).astype(g.dtype)
        src_is = (src == out[grid]).astype(g.dtype)
        count = x_is.copy()
        np.add.at(count, grid, src_is)
        share = g / count
        return x_is * share, src_is * share[grid]


@tensor_method("scatter_reduce", inplace="scatter_reduce_")
def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """y = input with y[index[i][j]][j] = reduce(y[...], src[i][j], ...) (dim 0; likewise for
    other dims), ``reduce`` one of 'sum', 'prod', 'mean', 'amax', 'amin'; input's own value
    takes part unless ``include_self=False``. Gradients as PyTorch's (amax/amin share among
    ties; integer mean rounds down).
    """
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"scatter_reduce: reduce argument must be either sum, prod, mean, amax "
                           f"or amin, got {reduce!r}")
    src = _tensor("scatter_reduce", src, "src")
    input, dim, positions = _scatter_args("scatter_reduce", input, dim, index, src)
    return ScatterReduce.apply(input, src, positions, dim, reduce, bool(include_self))


class TakeAlong(Function):
    """y[p] = x_flat[index[p]] (``take``: x read in row-major order);  dL/dx = zeros with
    dL/dy[p] added at x_flat[index[p]] (accumulating over duplicates)."""

    def forward(self, x: np.ndarray, index: np.ndarray) -> np.ndarray:
        self.shape, self.index = x.shape, index
        return x.reshape(-1)[index]

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        grad = np.zeros(int(np.prod(self.shape)), g.dtype)
        np.add.at(grad, self.index, g)
        return grad.reshape(self.shape), None


@tensor_method("take")
def take(input: Tensor, index: Tensor) -> Tensor:
    """y = input.flatten()[index] (y has index's shape; negative indices count from the end);
    the gradient is added back at the picked elements. index is int64.
    """
    input = _tensor("take", input)
    array = _index("take", index, ("int64",))
    n = input.array.size
    if array.size and n == 0:
        raise IndexOutOfRange(f"take: index {array.flat[0]} is out of range for a tensor of 0 "
                              "elements")
    return TakeAlong.apply(input, _in_range("take", array, n, "0 of the flattened input",
                                            negative=True))


@tensor_method("take_along_dim")
def take_along_dim(input: Tensor, indices: Tensor, dim: Optional[int] = None) -> Tensor:
    """y = gather(input, dim, indices) with input and indices broadcast against each other
    outside ``dim``; dim=None takes from the flattened input. Negative indices count from the
    end; the gradient is added back at the picked elements.
    """
    input = _tensor("take_along_dim", input)
    array = _index("take_along_dim", indices, ("int64",), "indices")
    if dim is None:
        flat = input.reshape(-1)
        n = flat.shape[0]
        return gather(flat, 0, Tensor._wrap(_in_range("take_along_dim", array.reshape(-1), n, 0,
                                                      negative=True)))
    if input.ndim != array.ndim:
        raise RuntimeError(f"take_along_dim: input and indices should have the same number of "
                           f"dimensions, but got {input.ndim} dimensions for input (shape "
                           f"{tuple(input.shape)}) and {array.ndim} for indices (shape "
                           f"{tuple(array.shape)})")
    if input.ndim == 0:
        raise IndexError(f"take_along_dim: dim {dim} is out of range for a 0-d tensor (use "
                         "dim=None)")
    dim = _dim("take_along_dim", dim, input.ndim)
    outside = [n for i, n in enumerate(input.shape) if i != dim]
    index_outside = [n for i, n in enumerate(array.shape) if i != dim]
    try:
        common = list(np.broadcast_shapes(tuple(outside), tuple(index_outside)))
    except ValueError:
        raise RuntimeError(f"take_along_dim: input of shape {tuple(input.shape)} and indices of "
                           f"shape {tuple(array.shape)} do not broadcast outside dim {dim}") from None
    x_shape = common[:dim] + [input.shape[dim]] + common[dim:]
    i_shape = common[:dim] + [array.shape[dim]] + common[dim:]
    array = _in_range("take_along_dim", np.broadcast_to(array, i_shape), input.shape[dim], dim,
                      negative=True)
    x = input if tuple(x_shape) == input.shape else input.expand(tuple(x_shape))
    return gather(x, dim, Tensor._wrap(np.ascontiguousarray(array)))


# ---------------------------------------------------------------------------- index_*
def _along(dim: int, index: np.ndarray) -> tuple[Any, ...]:
    return (slice(None),) * dim + (index,)


def _index_vector(op: str, input: Tensor, dim: int, index: Tensor,
                  dtypes: tuple[str, ...] = ("int64", "int32"), negative: bool = False
                  ) -> tuple[int, np.ndarray]:
    """The checked 1-d index of an index_* op along ``dim`` (0-d counts as one entry)."""
    array = _index(op, index, dtypes)
    if array.ndim > 1:
        raise IndexError(f"{op}: index should be a vector (0-d or 1-d), got shape "
                         f"{tuple(array.shape)}")
    dim = _dim(op, dim, input.ndim)
    size = _at_least_1d(input.array).shape[dim]
    return dim, _in_range(op, _at_least_1d(array), size, dim, negative)


class IndexSelect(Function):
    """y = x[..., index, ...] along ``dim`` (entries repeat as index repeats them);
    dL/dx = zeros with dL/dy added back along dim (accumulating over duplicates)."""

    def forward(self, x: np.ndarray, index: np.ndarray, dim: int) -> np.ndarray:
        self.shape, self.index, self.dim = x.shape, index, dim
        return np.take(x, index, axis=dim)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None]:
        grad = np.zeros(self.shape, g.dtype)
        np.add.at(grad, _along(self.dim, self.index), g)
        return grad, None, None


@tensor_method("index_select")
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """y = input[..., index, ...]: the entries of ``dim`` that index (a 0-d or 1-d int64 or
    int32 tensor) lists, in its order; the gradient is added back along dim.
    """
    input = _tensor("index_select", input)
    dim, array = _index_vector("index_select", input, dim, index)
    if input.ndim == 0:
        if array.size != 1:
            raise RuntimeError(f"index_select: index to a 0-d tensor can have only 1 value, got "
                               f"{array.size} values")
        return IndexSelect.apply(input.reshape(1), array, 0).reshape(())
    return IndexSelect.apply(input, array, dim)


def _check_source(op: str, input: Tensor, dim: int, index: np.ndarray, source: Tensor) -> None:
    expected = list(_at_least_1d(input.array).shape)
    expected[dim] = index.size
    got = _at_least_1d(source.array).shape
    if input.ndim and source.ndim and list(got) != expected or \
            int(np.prod(got)) != int(np.prod(expected)):
        raise RuntimeError(f"{op}: source of shape {tuple(source.shape)} does not match input of "
                           f"shape {tuple(input.shape)} with dimension {dim} the size of index "
                           f"({index.size}): expected {tuple(expected)}")
    _same_dtype(op, input, source, "source")


class IndexAdd(Function):
    """y = x with alpha source added along ``dim`` at index (duplicates accumulate);
    dL/dx = dL/dy, dL/dsource = alpha dL/dy[..., index, ...]."""

    def forward(self, x: np.ndarray, source: np.ndarray, index: np.ndarray, dim: int,
                alpha: float) -> np.ndarray:
        self.index, self.dim, self.alpha, self.src_shape = index, dim, alpha, source.shape
        out = _at_least_1d(x).copy()
        add = _at_least_1d(source).reshape(np.take(out, index, axis=dim).shape)
        np.add.at(out, _along(dim, index), add if alpha == 1 else add * alpha)
        return out.reshape(x.shape)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, Optional[np.ndarray], None, None, None]:
        grad_src = None
        if self.needs_grad(1):
            grad_src = np.take(_at_least_1d(g), self.index, axis=self.dim)
            if self.alpha != 1:
                grad_src = grad_src * self.alpha
            grad_src = grad_src.reshape(self.src_shape)
        return g, grad_src, None, None, None


@tensor_method("index_add", inplace="index_add_")
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *,
              alpha: Number = 1) -> Tensor:
    """y = input with y[..., index[i], ...] += alpha source[..., i, ...] along ``dim``
    (duplicate indices accumulate); the gradient is dL/dy for input and alpha dL/dy
    index_select-ed for source.
    """
    input = _tensor("index_add", input)
    source = _tensor("index_add", source, "source")
    dim, array = _index_vector("index_add", input, dim, index)
    _check_source("index_add", input, dim, array, source)
    return IndexAdd.apply(input, source, array, dim, alpha)


class IndexCopy(Function):
    """y = x with y[..., index[i], ...] = source[..., i, ...] along ``dim``;
    dL/dx = dL/dy with zeros at index, dL/dsource = dL/dy[..., index, ...]."""

    def forward(self, x: np.ndarray, source: np.ndarray, index: np.ndarray, dim: int
                ) -> np.ndarray:
        self.index, self.dim, self.src_shape = index, dim, source.shape
        out = _at_least_1d(x).copy()
        out[_along(dim, index)] = _at_least_1d(source).reshape(np.take(out, index, axis=dim).shape)
        return out.reshape(x.shape)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray], None, None]:
        shape = g.shape
        g = _at_least_1d(g)
        grad_x = grad_src = None
        if self.needs_grad(0):
            grad_x = g.copy()
            grad_x[_along(self.dim, self.index)] = 0
            grad_x = grad_x.reshape(shape)
        if self.needs_grad(1):
            grad_src = np.take(g, self.index, axis=self.dim).reshape(self.src_shape)
        return grad_x, grad_src, None, None


@tensor_method("index_copy", inplace="index_copy_")
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """y = input with y[..., index[i], ...] = source[..., i, ...] along ``dim`` (index int64);
    the gradient is dL/dy with zeros at index for input, dL/dy index_select-ed for source.
    """
    input = _tensor("index_copy", input)
    source = _tensor("index_copy", source, "source")
    dim, array = _index_vector("index_copy", input, dim, index, ("int64",))
    _check_source("index_copy", input, dim, array, source)
    return IndexCopy.apply(input, source, array, dim)


class IndexFill(Function):
    """y = x with y[..., index, ...] = value along ``dim``;  dL/dx = dL/dy with zeros at index,
    dL/dvalue = the sum of dL/dy over the filled positions (each counted once)."""

    def forward(self, x: np.ndarray, value: Any, index: np.ndarray, dim: int) -> np.ndarray:
        self.index, self.dim = index, dim
        self.value_dtype = getattr(value, "dtype", None)
        out = _at_least_1d(x).copy()
        out[_along(dim, index)] = value
        return out.reshape(x.shape)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray], None, None]:
        shape = g.shape
        g = _at_least_1d(g)
        where = _along(self.dim, np.unique(self.index))
        grad_x = grad_value = None
        if self.needs_grad(0):
            grad_x = g.copy()
            grad_x[where] = 0
            grad_x = grad_x.reshape(shape)
        if self.needs_grad(1):
            grad_value = np.asarray(g[where].sum(), dtype=self.value_dtype)
        return grad_x, grad_value, None, None


@tensor_method("index_fill", inplace="index_fill_")
def index_fill(input: Tensor, dim: int, index: Tensor, value: Union[Number, Tensor]) -> Tensor:
    """y = input with y[..., index, ...] = value along ``dim`` (value a number or a 0-d tensor,
    index int64; negative indices count from the end); the gradient is zero at index for input,
    the sum of dL/dy there for a tensor value.
    """
    input = _tensor("index_fill", input)
    value = _value("index_fill", value)
    try:
        dim, array = _index_vector("index_fill", input, dim, index, ("int64",), negative=True)
    except RuntimeError as error:
        if isinstance(error, IndexOutOfRange):
            raise
        raise IndexError(str(error)) from None
    if isinstance(value, Tensor) and value.dtype != input.dtype:
        value = cast(value, input.dtype)
    return IndexFill.apply(input, value, array, dim)


# ---------------------------------------------------------------------------- masks
def _mask(op: str, mask: Tensor, shape: tuple[int, ...]) -> tuple[np.ndarray, tuple[int, ...]]:
    array = _tensor(op, mask, "mask").array
    if array.dtype != np.bool_:
        raise RuntimeError(f"{op}: only boolean masks are supported, but got a mask of dtype "
                           f"{array.dtype}")
    try:
        return array, np.broadcast_shapes(tuple(shape), array.shape)
    except ValueError:
        raise RuntimeError(f"{op}: the mask of shape {array.shape} does not broadcast with the "
                           f"input of shape {tuple(shape)}") from None


class MaskedFill(Function):
    """y = value where mask, x elsewhere (x and mask broadcast);  dL/dx = dL/dy where not mask,
    dL/dvalue = the sum of dL/dy where mask."""

    def forward(self, x: np.ndarray, value: Any, mask: np.ndarray) -> np.ndarray:
        self.value_dtype = getattr(value, "dtype", None)
        self.mask = np.broadcast_to(mask, np.broadcast_shapes(x.shape, mask.shape))
        return np.where(self.mask, np.asarray(value, dtype=x.dtype), x)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray], None]:
        zero = np.zeros((), g.dtype)
        grad_x = np.where(self.mask, zero, g) if self.needs_grad(0) else None
        grad_value = np.asarray(np.where(self.mask, g, zero).sum(), dtype=self.value_dtype) \
            if self.needs_grad(1) else None
        return grad_x, grad_value, None


@tensor_method("masked_fill", inplace="masked_fill_")
def masked_fill(input: Tensor, mask: Tensor, value: Union[Number, Tensor]) -> Tensor:
    """y = value where ``mask`` (a bool tensor broadcasting with input) is True, input
    elsewhere; value is a number or a 0-d tensor (which gets the sum of dL/dy where mask).
    """
    input = _tensor("masked_fill", input)
    value = _value("masked_fill", value)
    mask_array, _ = _mask("masked_fill", mask, input.shape)
    if isinstance(value, Tensor) and value.dtype != input.dtype:
        value = cast(value, input.dtype) if value.dtype.kind == "f" and input.dtype.kind == "f" \
            else value.detach()
    return MaskedFill.apply(input, value, mask_array)


class MaskedSelect(Function):
    """y = the elements of x where mask is True, a 1-d tensor in row-major order (x and mask
    broadcast);  dL/dx = zeros with dL/dy put back where mask."""

    def forward(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        shape = np.broadcast_shapes(x.shape, mask.shape)
        self.shape, self.mask = shape, np.broadcast_to(mask, shape)
        return np.broadcast_to(x, shape)[self.mask]

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        grad = np.zeros(self.shape, g.dtype)
        grad[self.mask] = g
        return grad, None


@tensor_method("masked_select")
def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """y = input[mask]: input's elements where ``mask`` (bool, broadcasting with input) is True,
    as a 1-d tensor; the gradient goes back to those elements.
    """
    input = _tensor("masked_select", input)
    mask_array, _ = _mask("masked_select", mask, input.shape)
    return MaskedSelect.apply(input, mask_array)


class MaskedScatter(Function):
    """y = x with the positions where mask is True filled, in row-major order, by source's
    first elements;  dL/dx = dL/dy where not mask, dL/dsource = dL/dy[mask] in its first
    elements (zeros after)."""

    def forward(self, x: np.ndarray, source: np.ndarray, mask: np.ndarray) -> np.ndarray:
        shape = np.broadcast_shapes(x.shape, mask.shape)
        self.mask, self.src_shape = np.broadcast_to(mask, shape), source.shape
        out = np.array(np.broadcast_to(x, shape))
        self.n = int(self.mask.sum())
        out[self.mask] = source.reshape(-1)[:self.n]
        return out

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray], None]:
        grad_x = np.where(self.mask, np.zeros((), g.dtype), g) if self.needs_grad(0) else None
        grad_src = None
        if self.needs_grad(1):
            grad_src = np.zeros(int(np.prod(self.src_shape)), g.dtype)
            grad_src[:self.n] = g[self.mask]
            grad_src = grad_src.reshape(self.src_shape)
        return grad_x, grad_src, None


@tensor_method("masked_scatter", inplace="masked_scatter_")
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """y = input with the positions where ``mask`` is True (bool, broadcasting with input)
    taking source's elements one after another in row-major order; source needs at least as
    many elements as mask has True entries.
    """
    input = _tensor("masked_scatter", input)
    source = _tensor("masked_scatter", source, "source")
    mask_array, shape = _mask("masked_scatter", mask, input.shape)
    _same_dtype("masked_scatter", input, source, "source")
    needed = int(np.broadcast_to(mask_array, shape).sum())
    if source.array.size < needed:
        raise RuntimeError(f"masked_scatter: source has {source.array.size} elements (shape "
                           f"{tuple(source.shape)}) but the mask has {needed} True entries")
    return MaskedScatter.apply(input, source, mask_array)


def _nonzero_method(self: Tensor, *, as_tuple: bool = False) -> Union[Tensor, tuple[Tensor, ...]]:
    return nonzero(self, as_tuple=as_tuple)


@overload
def nonzero(input: Tensor, *, as_tuple: Literal[False] = False) -> Tensor: ...
@overload
def nonzero(input: Tensor, *, as_tuple: Literal[True]) -> tuple[Tensor, ...]: ...
@overload
def nonzero(input: Tensor, *, as_tuple: bool) -> Union[Tensor, tuple[Tensor, ...]]: ...


@tensor_method("nonzero", as_method=_nonzero_method)
def nonzero(input: Tensor, *, as_tuple: bool = False) -> Union[Tensor, tuple[Tensor, ...]]:
    """The indices of input's nonzero elements: an int64 tensor of shape (n, input.ndim), one
    row per element in row-major order, or with ``as_tuple=True`` one 1-d tensor per dimension
    (a 0-d input counts as 1-d there). Not differentiable.
    """
    array = _tensor("nonzero", input).array
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in np.nonzero(_at_least_1d(array)))
    return Tensor._wrap(np.argwhere(array).astype(np.int64))


@tensor_method("argwhere")
def argwhere(input: Tensor) -> Tensor:
    """The indices of input's nonzero elements, an int64 tensor of shape (n, input.ndim), as
    ``nonzero(input)``. Not differentiable.
    """
    return nonzero(input)


# ---------------------------------------------------------------------------- diagonals
def _diagonal_view(array: np.ndarray, offset: int, dim1: int, dim2: int) -> np.ndarray:
    """A writable view of the diagonal ``offset`` of the planes (dim1, dim2), appended as the
    last dimension (np.diagonal's, which NumPy makes read-only)."""
    index = [slice(None)] * array.ndim
    if offset >= 0:
        index[dim2] = slice(builtins.min(offset, array.shape[dim2]), None)
    else:
        index[dim1] = slice(builtins.min(-offset, array.shape[dim1]), None)
    base = array[tuple(index)]
    n = builtins.min(base.shape[dim1], base.shape[dim2])
    keep = [d for d in range(array.ndim) if d not in (dim1, dim2)]
    shape = tuple(base.shape[d] for d in keep) + (n,)
    strides = tuple(base.strides[d] for d in keep) + (base.strides[dim1] + base.strides[dim2],)
    return np.lib.stride_tricks.as_strided(base, shape, strides, writeable=base.flags.writeable)


class Diagonal(Function):
    """y = x's diagonal ``offset`` of the planes (dim1, dim2), as the last dimension (a view);
    dL/dx = zeros with dL/dy on that diagonal."""

    def forward(self, x: np.ndarray, offset: int, dim1: int, dim2: int, copy: bool = False
                ) -> np.ndarray:
        self.shape, self.args = x.shape, (offset, dim1, dim2)
        self.view_of_input = not copy  # an in-place change to it raises while recorded
        view = _diagonal_view(x, offset, dim1, dim2)
        return view.copy() if copy else view

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None, None]:
        grad = np.zeros(self.shape, g.dtype)
        _diagonal_view(grad, *self.args)[...] = g
        return grad, None, None, None


class DiagEmbed(Function):
    """y = zeros with x's last dimension written on the diagonal ``offset`` of the planes
    (dim1, dim2) of y (one more dimension than x);  dL/dx = that diagonal of dL/dy."""

    def forward(self, x: np.ndarray, offset: int, dim1: int, dim2: int) -> np.ndarray:
        self.args = (offset, dim1, dim2)
        n = x.shape[-1] + builtins.abs(offset)
        shape = list(x.shape[:-1])
        low, high = sorted((dim1, dim2))
        shape.insert(low, n)
        shape.insert(high, n)
        out = np.zeros(shape, x.dtype)
        _diagonal_view(out, offset, dim1, dim2)[...] = x
        return out

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None, None]:
        return _diagonal_view(g, *self.args).copy(), None, None, None


@tensor_method("diagonal")
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """y[..., i] = input[..., i, i + offset, ...] over dims (dim1, dim2): the diagonal
    ``offset`` (above the main one when positive) as the last dimension, a view of input;
    the gradient goes back onto that diagonal.
    """
    input = _tensor("diagonal", input)
    if input.ndim < 2:
        raise RuntimeError(f"diagonal: expects a tensor of at least 2 dimensions, got shape "
                           f"{tuple(input.shape)}")
    d1, d2 = _dim("diagonal", dim1, input.ndim), _dim("diagonal", dim2, input.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal: dim1 and dim2 cannot be the same dimension ({dim1} and "
                           f"{dim2})")
    return Diagonal.apply(input, int(offset), d1, d2)


@tensor_method("diag_embed")
def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """y with y[..., i, i + offset] (over dims dim1, dim2 of y) = input[..., i] and zeros
    elsewhere: input's last dimension becomes the diagonal ``offset`` of square matrices of
    size n + |offset|; the gradient is that diagonal of dL/dy.
    """
    input = _tensor("diag_embed", input)
    if input.ndim == 0:
        raise IndexError("diag_embed: expects a tensor of at least 1 dimension, got a 0-d tensor")
    d1, d2 = _dim("diag_embed", dim1, input.ndim + 1), _dim("diag_embed", dim2, input.ndim + 1)
    if d1 == d2:
        raise RuntimeError(f"diag_embed: dim1 and dim2 cannot be the same dimension ({dim1} and "
                           f"{dim2})")
    return DiagEmbed.apply(input, int(offset), d1, d2)


@tensor_method("diag")
def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-d input v gives the square matrix with v on its diagonal ``diagonal`` (size
    n + |diagonal|), zeros elsewhere; a 2-d input gives (a copy of) its diagonal ``diagonal``
    as a 1-d tensor. Differentiable both ways.
    """
    input = _tensor("diag", input)
    if input.ndim == 1:
        return DiagEmbed.apply(input, int(diagonal), 0, 1)
    if input.ndim == 2:
        return Diagonal.apply(input, int(diagonal), 0, 1, copy=True)
    raise RuntimeError(f"diag: expects a 1-d or 2-d tensor, got {input.ndim} dimensions (shape "
                       f"{tuple(input.shape)})")


class Triangle(Function):
    """y = x on and below (tril) or above (triu) the diagonal ``diagonal`` of the last two
    dimensions, zeros elsewhere;  dL/dx = dL/dy with the same zeros."""

    def forward(self, x: np.ndarray, diagonal: int, upper: bool) -> np.ndarray:
        rows, cols = x.shape[-2:]
        keep = np.tri(rows, cols, diagonal - 1 if upper else diagonal, dtype=bool)
        self.keep = ~keep if upper else keep
        return np.where(self.keep, x, np.zeros((), x.dtype))

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None]:
        return np.where(self.keep, g, np.zeros((), g.dtype)), None, None


def _triangle(op: str, input: Tensor, diagonal: int, upper: bool) -> Tensor:
    input = _tensor(op, input)
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got shape "
                           f"{tuple(input.shape)}")
    return Triangle.apply(input, int(diagonal), upper)


@tensor_method("tril", inplace="tril_")
def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """y[..., i, j] = input[..., i, j] where j - i <= diagonal, 0 elsewhere (the lower triangle
    of the last two dimensions); the gradient has the same zeros.
    """
    return _triangle("tril", input, diagonal, False)


@tensor_method("triu", inplace="triu_")
def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """y[..., i, j] = input[..., i, j] where j - i >= diagonal, 0 elsewhere (the upper triangle
    of the last two dimensions); the gradient has the same zeros.
    """
    return _triangle("triu", input, diagonal, True)


# ---------------------------------------------------------------------------- factories
def _leaf(array: np.ndarray, requires_grad: bool) -> Tensor:
    out = Tensor._wrap(array)
    return out.requires_grad_(True) if requires_grad else out


def _count(op: str, name: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an int, got {type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"{op}: {name} must be greater or equal to 0, got {n}")
    return int(n)


def eye(n: int, m: Optional[int] = None, *, dtype: Optional[DType] = None, requires_grad: bool = False,
        device: Optional[DeviceLike] = None, layout: Any = None) -> Tensor:
    """The n x m identity: I[i, j] = 1 if i == j else 0 (m defaults to n); the default float
    dtype unless ``dtype`` says.
    """
    n = _count("eye", "n", n)
    m = n if m is None else _count("eye", "m", m)
    return _leaf(np.eye(n, m, dtype=backend.as_dtype(dtype)), requires_grad)


def _triangle_indices(op: str, row: int, col: int, offset: int, dtype: Optional[DType],
                      upper: bool) -> Tensor:
    row, col = _count(op, "row", row), _count(op, "col", col)
    rows, cols = np.nonzero(~np.tri(row, col, offset - 1, dtype=bool) if upper
                            else np.tri(row, col, offset, dtype=bool))
    return Tensor._wrap(np.stack([rows, cols]).astype(np.int64 if dtype is None
                                                      else backend.as_dtype(dtype)))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Optional[DType] = None,
                 device: Optional[DeviceLike] = None, layout: Any = None) -> Tensor:
    """The (2, N) coordinates (row-major order) of the lower triangle of a row x col matrix:
    the (i, j) with j - i <= offset; int64 unless ``dtype`` says.
    """
    return _triangle_indices("tril_indices", row, col, offset, dtype, False)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Optional[DType] = None,
                 device: Optional[DeviceLike] = None, layout: Any = None) -> Tensor:
    """The (2, N) coordinates (row-major order) of the upper triangle of a row x col matrix:
    the (i, j) with j - i >= offset; int64 unless ``dtype`` says.
    """
    return _triangle_indices("triu_indices", row, col, offset, dtype, True)


def _new_dtype(self: Tensor, dtype: Optional[DType]) -> np.dtype:
    return self.dtype if dtype is None else backend.as_dtype(dtype)


def _new_size(op: str, size: tuple[Any, ...]) -> tuple[int, ...]:
    size = _shape_args(size)
    if len(size) == 1 and type(size[0]).__name__ == "Size":
        size = tuple(size[0])
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in size):
        raise TypeError(f"{op}: size must be ints, got {size!r}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"{op}: negative dimension in size {tuple(size)}")
    return tuple(int(n) for n in size)


@tensor_method("new_zeros")
def new_zeros(self: Tensor, *size: ShapeLike, dtype: Optional[DType] = None, requires_grad: bool = False,
              device: Optional[DeviceLike] = None) -> Tensor:
    """A tensor of 0s of ``size`` (``x.new_zeros(2, 3)`` or ``x.new_zeros((2, 3))``) with self's
    dtype unless ``dtype`` says.
    """
    return _leaf(np.zeros(_new_size("new_zeros", size), _new_dtype(self, dtype)), requires_grad)


@tensor_method("new_ones")
def new_ones(self: Tensor, *size: ShapeLike, dtype: Optional[DType] = None, requires_grad: bool = False,
             device: Optional[DeviceLike] = None) -> Tensor:
    """A tensor of 1s of ``size`` with self's dtype unless ``dtype`` says."""
    return _leaf(np.ones(_new_size("new_ones", size), _new_dtype(self, dtype)), requires_grad)


@tensor_method("new_empty")
def new_empty(self: Tensor, *size: ShapeLike, dtype: Optional[DType] = None, requires_grad: bool = False,
              device: Optional[DeviceLike] = None) -> Tensor:
    """An uninitialised tensor of ``size`` with self's dtype unless ``dtype`` says."""
    return _leaf(np.empty(_new_size("new_empty", size), _new_dtype(self, dtype)), requires_grad)


@tensor_method("new_full")
def new_full(self: Tensor, size: Sequence[int], fill_value: Number, *, dtype: Optional[DType] = None,
             requires_grad: bool = False, device: Optional[DeviceLike] = None) -> Tensor:
    """A tensor of ``size`` (a sequence) filled with ``fill_value``, with self's dtype unless
    ``dtype`` says.
    """
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _leaf(np.full(_new_size("new_full", (size,)), fill_value, _new_dtype(self, dtype)),
                 requires_grad)


@tensor_method("new_tensor")
def new_tensor(self: Tensor, data: TensorLike, *, dtype: Optional[DType] = None, requires_grad: bool = False,
               device: Optional[DeviceLike] = None) -> Tensor:
    """A new tensor holding a copy of ``data``, with self's dtype unless ``dtype`` says."""
    array = np.array(_to_array(data), dtype=_new_dtype(self, dtype), copy=True)
    return _leaf(array, requires_grad)


# gradsheet.* (torch.*) names defined here; gradsheet/__init__.py imports them with *
__all__ = [
    "argwhere", "diag", "diag_embed", "diagonal", "eye", "gather", "index_add", "index_copy",
    "index_fill", "index_select", "masked_fill", "masked_scatter", "masked_select", "nonzero",
    "scatter", "scatter_add", "scatter_reduce", "take", "take_along_dim", "tril", "tril_indices",
    "triu", "triu_indices",
]
