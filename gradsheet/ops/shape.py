"""Shape and indexing ops: they move elements around, so their gradients move them back.

reshape/view, transpose, permute, squeeze, unsqueeze, flatten, expand, cat,
stack, split and chunk (``x[...]`` is in ``subscript``).
"""
import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, _shape_args, as_tensor
from .subscript import getitem
from ..autograd.methods import tensor_method, tensor_property


class Reshape(Function):
    """y = x with a new shape (same elements, row-major order);  dL/dx = reshape(dL/dy)."""

    def forward(self, x, shape):
        self.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} "
                             f"elements) into {tuple(shape)}") from None

    def backward(self, g):
        return g.reshape(self.shape), None


class Permute(Function):
    """y = x with its dimensions reordered by ``dims``;  dL/dx = dL/dy permuted back."""

    def forward(self, x, dims):
        self.inverse = tuple(np.argsort(dims))
        return np.transpose(x, dims)

    def backward(self, g):
        return np.transpose(g, self.inverse), None


class Expand(Function):
    """y = x broadcast to a larger shape;  dL/dx = dL/dy summed over the broadcast axes
    (the engine's unbroadcast does the sum)."""

    def forward(self, x, shape):
        return np.broadcast_to(x, shape)

    def backward(self, g):
        return g, None


class Concatenate(Function):
    """y = [x_1, x_2, ...] joined along ``dim``;  dL/dx_k = the slice of dL/dy that came from x_k."""

    def forward(self, *arrays, dim):
        self.dim = dim
        self.bounds = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=dim)

    def backward(self, g):
        return tuple(np.split(g, self.bounds, axis=self.dim))


class Stack(Function):
    """y = [x_1, x_2, ...] stacked along a new ``dim``;  dL/dx_k = dL/dy[..., k, ...]."""

    def forward(self, *arrays, dim):
        self.dim = dim
        return np.stack(arrays, axis=dim)

    def backward(self, g):
        return tuple(np.moveaxis(g, self.dim, 0))


def _dim(op, dim, ndim):
    if not -ndim <= dim < ndim:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor of {ndim} dimensions")
    return dim % ndim


@tensor_method("reshape", as_method=lambda self, *shape: reshape(self, _shape_args(shape)))
def reshape(x, shape):
    """x with a new ``shape`` (same elements in row-major order; one size may be -1);
    the gradient is reshaped back. Raises ValueError naming both shapes when the sizes differ.
    """
    return Reshape.apply(x, tuple(shape))



@tensor_method("view", as_method=lambda self, *shape: view(self, _shape_args(shape)))
def view(x, shape):
    """x with a new ``shape``, as ``reshape`` (NumPy decides whether the result shares memory)."""
    return Reshape.apply(x, tuple(shape))


@tensor_method("transpose", "swapdims")
def transpose(x, dim0, dim1):
    """x with dimensions ``dim0`` and ``dim1`` swapped (a view); the gradient is swapped back."""
    dims = list(range(x.ndim))
    d0, d1 = _dim("transpose", dim0, x.ndim), _dim("transpose", dim1, x.ndim)
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(x, tuple(dims))


@tensor_property("T")
def reversed_dims(x):
    """x with all its dimensions reversed, x.permute(n-1, ..., 0) (``x.T``); differentiable."""
    return Permute.apply(x, tuple(range(x.ndim - 1, -1, -1)))


@tensor_property("mT")
def matrix_transpose(x):
    """x with its last two dimensions swapped (``x.mT``, a batch of transposed matrices)."""
    if x.ndim < 2:
        raise ValueError(f"mT: expects a tensor of at least 2 dimensions, got shape {x.shape}")
    return transpose(x, -2, -1)


@tensor_method("t")
def t(x):
    """The transpose of a tensor of at most 2 dimensions (ValueError otherwise), as ``torch.t``."""
    if x.ndim > 2:
        raise ValueError(f"t: expects a tensor of at most 2 dimensions, got shape {x.shape}")
    return reversed_dims(x)


@tensor_method("permute", as_method=lambda self, *dims: permute(self, _shape_args(dims)))
def permute(x, dims):
    """x with its dimensions reordered: output dimension i is input dimension ``dims[i]``;
    the gradient is permuted back. Raises ValueError when ``dims`` is not a permutation.
    """
    dims = tuple(_dim("permute", d, x.ndim) for d in dims)
    if sorted(dims) != list(range(x.ndim)):
        raise ValueError(f"permute: dims {dims} are not a permutation of the {x.ndim} "
                         f"dimensions of shape {x.shape}")
    return Permute.apply(x, dims)


@tensor_method("squeeze")
def squeeze(x, dim=None):
    """x without its size-1 dimensions (all of them, or only those in ``dim``, an int or a
    tuple; a listed dimension whose size is not 1 stays, as PyTorch).
    """
    if dim is None:
        shape = tuple(n for n in x.shape if n != 1)
    else:
        dims = {_dim("squeeze", d, x.ndim) for d in ((dim,) if isinstance(dim, int) else dim)}
        shape = tuple(n for i, n in enumerate(x.shape) if not (i in dims and n == 1))
    return reshape(x, shape)


@tensor_method("unsqueeze")
def unsqueeze(x, dim):
    """x with a new size-1 dimension inserted at ``dim`` (-1 appends one at the end)."""
    dim = _dim("unsqueeze", dim, x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


@tensor_method("flatten")
def flatten(x, start_dim=0, end_dim=-1):
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


@tensor_method("expand", as_method=lambda self, *sizes: expand(self, _shape_args(sizes)))
def expand(x, shape):
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


def _check_same_shapes(op, tensors, skip_dim=None):
    if not tensors:
        raise ValueError(f"{op}: expects a non-empty sequence of tensors")
    first = tensors[0].shape
    for t in tensors[1:]:
        same = len(t.shape) == len(first) and all(
            a == b for i, (a, b) in enumerate(zip(t.shape, first)) if i != skip_dim)
        if not same:
            raise ValueError(f"{op}: shapes {[tuple(x.shape) for x in tensors]} differ "
                             f"{'outside dim ' + str(skip_dim) if skip_dim is not None else ''}")


def cat(tensors, dim=0):
    """Join tensors along an existing dimension."""
    tensors = [t if isinstance(t, Tensor) else as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: expects a non-empty sequence of tensors")
    dim = _dim("cat", dim, tensors[0].ndim)
    _check_same_shapes("cat", tensors, skip_dim=dim)
    return Concatenate.apply(*tensors, dim=dim)


def stack(tensors, dim=0):
    """Join tensors of equal shape along a new dimension."""
    tensors = [t if isinstance(t, Tensor) else as_tensor(t) for t in tensors]
    _check_same_shapes("stack", tensors)
    dim = _dim("stack", dim, tensors[0].ndim + 1)
    return Stack.apply(*tensors, dim=dim)


@tensor_method("split")
def split(x, split_size_or_sections, dim=0):
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
def chunk(x, chunks, dim=0):
    """Split into ``chunks`` pieces of ceil(n / chunks) (the last may be smaller)."""
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    n = x.shape[_dim("chunk", dim, x.ndim)]
    return split(x, max(-(-n // chunks), 1), dim)


# gradsheet.* (torch.*) names defined here; gradsheet/__init__.py imports them with *
__all__ = [
    "cat", "chunk", "expand", "flatten", "permute", "reshape", "split", "squeeze", "stack", "t",
    "transpose", "unsqueeze",
]
