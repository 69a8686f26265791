"""Shape ops: they move elements around, so their gradients move them back.

reshape/view, transpose, permute, squeeze, unsqueeze, flatten, expand, cat, stack, split,
chunk, narrow, select, unbind, flip, roll, repeat, tile, repeat_interleave, movedim, the
*stack and *split families, broadcast_to, ... (``x[...]`` is in ``subscript``, gathering by
index in ``indexing``).
"""
from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from ..autograd import inplace
from ..autograd.function import Function
from ..autograd.tensor import Tensor, _shape_args, as_tensor
from .elementwise import cast
from .promotion import promote_types
from .subscript import getitem
from ..autograd.methods import tensor_method, tensor_property

if TYPE_CHECKING:
    from .._typing import DimLike, ShapeLike, TensorLike


class _View(Function):
    """A view op (y shares x's memory): an in-place change to y is recorded on x, as
    ``x = inverse_view(new y)``, and y is then made again from the new x (autograd.inplace,
    PyTorch's rebase of a view's base)."""

    argument: Any  # what the view op was applied with (a shape, dims), set by its forward

    def write_back(self, base: Tensor, value: Tensor) -> None:
        """Record ``base = inverse_view(value)``: the change made to the view, on its base."""
        inplace.write(base, "view", lambda source: self.inverse_view(value), [value])

    def rebuild(self, base: Tensor) -> Tensor:
        """The view again, of base's new value."""
        return type(self).apply(base, self.argument)

    def inverse_view(self, value: Tensor) -> Tensor:
        """The base whose view is ``value`` (a Tensor, recorded): the view op undone."""
        raise NotImplementedError


class Reshape(_View):
    """y = x with a new shape (same elements, row-major order);  dL/dx = reshape(dL/dy)."""

    def forward(self, x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        self.shape, self.argument = x.shape, shape
        try:
            y = x.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} "
                             f"elements) into {tuple(shape)}") from None
        self.view_of_input = y.base is not None and np.shares_memory(y, x)
        return y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        return g.reshape(self.shape), None

    def inverse_view(self, value: Tensor) -> Tensor:
        return reshape(value, self.shape)


class Permute(_View):
    """y = x with its dimensions reordered by ``dims``;  dL/dx = dL/dy permuted back."""

    view_of_input = True

    def forward(self, x: np.ndarray, dims: tuple[int, ...]) -> np.ndarray:
        self.inverse, self.argument = tuple(np.argsort(dims)), dims
        return np.transpose(x, dims)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        return np.transpose(g, self.inverse), None

    def inverse_view(self, value: Tensor) -> Tensor:
        return Permute.apply(value, self.inverse)


class Expand(Function):
    """y = x broadcast to a larger shape;  dL/dx = dL/dy summed over the broadcast axes
    (the engine's unbroadcast does the sum)."""

    def forward(self, x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        return np.broadcast_to(x, shape)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        return g, None


class Concatenate(Function):
    """y = [x_1, x_2, ...] joined along ``dim``;  dL/dx_k = the slice of dL/dy that came from x_k
    (an empty 1-d x_k that ``skip`` names is left out, as torch.cat does, and gets an empty
    gradient)."""

    def forward(self, *arrays: np.ndarray, dim: int, skip: tuple[int, ...] = ()) -> np.ndarray:
        self.dim, self.skip = dim, skip
        kept = [a for i, a in enumerate(arrays) if i not in skip]
        self.bounds = np.cumsum([a.shape[dim] for a in kept])[:-1]
        return np.concatenate(kept, axis=dim)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, ...]:
        pieces = iter(np.split(g, self.bounds, axis=self.dim))
        return tuple(np.zeros((0,), g.dtype) if i in self.skip else next(pieces)
                     for i in range(len(self.bounds) + 1 + len(self.skip)))


class Stack(Function):
    """y = [x_1, x_2, ...] stacked along a new ``dim``;  dL/dx_k = dL/dy[..., k, ...]."""

    def forward(self, *arrays: np.ndarray, dim: int) -> np.ndarray:
        self.dim = dim
        return np.stack(arrays, axis=dim)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(np.moveaxis(g, self.dim, 0))


def _dim(op: str, dim: int, ndim: int) -> int:
    if not -ndim <= dim < ndim:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor of {ndim} dimensions")
    return dim % ndim


def _reshape_method(self: Tensor, *shape: Any) -> Tensor:
    return reshape(self, _shape_args(shape))


