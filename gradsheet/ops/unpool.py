"""Max unpooling: the partial inverse of a max pooling that returned its indices.

    y[n, c].flat[indices[n, c, i, j]] = x[n, c, i, j],   0 everywhere else

Each input value goes back to the position its max came from (``indices`` as max_pool2d /
max_pool1d return them: the row-major position in each output plane). The output size per
axis is (W - 1) S - 2P + F unless ``output_size`` asks for one within S of it.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional

import numpy as np

from ._checks import tensor_args
from .geometry import ints, transposed_output_size
from ..autograd.function import Function
from ..autograd.tensor import Tensor

if TYPE_CHECKING:
    from .._typing import ShapeLike


class MaxUnpool(Function):
    """y.flat[plane, idx] = x (0 elsewhere; where two inputs share an index the later one, in
    row-major order, is written, as torch's CPU kernel);  dL/dx = dL/dy.flat[plane, idx] (a
    gather: every input gets the gradient at its index, written or not, as torch).
    """

    def forward(self, x: np.ndarray, positions: np.ndarray, out_shape: tuple[int, ...]
                ) -> np.ndarray:
        self.positions, self.in_shape = positions, x.shape
        out = np.zeros(int(np.prod(out_shape)), dtype=x.dtype)
        flat = x.reshape(-1)
        # the last input writing each position wins: the first occurrence of the reversed list
        targets, first = np.unique(positions[::-1], return_index=True)
        out[targets] = flat[::-1][first]
        return out.reshape(out_shape)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g.reshape(-1)[self.positions].reshape(self.in_shape)


def _output_size(op: str, sizes: tuple[int, ...], kernel: tuple[int, ...],
                 stride: tuple[int, ...], padding: tuple[int, ...],
                 output_size: Optional[Sequence[int]]) -> tuple[int, ...]:
    """torch's _unpool_output_size: (W - 1) S + F - 2P per axis, or ``output_size`` (its last
    ``dims`` entries when it also names N and C) within S of that."""
    dims = len(kernel)
    default = [transposed_output_size(w, f, p, s) for w, f, s, p in zip(sizes, kernel, stride, padding)]
    if output_size is None:
        wanted = default
    else:
        wanted = [int(v) for v in output_size]
        if len(wanted) == dims + 2:
            wanted = wanted[2:]
        if len(wanted) != dims:
            raise ValueError(f"{op}: output_size should be a sequence containing {dims} or "
                             f"{dims + 2} elements, but it has a length of '{len(wanted)}'")
        for d in range(dims):
            low, high = default[d] - stride[d], default[d] + stride[d]
            if not low < wanted[d] < high:
                raise ValueError(f"{op}: invalid output_size {tuple(output_size)} (dim {d} must "
                                 f"be between {low} and {high}, exclusive)")
    for d, n in enumerate(wanted):
        if n < 0:
            raise ValueError(f"{op}: output_size must contain non-negative spatial dimensions, "
                             f"but got output_size[{d}]={n}")
    return tuple(wanted)


def max_unpool(op: str, dims: int, input: Tensor, indices: Tensor, kernel_size: ShapeLike,
               stride: Optional[ShapeLike], padding: ShapeLike,
               output_size: Optional[Sequence[int]]) -> Tensor:
    """The inverse of max pooling over the last ``dims`` (1 or 2) axes: what ``max_unpool1d``
    / ``max_unpool2d`` and the MaxUnpool layers call, ``op`` naming the caller in errors."""
    for name, value in (("input", input), ("indices", indices)):
        if not isinstance(value, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(value).__name__}")
    x, index = input.array, indices.array
    if x.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{op}: expected a {dims + 1}-D (unbatched) or {dims + 2}-D (batched) "
                           f"input, got a tensor of shape {tuple(x.shape)}")
    if index.dtype != np.int64:
        raise RuntimeError(f"{op}: elements in indices should be type int64 but got "
                           f"{index.dtype}")
    if index.shape != x.shape:
        raise RuntimeError(f"{op}: expected shape of indices to be same as that of the input "
                           f"tensor {tuple(x.shape)} but got indices tensor with shape "
                           f"{tuple(index.shape)}")
    if x.dtype.kind != "f":
        raise NotImplementedError(f"{op}: not implemented for dtype {x.dtype} (floating inputs "
                                  "only, as torch)")
    for d in range(1, x.ndim):  # as torch: only the first dimension may be empty
        if x.shape[d] == 0:
            raise RuntimeError(f"{op}: expected input to have non-zero size for non-batch "
                               f"dimensions, but got {tuple(x.shape)} with dimension {d} empty")
    kernel = ints(op, "kernel_size", kernel_size, dims)
    stride = kernel if stride is None else ints(op, "stride", stride, dims)
    padding = ints(op, "padding", padding, dims)
    sizes = _output_size(op, x.shape[-dims:], kernel, stride, padding, output_size)
    plane = int(np.prod(sizes))
    out_shape = x.shape[:-dims] + sizes
    planes = index.reshape(-1, int(np.prod(x.shape[-dims:])))
    if plane and index.size:
        bad = (planes < 0) | (planes >= plane)
        if bad.any():
            raise RuntimeError(f"{op}: found an invalid max index {int(planes[bad][0])} (output "
                               f"volumes are of size {'x'.join(map(str, sizes))})")
    if not plane:  # an empty output plane: nothing is written (torch does not check indices)
        return _EmptyUnpool.apply(input, out_shape=out_shape)
    positions = (planes + np.arange(planes.shape[0])[:, None] * plane).reshape(-1)
    return MaxUnpool.apply(input, positions=positions, out_shape=out_shape)


class _EmptyUnpool(Function):
    """y = zeros of an empty output shape;  dL/dx = 0."""

    def forward(self, x: np.ndarray, out_shape: tuple[int, ...]) -> np.ndarray:
        self.in_shape = x.shape
        return np.zeros(out_shape, x.dtype)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return np.zeros(self.in_shape, g.dtype)


@tensor_args("input", "indices")
def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: ShapeLike,
                 stride: Optional[ShapeLike] = None, padding: ShapeLike = 0,
                 output_size: Optional[Sequence[int]] = None) -> Tensor:
    """y[n, c].flat[indices[n, c, i, j]] = x[n, c, i, j], 0 elsewhere: the partial inverse of
    ``max_pool2d(..., return_indices=True)`` for (N, C, H, W) or (C, H, W) input.

    Output (N, C, OH, OW), OH = (H - 1) S - 2P + F (or ``output_size``, given as (OH, OW) or
    (N, C, OH, OW), within S of it); stride defaults to the kernel size. The gradient is the
    output gradient gathered at the indices.
    Example: ``y, i = F.max_pool2d(x, 2, return_indices=True); F.max_unpool2d(y, i, 2)`` keeps
    each window's max in place and zeroes the rest.
    """
    return max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding,
                       output_size)


@tensor_args("input", "indices")
def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: ShapeLike,
                 stride: Optional[ShapeLike] = None, padding: ShapeLike = 0,
                 output_size: Optional[Sequence[int]] = None) -> Tensor:
    """y[n, c, indices[n, c, i]] = x[n, c, i], 0 elsewhere: the partial inverse of
    ``max_pool1d(..., return_indices=True)`` for (N, C, L) or (C, L) input; output length
    (L - 1) S - 2P + F (or ``output_size``, within S of it)."""
    return max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding,
                       output_size)


__all__ = ["max_unpool1d", "max_unpool2d"]