@tensor_method("reshape", as_method=_reshape_method)
def reshape(x: Tensor, shape: Sequence[int]) -> Tensor:
    """x with a new ``shape`` (same elements in row-major order; one size may be -1);
    the gradient is reshaped back. Raises ValueError naming both shapes when the sizes differ.
    """
    return Reshape.apply(x, tuple(shape))



def _view_method(self: Tensor, *shape: Any) -> Tensor:
    return view(self, _shape_args(shape))


@tensor_method("view", as_method=_view_method)
def view(x: Tensor, shape: Sequence[int]) -> Tensor:
    """x with a new ``shape``, as ``reshape`` (NumPy decides whether the result shares memory)."""
    return Reshape.apply(x, tuple(shape))


@tensor_method("transpose", inplace_view="transpose_")
def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """x with dimensions ``dim0`` and ``dim1`` swapped (a view); the gradient is swapped back."""
    dims = list(range(x.ndim))
    d0, d1 = _dim("transpose", dim0, x.ndim), _dim("transpose", dim1, x.ndim)
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(x, tuple(dims))


@tensor_property("T")
def reversed_dims(x: Tensor) -> Tensor:
    """x with all its dimensions reversed, x.permute(n-1, ..., 0) (``x.T``); differentiable."""
    return Permute.apply(x, tuple(range(x.ndim - 1, -1, -1)))


@tensor_property("mT")
def matrix_transpose(x: Tensor) -> Tensor:
    """x with its last two dimensions swapped (``x.mT``, a batch of transposed matrices)."""
    if x.ndim < 2:
        raise ValueError(f"mT: expects a tensor of at least 2 dimensions, got shape {x.shape}")
    return transpose(x, -2, -1)


@tensor_method("t", inplace_view="t_")
def t(x: Tensor) -> Tensor:
    """The transpose of a tensor of at most 2 dimensions (ValueError otherwise), as ``torch.t``."""
    if x.ndim > 2:
        raise ValueError(f"t: expects a tensor of at most 2 dimensions, got shape {x.shape}")
    return reversed_dims(x)


def _permute_method(self: Tensor, *dims: Any) -> Tensor:
    return permute(self, _shape_args(dims))


@tensor_method("permute", as_method=_permute_method)
def permute(x: Tensor, dims: Sequence[int]) -> Tensor:
    """x with its dimensions reordered: output dimension i is input dimension ``dims[i]``;
    the gradient is permuted back. Raises ValueError when ``dims`` is not a permutation.
    """
    dims = tuple(_dim("permute", d, x.ndim) for d in dims)
    if sorted(dims) != list(range(x.ndim)):
        raise ValueError(f"permute: dims {dims} are not a permutation of the {x.ndim} "
                         f"dimensions of shape {x.shape}")
    return Permute.apply(x, dims)


@tensor_method("squeeze", inplace_view="squeeze_")
def squeeze(x: Tensor, dim: Optional[DimLike] = None) -> Tensor:
    """x without its size-1 dimensions (all of them, or only those in ``dim``, an int or a
    tuple; a listed dimension whose size is not 1 stays, as PyTorch).
    """
    if dim is None:
        shape = tuple(n for n in x.shape if n != 1)
    elif x.ndim == 0:  # a 0-d tensor takes dim 0 or -1 and stays 0-d, as in PyTorch
        for d in ((dim,) if isinstance(dim, int) else dim):
            _dim("squeeze", d, 1)
        shape = ()
    else:
        dims = {_dim("squeeze", d, x.ndim) for d in ((dim,) if isinstance(dim, int) else dim)}
        shape = tuple(n for i, n in enumerate(x.shape) if not (i in dims and n == 1))
    return reshape(x, shape)


@tensor_method("unsqueeze", inplace_view="unsqueeze_")
def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """x with a new size-1 dimension inserted at ``dim`` (-1 appends one at the end)."""
    dim = _dim("unsqueeze", dim, x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


@tensor_method("flatten")
def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """x with dimensions ``start_dim`` .. ``end_dim`` (inclusive) merged into one; a 0-d tensor
    becomes shape (1,), as ``torch.flatten``.
    """
    if x.ndim == 0:
        return reshape(x, (1,))
    start, end = _dim("flatten", start_dim, x.ndim), _dim("flatten", end_dim, x.ndim)
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = int(np.prod(x.shape[start:end + 1]))  # (not -1: that is ambiguous with 0 elements)
    return reshape(x, x.shape[:start] + (merged,) + x.shape[end + 1:])


def _expand_method(self: Tensor, *sizes: Any) -> Tensor:
    return expand(self, _shape_args(sizes))


@tensor_method("expand", as_method=_expand_method)
def expand(x: Tensor, shape: Sequence[int]) -> Tensor:
    """Broadcast to ``shape``; -1 keeps a dimension's size. Expanded dimensions share memory."""
    shape = tuple(shape)
    lead = len(shape) - x.ndim
    if lead < 0:
        raise ValueError(f"expand: shape {shape} has fewer dimensions than the tensor's {x.shape}")
    if -1 in shape[:lead]:
        raise ValueError(f"expand: size -1 (keep the size) is not allowed for the new leading "
                         f"dimension {shape.index(-1)} (shape {x.shape} to {shape})")
    target = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
    for i, n in enumerate(x.shape):
        if n != 1 and n != target[i + lead]:
            raise ValueError(f"expand: dimension {i} of size {n} cannot expand to "
                             f"{target[i + lead]} (shape {x.shape} to {shape}); only size-1 "
                             "dimensions expand")
    return Expand.apply(x, target)


def _check_same_shapes(op: str, tensors: Sequence[Tensor], skip_dim: Optional[int] = None
                       ) -> None:
    if not tensors:
        raise ValueError(f"{op}: expects a non-empty sequence of tensors")
    first = tensors[0].shape
    for t in tensors[1:]:
        same = len(t.shape) == len(first) and all(
            a == b for i, (a, b) in enumerate(zip(t.shape, first)) if i != skip_dim)
        if not same:
            raise ValueError(f"{op}: shapes {[tuple(x.shape) for x in tensors]} differ "
                             f"{'outside dim ' + str(skip_dim) if skip_dim is not None else ''}")


def _promoted(tensors: Sequence[Tensor]) -> list[Tensor]:
    """The tensors converted to one dtype, PyTorch's promotion (int64 with float32 is
    float32), differentiably between floating dtypes."""
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = promote_types(dtype, t.dtype)
    return [t if t.dtype == dtype else cast(t, dtype) for t in tensors]


def _tensors(op: str, tensors: Sequence[TensorLike]) -> list[Tensor]:
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}: expects a sequence of tensors, got a Tensor")
    converted = [t if isinstance(t, Tensor) else as_tensor(t) for t in tensors]
    if not converted:
        raise ValueError(f"{op}: expects a non-empty sequence of tensors")
    return converted


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """y = [x_1, x_2, ...] joined along the existing dimension ``dim``; the gradient is cut
    back into the pieces. Dtypes promote as in PyTorch; 1-d empty tensors (shape (0,)) are
    skipped, as torch.cat does; a 0-d tensor cannot be joined.
    """
    tensors = _promoted(_tensors("cat", tensors))
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise ValueError(f"cat: zero-dimensional tensor (at position {i}) cannot be "
                             "concatenated")
    skip = tuple(i for i, t in enumerate(tensors) if t.shape == (0,))
    kept = [t for i, t in enumerate(tensors) if i not in skip]
    if not kept:
        return Concatenate.apply(*tensors, dim=0)
    dim = _dim("cat", dim, kept[0].ndim)
    _check_same_shapes("cat", kept, skip_dim=dim)
    return Concatenate.apply(*tensors, dim=dim, skip=skip if len(kept) < len(tensors) else ())


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """y = [x_1, x_2, ...] stacked along a new dimension ``dim`` (tensors of one shape; dtypes
    promote as in PyTorch); the gradient of x_k is dL/dy[..., k, ...].
    """
    tensors = _promoted(_tensors("stack", tensors))
    _check_same_shapes("stack", tensors)
    dim = _dim("stack", dim, tensors[0].ndim + 1)
    return Stack.apply(*tensors, dim=dim)


@tensor_method("split")
def split(x: Tensor, split_size_or_sections: Union[int, Sequence[int]],
          dim: int = 0) -> tuple[Tensor, ...]:
    """Split into pieces of ``split_size`` (the last may be smaller) or of the listed sizes."""
    dim = _dim("split", dim, x.ndim)
    n = x.shape[dim]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise ValueError(f"split: split_size must be positive, got {size}")
        sizes = [min(size, n - start) for start in range(0, n, size)]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise ValueError(f"split: sections {sizes} sum to {sum(sizes)}, but dim {dim} has "
                             f"size {n}")
    pieces, start = [], 0
    for size in sizes:
        index = (slice(None),) * dim + (slice(start, start + size),)
        pieces.append(getitem(x, index))
        start += size
    return tuple(pieces)


@tensor_method("chunk")
def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``chunks`` pieces of ceil(n / chunks) (the last may be smaller)."""
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    n = x.shape[_dim("chunk", dim, x.ndim)]
    return split(x, max(-(-n // chunks), 1), dim)


# ---------------------------------------------------------------- swapping and moving dims
@tensor_method("swapdims", inplace_view="swapdims_")
def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """input with dimensions ``dim0`` and ``dim1`` swapped (a view), as ``transpose``."""
    return transpose(input, dim0, dim1)


@tensor_method("swapaxes", inplace_view="swapaxes_")
def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """input with dimensions ``axis0`` and ``axis1`` swapped (a view), as ``transpose``."""
    return transpose(input, axis0, axis1)


def _dims_arg(op: str, dims: DimLike, ndim: int) -> tuple[int, ...]:
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    return tuple(_dim(op, d, builtins.max(ndim, 1)) for d in dims)


@tensor_method("movedim", "moveaxis")
def movedim(input: Tensor, source: DimLike, destination: DimLike) -> Tensor:
    """input with dimension source[i] moved to position destination[i] (ints or tuples of
    the same length), the other dimensions keeping their order; a view.
    """
    src = _dims_arg("movedim", source, input.ndim)
    dst = _dims_arg("movedim", destination, input.ndim)
    if len(src) != len(dst):
        raise ValueError(f"movedim: source {source} and destination {destination} must have the "
                         "same number of dims")
    for name, dims, given in (("source", src, source), ("destination", dst, destination)):
        if len(set(dims)) != len(dims):
            raise ValueError(f"movedim: repeated dim in {name} ({given})")
    if input.ndim == 0:
        return reshape(input, ())
    order: list[Optional[int]] = [None] * input.ndim
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(input.ndim) if d not in src)
    return Permute.apply(input, tuple(next(rest) if o is None else o for o in order))


moveaxis = movedim


# ---------------------------------------------------------------- picking along a dim
def _start(op: str, start: Union[int, Tensor]) -> int:
    if isinstance(start, Tensor):
        if start.ndim or start.dtype.kind not in "iu":
            raise TypeError(f"{op}: start must be an int or a 0-d integer tensor, got a "
                            f"{start.dtype} tensor of shape {start.shape}")
        return int(start.item())
    return int(start)


@tensor_method("narrow")
def narrow(input: Tensor, dim: int, start: Union[int, Tensor], length: int) -> Tensor:
    """y = input[..., start:start + length, ...] along ``dim`` (a view; a negative start counts
    from the end); the gradient goes back to that slice.
    """
    if input.ndim == 0:
        raise RuntimeError("narrow: cannot be applied to a 0-d tensor")
    dim = _dim("narrow", dim, input.ndim)
    size, start, length = input.shape[dim], _start("narrow", start), int(length)
    if not -size <= start <= size:
        raise IndexError(f"narrow: start {start} is out of range for dimension {dim} of size "
                         f"{size} (expected a start in [{-size}, {size}])")
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError(f"narrow: length must be non-negative, got {length}")
    if start + length > size:
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}) of dimension {dim}")
    return getitem(input, (slice(None),) * dim + (slice(start, start + length),))


@tensor_method("select")
def select(input: Tensor, dim: int, index: int) -> Tensor:
    """y = input[..., index, ...] along ``dim``, that dimension removed (a view; a negative
    index counts from the end); the gradient goes back to that slice.
    """
    if input.ndim == 0:
        raise IndexError("select: cannot be applied to a 0-d tensor")
    dim = _dim("select", dim, input.ndim)
    index, size = _start("select", index), input.shape[dim]
    if not -size <= index < size:
        raise IndexError(f"select: index {index} is out of range for dimension {dim} with size "
                         f"{size} (tensor of shape {tuple(input.shape)})")
    return getitem(input, (slice(None),) * dim + (index % size,))


@tensor_method("unbind")
def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The tuple (input.select(dim, 0), input.select(dim, 1), ...): input taken apart along
    ``dim``; each piece's gradient goes back to its slice.
    """
    if input.ndim == 0:
        raise IndexError("unbind: cannot be applied to a 0-d tensor")
    dim = _dim("unbind", dim, input.ndim)
    return tuple(select(input, dim, i) for i in range(input.shape[dim]))


# ---------------------------------------------------------------- flip, roll, repeat
class Flip(Function):
    """y = x with the order of the entries along ``dims`` reversed;  dL/dx = dL/dy flipped back."""

    def forward(self, x: np.ndarray, dims: tuple[int, ...]) -> np.ndarray:
        self.dims = dims
        return np.flip(x, dims).copy()

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        return np.flip(g, self.dims), None


def _flip_method(self: Tensor, *dims: Any) -> Tensor:
    return flip(self, _shape_args(dims))


@tensor_method("flip", as_method=_flip_method)
def flip(input: Tensor, dims: Sequence[int]) -> Tensor:
    """y[..., i, ...] = input[..., n - 1 - i, ...] along each dimension in ``dims`` (a copy);
    the gradient is flipped back.
    """
    dims = _dims_arg("flip", dims, input.ndim)
    if len(set(dims)) != len(dims):
        raise ValueError(f"flip: a dim appears more than once in dims {dims}")
    return Flip.apply(input, dims if input.ndim else ())


@tensor_method("fliplr")
def fliplr(input: Tensor) -> Tensor:
    """input with its dimension 1 reversed (columns of a matrix, left to right); at least 2-d."""
    if input.ndim < 2:
        raise ValueError(f"fliplr: input must be at least 2-d, got shape {tuple(input.shape)}")
    return Flip.apply(input, (1,))


@tensor_method("flipud")
def flipud(input: Tensor) -> Tensor:
    """input with its dimension 0 reversed (rows of a matrix, up to down); at least 1-d."""
    if input.ndim < 1:
        raise ValueError(f"flipud: input must be at least 1-d, got shape {tuple(input.shape)}")
    return Flip.apply(input, (0,))


class Roll(Function):
    """y[..., (i + shift) mod n, ...] = x[..., i, ...] along each dim;  dL/dx = dL/dy rolled
    back by -shift."""

    def forward(self, x: np.ndarray, shifts: tuple[int, ...], dims: tuple[int, ...]
                ) -> np.ndarray:
        self.shifts, self.dims = shifts, dims
        return np.roll(x, shifts, dims)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None]:
        return np.roll(g, tuple(-s for s in self.shifts), self.dims), None, None


@tensor_method("roll")
def roll(input: Tensor, shifts: ShapeLike, dims: Optional[DimLike] = None) -> Tensor:
    """y[..., (i + shift) mod n, ...] = input[..., i, ...]: entries rolled by ``shifts`` along
    ``dims`` (ints or tuples of one length), or over the flattened tensor when dims is None
    (the shape kept); the gradient is rolled back.
    """
    steps = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    if dims is None:
        if len(steps) != 1:
            raise ValueError(f"roll: with dims=None, shifts must be one int, got {steps}")
        return Roll.apply(reshape(input, (-1,)), (int(steps[0]),), (0,)).reshape(input.shape)
    if input.ndim == 0:
        raise IndexError("roll: a 0-d tensor has no dimension to roll along (use dims=None)")
    axes = _dims_arg("roll", dims, input.ndim)
    if len(steps) != len(axes):
        raise ValueError(f"roll: shifts {steps} and dims {axes} must have the same length")
    return Roll.apply(input, tuple(int(s) for s in steps), axes)


class Repeat(Function):
    """y = x tiled ``sizes[i]`` times along each dimension i (x's shape padded with leading 1s);
    dL/dx = dL/dy summed over the copies."""

    def forward(self, x: np.ndarray, sizes: tuple[int, ...]) -> np.ndarray:
        self.shape = x.shape
        padded = (1,) * (len(sizes) - x.ndim) + x.shape
        self.split = tuple(n for pair in zip(sizes, padded) for n in pair)
        return np.tile(x.reshape(padded), sizes)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        copies = tuple(range(0, len(self.split), 2))
        return g.reshape(self.split).sum(axis=copies).reshape(self.shape), None


def _sizes(op: str, sizes: tuple[Any, ...]) -> tuple[int, ...]:
    sizes = _shape_args(sizes)
    if len(sizes) == 1 and type(sizes[0]).__name__ == "Size":
        sizes = tuple(sizes[0])
    if any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) for n in sizes):
        raise TypeError(f"{op}: sizes must be ints, got {tuple(sizes)}")
    if any(n < 0 for n in sizes):
        raise ValueError(f"{op}: sizes must be non-negative, got {tuple(sizes)}")
    return tuple(int(n) for n in sizes)


@tensor_method("repeat")
def repeat(input: Tensor, *sizes: ShapeLike) -> Tensor:
    """``x.repeat(*sizes)``: y = input tiled sizes[i] times along each dimension i (at least
    input.ndim sizes; extra ones add leading dimensions); the gradient is summed over the
    copies. (PyTorch has the method only; ``tile`` is the function.)
    """
    sizes = _sizes("repeat", sizes)
    if len(sizes) < input.ndim:
        raise ValueError(f"repeat: the number of sizes ({len(sizes)}) can not be smaller than the "
                         f"number of dimensions of the tensor ({input.ndim}, shape "
                         f"{tuple(input.shape)})")
    return Repeat.apply(input, sizes)


def _tile_method(self: Tensor, *dims: Any) -> Tensor:
    return tile(self, _shape_args(dims))


@tensor_method("tile", as_method=_tile_method)
def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """y = input tiled dims[i] times along each dimension i; fewer dims than input has are
    padded with leading 1s (``x.repeat`` otherwise); the gradient is summed over the copies.
    """
    reps = _sizes("tile", (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims))
    return Repeat.apply(input, (1,) * (input.ndim - len(reps)) + reps)


class RepeatInterleave(Function):
    """y = x with entry i along ``dim`` repeated repeats[i] times in place;  dL/dx_i = the sum
    of dL/dy over its copies."""

    def forward(self, x: np.ndarray, repeats: Union[int, np.ndarray], dim: int) -> np.ndarray:
        self.shape, self.dim = x.shape, dim
        self.source = np.repeat(np.arange(x.shape[dim]), repeats)
        return np.take(x, self.source, axis=dim)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None]:
        grad = np.zeros(self.shape, g.dtype)
        # NumPy's stubs take integer arrays for at()'s index, not a tuple with slices
        np.add.at(grad, (slice(None),) * self.dim + (self.source,), g)  # type: ignore[arg-type]
        return grad, None, None


@tensor_method("repeat_interleave")
def repeat_interleave(input: Tensor, repeats: Union[int, Tensor, None] = None,
                      dim: Optional[int] = None, *, output_size: Optional[int] = None) -> Tensor:
    """y = input with each entry along ``dim`` repeated ``repeats`` times (an int, or a tensor
    with one count per entry), the copies next to each other; dim=None repeats the flattened
    input. ``repeat_interleave(counts)`` alone repeats 0, 1, 2, ... counts[i] times. The
    gradient of an entry is the sum over its copies.
    """
    counts: Union[int, np.ndarray]  # one count for every entry, or one per entry
    if repeats is None:
        counts = _counts(input)
        return Tensor._wrap(np.repeat(np.arange(counts.size, dtype=counts.dtype), counts))
    if dim is None:
        input, dim = reshape(input, (-1,)), 0
    elif input.ndim == 0:
        raise IndexError(f"repeat_interleave: dim {dim} is out of range for a 0-d tensor")
    dim = _dim("repeat_interleave", dim, input.ndim)
    n = input.shape[dim]
    if isinstance(repeats, Tensor):
        counts = _counts(repeats)
        if counts.size == 1:
            counts = np.full(n, counts.item(), counts.dtype)
        elif counts.size != n:
            raise ValueError(f"repeat_interleave: repeats must have one count per entry along dim "
                             f"{dim}, got {counts.size} counts for size {n}")
    else:
        if int(repeats) < 0:
            raise ValueError(f"repeat_interleave: repeats must be non-negative, got {repeats}")
        counts = int(repeats)
    out = RepeatInterleave.apply(input, counts, dim)
    if output_size is not None and out.shape[dim] != output_size:
        raise ValueError(f"repeat_interleave: output_size {output_size} does not match the "
                         f"repeated size {out.shape[dim]}")
    return out


def _counts(repeats: Tensor) -> np.ndarray:
    counts = repeats.array
    if counts.dtype.kind not in "iu" or counts.ndim > 1:
        raise ValueError(f"repeat_interleave: repeats must be a 0-d or 1-d integer tensor, got "
                         f"{counts.dtype} of shape {counts.shape}")
    if (counts < 0).any():
        raise ValueError(f"repeat_interleave: repeats must be non-negative, got {counts.tolist()}")
    return counts.reshape(-1)


# ---------------------------------------------------------------- reshaping
@tensor_method("unflatten")
def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """input with dimension ``dim`` split into dimensions of ``sizes`` (one may be -1), whose
    product must be that dimension's size.
    """
    dim = _dim("unflatten", dim, input.ndim)
    sizes = tuple(sizes)
    if not sizes:
        raise ValueError("unflatten: sizes must be non-empty")
    n = input.shape[dim]
    known = int(np.prod([s for s in sizes if s != -1]))
    if (-1 in sizes and (known == 0 or n % known)) or (-1 not in sizes and known != n):
        raise ValueError(f"unflatten: sizes {list(sizes)} don't multiply up to the size of dim "
                         f"{dim} ({n}) of the input of shape {tuple(input.shape)}")
    sizes = tuple(n // known if s == -1 else s for s in sizes)
    return reshape(input, input.shape[:dim] + sizes + input.shape[dim + 1:])


@tensor_method("ravel")
def ravel(input: Tensor) -> Tensor:
    """input flattened to one dimension in row-major order (a 0-d tensor becomes shape (1,))."""
    return reshape(input, (-1,))


@tensor_method("view_as")
def view_as(input: Tensor, other: Tensor) -> Tensor:
    """input viewed with other's shape (``x.view(other.shape)``)."""
    return view(input, other.shape)


@tensor_method("reshape_as")
def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    """input reshaped to other's shape (``x.reshape(other.shape)``)."""
    return reshape(input, other.shape)


@tensor_method("expand_as")
def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """input broadcast to other's shape (``x.expand(other.shape)``); the gradient is summed
    over the broadcast dimensions."""
    return expand(input, other.shape)


@tensor_method("type_as")
def type_as(input: Tensor, other: Tensor) -> Tensor:
    """input converted to other's dtype (``x.to(other.dtype)``); differentiable between floats."""
    return input if input.dtype == other.dtype else cast(input, other.dtype)


@tensor_method("broadcast_to")
def broadcast_to(input: Tensor, shape: Sequence[int]) -> Tensor:
    """input broadcast to ``shape`` (-1 keeps a size), as ``expand``; the gradient is summed
    over the broadcast dimensions."""
    return expand(input, tuple(shape))


def broadcast_tensors(*tensors: TensorLike) -> tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape (a tuple); each gradient is summed
    back over its broadcast dimensions."""
    given = [t if isinstance(t, Tensor) else as_tensor(t) for t in tensors]
    try:
        shape = np.broadcast_shapes(*(t.shape for t in given))
    except ValueError:
        raise ValueError(f"broadcast_tensors: shapes {[tuple(t.shape) for t in given]} do not "
                         "broadcast") from None
    return tuple(t if t.shape == shape else expand(t, shape) for t in given)


# ---------------------------------------------------------------- at least n-d, stacking
def _at_least(op: str, n: int, tensors: tuple[TensorLike, ...]
              ) -> Union[Tensor, tuple[Tensor, ...]]:
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    out = []
    for t in tensors:
        t = t if isinstance(t, Tensor) else as_tensor(t)
        if t.ndim < n:  # PyTorch's (and NumPy's) placement: (k,) -> (1, k) -> (1, k, 1)
            if t.ndim == 0:
                shape = (1,) * n
            elif t.ndim == 1:
                shape = (1,) + t.shape + (1,) * (n - 2)
            else:
                shape = t.shape + (1,)
            t = reshape(t, shape)
        out.append(t)
    return out[0] if single else tuple(out)


def atleast_1d(*tensors: TensorLike) -> Union[Tensor, tuple[Tensor, ...]]:
    """Each tensor with at least 1 dimension (a 0-d one becomes shape (1,)); one tensor in, one
    out, else a tuple."""
    return _at_least("atleast_1d", 1, tensors)


def atleast_2d(*tensors: TensorLike) -> Union[Tensor, tuple[Tensor, ...]]:
    """Each tensor with at least 2 dimensions: () -> (1, 1), (n,) -> (1, n); one tensor in,
    one out, else a tuple."""
    return _at_least("atleast_2d", 2, tensors)


def atleast_3d(*tensors: TensorLike) -> Union[Tensor, tuple[Tensor, ...]]:
    """Each tensor with at least 3 dimensions: () -> (1, 1, 1), (n,) -> (1, n, 1),
    (m, n) -> (m, n, 1); one tensor in, one out, else a tuple."""
    return _at_least("atleast_3d", 3, tensors)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """The tensors joined horizontally: cat along dim 1, or dim 0 when they are all 1-d (0-d
    ones count as 1-d)."""
    tensors = list(atleast_1d(_tensors("hstack", tensors)))
    return cat(tensors, 0 if all(t.ndim == 1 for t in tensors) else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """The tensors joined vertically: each made at least 2-d ((n,) -> (1, n)), then cat along
    dim 0."""
    return cat(list(atleast_2d(_tensors("vstack", tensors))), 0)


row_stack = vstack


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """The tensors joined along the third dimension: each made at least 3-d, then cat along
    dim 2."""
    return cat(list(atleast_3d(_tensors("dstack", tensors))), 2)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """The tensors as columns side by side: 0-d and 1-d ones become (n, 1) columns, then cat
    along dim 1."""
    tensors = _tensors("column_stack", tensors)
    return cat([reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in tensors], 1)


# ---------------------------------------------------------------- tensor_split and friends
@tensor_method("tensor_split")
def tensor_split(input: Tensor, indices_or_sections: Union[int, Sequence[int], Tensor],
                 dim: int = 0) -> tuple[Tensor, ...]:
    """Views of input along ``dim``: an int n gives n pieces, the first size % n of them one
    longer; a list (or 1-d tensor) of indices cuts before each one (Python slice bounds, so
    out-of-order or too-large indices give empty pieces).
    """
    if input.ndim == 0:
        raise IndexError("tensor_split: expects at least a 1-dimensional tensor")
    dim = _dim("tensor_split", dim, input.ndim)
    n = input.shape[dim]
    cuts = indices_or_sections
    if isinstance(cuts, Tensor):
        if cuts.dtype.kind not in "iu" or cuts.ndim > 1:
            raise ValueError(f"tensor_split: indices_or_sections must be an integer 0-d or 1-d "
                             f"tensor, got {cuts.dtype} of shape {cuts.shape}")
        cuts = int(cuts.item()) if cuts.ndim == 0 else cuts.tolist()
    if isinstance(cuts, (int, np.integer)):
        sections = int(cuts)
        if sections <= 0:
            raise ValueError(f"tensor_split: number of sections must be larger than 0, got "
                             f"{sections}")
        size, extra = divmod(n, sections)
        bounds = np.cumsum([0] + [size + 1] * extra + [size] * (sections - extra))
        pairs = list(zip(bounds[:-1], bounds[1:]))
    else:
        cuts = [int(c) for c in cuts]
        pairs = list(zip([0] + cuts, cuts + [None]))
    lead = (slice(None),) * dim
    return tuple(getitem(input, lead + (slice(a, b),)) for a, b in pairs)


def _even_split(op: str, input: Tensor, sections: Union[int, Sequence[int], Tensor], dim: int,
                min_ndim: int) -> tuple[Tensor, ...]:
    if input.ndim < min_ndim:
        raise ValueError(f"{op}: requires a tensor with at least {min_ndim} dimension"
                         f"{'s' if min_ndim > 1 else ''}, got shape {tuple(input.shape)}")
    if isinstance(sections, (int, np.integer)):
        if sections <= 0 or input.shape[dim] % sections:
            raise ValueError(f"{op}: attempted to split along dimension {dim}, but the size of "
                             f"the dimension {input.shape[dim]} is not divisible by the split "
                             f"size {sections}")
    return tensor_split(input, sections, dim)


@tensor_method("hsplit")
def hsplit(input: Tensor, indices_or_sections: Union[int, Sequence[int], Tensor]) -> tuple[Tensor, ...]:
    """tensor_split along dim 1 (dim 0 for a 1-d tensor); an int must divide that size."""
    return _even_split("hsplit", input, indices_or_sections, 0 if input.ndim == 1 else 1, 1)


@tensor_method("vsplit")
def vsplit(input: Tensor, indices_or_sections: Union[int, Sequence[int], Tensor]) -> tuple[Tensor, ...]:
    """tensor_split along dim 0 of a tensor of at least 2 dimensions; an int must divide it."""
    return _even_split("vsplit", input, indices_or_sections, 0, 2)


@tensor_method("dsplit")
def dsplit(input: Tensor, indices_or_sections: Union[int, Sequence[int], Tensor]) -> tuple[Tensor, ...]:
    """tensor_split along dim 2 of a tensor of at least 3 dimensions; an int must divide it."""
    return _even_split("dsplit", input, indices_or_sections, 2, 3)


# gradsheet.* (torch.*) names defined here; gradsheet/__init__.py imports them with *
__all__ = [
    "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_tensors", "broadcast_to", "cat", "chunk",
    "column_stack", "dsplit", "dstack", "expand", "flatten", "flip", "fliplr", "flipud", "hsplit",
    "hstack", "moveaxis", "movedim", "narrow", "permute", "ravel", "repeat_interleave", "reshape",
    "roll", "row_stack", "select", "split", "squeeze", "stack", "swapaxes", "swapdims", "t",
    "tensor_split", "tile", "transpose", "unbind", "unflatten", "unsqueeze", "vsplit", "vstack",
]
