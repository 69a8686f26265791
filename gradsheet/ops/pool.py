"""Pooling: the max or the mean of each window of a feature map.

    y[n, c, i, j] = max (or mean) over a, b < F of  x[n, c, i*S + a*D - P, j*S + b*D - P]

Along each spatial axis the number of windows is the conv layer's formula (``ops.geometry``)
N = floor((W + 2P - D(F - 1) - 1) / S) + 1, i.e. (W - F + 2P) / S + 1 rounded down for D = 1
(rounded up with ``ceil_mode``, as long as the last window starts inside the input or its left
padding, PyTorch's rule). Windows are strided views of the (padded) input: the code loops over
the F*F kernel offsets, each a whole-array operation, never over output pixels, and the
backward writes each offset's share with a strided add (no np.add.at).
"""
from __future__ import annotations
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from ._checks import check_dtype_kind, int_arg, tensor_args
from .geometry import ints, output_size as pool_output_size
from ..autograd.function import Function
from ..autograd.tensor import Tensor

if TYPE_CHECKING:
    from .._typing import ShapeLike

_AXES = {1: ("length",), 2: ("height", "width")}


class _Axis:
    """One spatial axis of a pooling: its input size W, kernel F, stride S, padding P,
    dilation D, and the window count N."""

    __slots__ = ("W", "F", "S", "P", "D", "N", "padded")

    def __init__(self, W: int, F: int, S: int, P: int, D: int, N: int) -> None:
        self.W, self.F, self.S, self.P, self.D, self.N = W, F, S, P, D, N
        # ceil_mode's last window may run past the right padding: pad that far too
        self.padded = max(W + 2 * P, (N - 1) * S + D * (F - 1) + 1)

    def offsets(self) -> list[slice]:
        """The slice of the padded axis that kernel offset a reads, for every a < F."""
        return [slice(a * self.D, a * self.D + self.S * (self.N - 1) + 1, self.S)
                for a in range(self.F)]

    @property
    def disjoint(self) -> bool:
        """No input position lies in two windows (the span D(F-1)+1 fits in the stride)."""
        return self.D * (self.F - 1) + 1 <= self.S

    @property
    def covers(self) -> bool:
        """The windows tile the padded axis exactly: every position in exactly one window."""
        return (self.F == 1 or self.D == 1) and self.S == self.F and self.N * self.S == self.padded


def _memory_order(a: np.ndarray) -> list[int]:
    """a's axes from the slowest-varying in memory to the fastest."""
    return sorted(range(a.ndim), key=lambda i: -abs(a.strides[i]))


def _allocate(shape: Sequence[int], dtype: np.dtype[Any], order: Sequence[int]) -> np.ndarray:
    """An uninitialised array of ``shape`` whose axes lie in memory in ``order``: pooling keeps
    its input's layout (the convolutions hand out (N, C, H, W) views of (C, H, W, N) arrays),
    so neither it nor the next layer pays for a transposing copy."""
    return np.empty([shape[i] for i in order], dtype).transpose(np.argsort(order))


def _laid_out(a: np.ndarray, order: list[int]) -> np.ndarray:
    """``a`` with its axes in memory in ``order``: itself when they are, else a copy. Mixing
    layouts in one elementwise op (a gradient arriving (N, C, H, W)-contiguous from a Flatten
    against (C, H, W, N) windows) makes NumPy stride across memory: several times slower."""
    if _memory_order(a) == order:
        return a
    out = _allocate(a.shape, a.dtype, order)
    np.copyto(out, a)
    return out


class _Geometry:
    """Where the windows of a pooling lie: the input seen as (batch, C, H, W) and one _Axis
    per spatial axis (a 1-d pooling is a 2-d one over a height of 1)."""

    def __init__(self, op: str, x: np.ndarray, kernel_size: ShapeLike, stride: Optional[ShapeLike],
                 padding: ShapeLike, dilation: ShapeLike, ceil_mode: bool, dims: int) -> None:
        if x.ndim not in (dims + 1, dims + 2):
            layout = "(N, C, H, W)" if dims == 2 else "(N, C, L)"
            raise ValueError(f"{op}: expected a {dims + 1}-d (unbatched) or {dims + 2}-d "
                             f"(batched) input {layout}, got shape {tuple(x.shape)}")
        kernel = ints(op, "kernel_size", kernel_size, dims, 1)
        stride = kernel if stride is None or stride == () or stride == [] else \
            ints(op, "stride", stride, dims, 1)
        padding = ints(op, "padding", padding, dims)
        dilation = ints(op, "dilation", dilation, dims, 1)
        for F, P, D in zip(kernel, padding, dilation):
            if P < 0 or P > F // 2:
                raise ValueError(f"{op}: padding must lie in [0, F/2] (at most half the kernel "
                                 f"size), got P={P} with F={F}")
        sizes = x.shape[-dims:]
        axes = []
        for name, W, F, S, P, D in zip(_AXES[dims], sizes, kernel, stride, padding, dilation):
            N = pool_output_size(W, F, P, S, D, ceil_mode)
            if N < 1:
                raise ValueError(
                    f"{op}: input of shape {tuple(x.shape)} is too small along the {name}: "
                    f"W={W}, F={F}, P={P}, S={S}, D={D} give N = floor((W + 2P - D(F - 1) - 1) "
                    f"/ S) + 1 = {N}; N must be a positive integer")
            axes.append(_Axis(W, F, S, P, D, N))
        if dims == 1:
            axes.insert(0, _Axis(1, 1, 1, 0, 1, 1))
        self.h, self.w = axes
        self.in_shape = x.shape
        lead = x.shape[:-dims] if x.ndim == dims + 2 else (1,) + x.shape[:-dims]
        self.shape4 = lead + (self.h.W, self.w.W)
        self.out_shape = x.shape[:-dims] + tuple(a.N for a in axes[-dims:])
        self.windows = [(Ellipsis, hs, ws) for hs in self.h.offsets() for ws in self.w.offsets()]
        self.disjoint = self.h.disjoint and self.w.disjoint
        self.covers = self.h.covers and self.w.covers

    def real(self, k: int) -> Optional[np.ndarray]:
        """Where kernel offset k reads the input itself, not padding: an (N_h, N_w) mask, or
        None when no window reaches into padding."""
        h, w = self.h, self.w
        if h.padded == h.W and w.padded == w.W:
            return None
        masks = []
        for axis, a in ((h, k // w.F), (w, k % w.F)):
            start = np.arange(axis.N) * axis.S - axis.P + a * axis.D
            masks.append((start >= 0) & (start < axis.W))
        return masks[0][:, None] & masks[1][None, :]

    def padded(self, x: np.ndarray, fill: float) -> np.ndarray:
        """x as (batch, C, H, W) with P rows/columns of ``fill`` around (and ceil_mode's extra)."""
        x4 = x.reshape(self.shape4)
        h, w = self.h, self.w
        if h.padded == h.W and w.padded == w.W:
            return x4
        out = _allocate(self.shape4[:2] + (h.padded, w.padded), x.dtype, _memory_order(x4))
        out.fill(fill)
        out[..., h.P:h.P + h.W, w.P:w.P + w.W] = x4
        return out

    def gradient_buffer(self, padded_shape: tuple[int, ...], dtype: np.dtype[Any],
                        order: list[int]) -> np.ndarray:
        """The array the backward writes the windows' gradients into, laid out in memory as
        the input: uninitialised only when the windows write every element exactly once."""
        out = _allocate(padded_shape, dtype, order)
        if not (self.disjoint and self.covers):
            out.fill(0)
        return out

    def unpad(self, grad: np.ndarray) -> np.ndarray:
        """The gradient with respect to the unpadded input, in the input's shape."""
        h, w = self.h, self.w
        if grad.shape[-2:] != (h.W, w.W):
            grad = grad[..., h.P:h.P + h.W, w.P:w.P + w.W]
        return grad.reshape(self.in_shape)


class MaxPool(Function):
    """y = max over the window of x;  dL/dx gets dL/dy at the window's argmax, 0 elsewhere
    (ties go to the first position in row-major order within the window, as in PyTorch).

    NaN propagates: a window holding a NaN gives NaN, and its index and gradient go to the
    window's last NaN, as in PyTorch.
    """

    def forward(self, x: np.ndarray, geometry: _Geometry, return_indices: bool) -> np.ndarray:
        self.geometry = geometry
        xp = geometry.padded(x, -np.inf)
        out: Optional[np.ndarray] = None
        winner: Optional[np.ndarray] = None
        for k, window in enumerate(geometry.windows):
            values = xp[window]
            if out is None:
                out = values.copy(order="K")
                if return_indices:
                    winner = np.zeros(out.shape, np.int64)
                    real = geometry.real(k)
                    on_pad = None if real is None else np.broadcast_to(~real, out.shape).copy()
                continue
            if return_indices:  # as torch: a larger value, or any NaN (so the last NaN) ...
                assert winner is not None  # made at the first window
                better = (values > out) | np.isnan(values)
                real = geometry.real(k)
                if on_pad is not None and real is not None:
                    # ... and padding (-inf) loses its ties to the input (an all -inf window)
                    better |= on_pad & real & (values == out)
                    on_pad &= ~(better & real)
                np.copyto(winner, k, where=better)
            np.maximum(out, values, out=out)
        assert out is not None  # a pooling window has at least one position
        self.xp, self.out = xp, out
        if return_indices:
            assert winner is not None  # made with out
            self.indices = self._flat_indices(winner)
        return out.reshape(geometry.out_shape)

    def _flat_indices(self, winner: np.ndarray) -> np.ndarray:
        """PyTorch's indices: the row-major position in the unpadded H x W plane of each max."""
        h, w = self.geometry.h, self.geometry.w
        row = np.arange(h.N)[:, None] * h.S - h.P + (winner // w.F) * h.D
        col = np.arange(w.N)[None, :] * w.S - w.P + (winner % w.F) * w.D
        return (row * w.W + col).reshape(self.geometry.out_shape)

    def backward(self, g: np.ndarray) -> np.ndarray:
        geometry, xp, out = self.geometry, self.xp, self.out
        g = _laid_out(g.reshape(out.shape), _memory_order(out))
        grad = geometry.gradient_buffer(xp.shape, g.dtype, _memory_order(xp))
        taken = None
        last = len(geometry.windows) - 1
        unreal = geometry.real(0) is not None and np.isneginf(out).any()
        for k, window in enumerate(geometry.windows):
            hit = xp[window] == out
            if unreal:  # an all -inf window: padding (-inf too) takes no gradient
                real = geometry.real(k)
                if real is not None:
                    hit &= real
            if taken is None:
                taken = hit
            else:
                np.greater(hit, taken, out=hit)  # hit and not taken: the first winner only
                if k < last:
                    taken |= hit
            if geometry.disjoint:
                np.multiply(g, hit, out=grad[window])
            else:
                grad[window] += g * hit
        nan = np.isnan(out)
        if nan.any():  # NaN == NaN fails above: as torch, a NaN window's gradient goes to its last NaN
            taken = ~nan
            for window in reversed(geometry.windows):
                hit = np.isnan(xp[window]) & ~taken
                taken |= hit
                grad[window] += g * hit
        return geometry.unpad(grad)


class AvgPool(Function):
    """y = (1/d) sum over the window of x;  dL/dx = sum over the windows holding x of dL/dy / d.

    d is the window size F*F (with ``count_include_pad``: padded positions count, but not the
    positions ceil_mode adds past the padding), or the count of real input positions in the
    window (without it), or ``divisor_override``.
    """

    def forward(self, x: np.ndarray, geometry: _Geometry, count_include_pad: bool,
                divisor_override: Optional[int]) -> np.ndarray:
        self.geometry = geometry
        xp = geometry.padded(x, 0)
        out: Optional[np.ndarray] = None
        for window in geometry.windows:
            if out is None:
                out = xp[window].copy(order="K")
            else:
                out += xp[window]
        assert out is not None  # a pooling window has at least one position
        self.padded_shape, self.order = xp.shape, _memory_order(xp)
        self.scale = self._scale(count_include_pad, divisor_override, x.dtype)
        out *= self.scale
        return out.reshape(geometry.out_shape)

    def _scale(self, count_include_pad: bool, divisor_override: Optional[int],
               dtype: np.dtype[Any]) -> Union[float, np.ndarray]:
        """1/d per output position (a Python float when it is the same everywhere)."""
        if divisor_override:
            return 1.0 / divisor_override
        counts = []
        for axis in (self.geometry.h, self.geometry.w):
            start = np.arange(axis.N) * axis.S - axis.P
            end = np.minimum(start + axis.F, axis.W + axis.P)
            if not count_include_pad:
                start, end = np.maximum(start, 0), np.minimum(end, axis.W)
            counts.append(end - start)
        divisor = counts[0][:, None] * counts[1][None, :]
        if np.all(divisor == divisor.flat[0]):
            return 1.0 / int(divisor.flat[0])
        return (1.0 / divisor).astype(dtype)

    def backward(self, g: np.ndarray) -> np.ndarray:
        geometry = self.geometry
        g = g.reshape(geometry.shape4[:2] + (geometry.h.N, geometry.w.N))
        share = _laid_out(g, self.order) * self.scale
        grad = geometry.gradient_buffer(self.padded_shape, share.dtype, self.order)
        for window in geometry.windows:
            if geometry.disjoint:
                grad[window] = share
            else:
                grad[window] += share
        return geometry.unpad(grad)


class AdaptiveAvgPool(Function):
    """y = A_h x A_w^T: output (i, j) is the mean of x over rows floor(i H / OH) ..
    ceil((i + 1) H / OH) - 1 and the columns alike (PyTorch's windows), written as one
    averaging matrix per axis;  dL/dx = A_h^T (dL/dy) A_w.
    """

    def forward(self, x: np.ndarray, out_hw: tuple[int, ...], shape4: tuple[int, ...],
                out_shape: tuple[int, ...]) -> np.ndarray:
        self.in_shape, self.mid_shape = x.shape, shape4[:-2] + out_hw
        self.a_h = _averaging_matrix(shape4[-2], out_hw[0], x.dtype)
        self.a_w_t = _averaging_matrix(shape4[-1], out_hw[1], x.dtype).T
        y = np.matmul(np.matmul(self.a_h, x.reshape(shape4)), self.a_w_t)
        return y.reshape(out_shape)

    def backward(self, g: np.ndarray) -> np.ndarray:
        grad = np.matmul(np.matmul(self.a_h.T, g.reshape(self.mid_shape)), self.a_w_t.T)
        return grad.reshape(self.in_shape)


def _averaging_matrix(size: int, out: int, dtype: np.dtype[Any]) -> np.ndarray:
    """(out, size) rows averaging x over PyTorch's adaptive windows
    [floor(i size / out), ceil((i + 1) size / out))."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    cols = np.arange(size)
    inside = (cols >= start[:, None]) & (cols < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _check_tensor(op: str, input: object) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(input).__name__}")


def max_pool(op: str, dims: int, input: Tensor, kernel_size: ShapeLike,
             stride: Optional[ShapeLike], padding: ShapeLike, dilation: ShapeLike,
             ceil_mode: bool, return_indices: bool) -> Union[Tensor, tuple[Tensor, Tensor]]:
    """Max pooling over the last ``dims`` (1 or 2) axes: what ``max_pool1d`` / ``max_pool2d``
    and the MaxPool layers call, ``op`` naming the caller in error messages. Same arguments
    and result as ``max_pool2d`` (stride None means the kernel size)."""
    _check_tensor(op, input)
    geometry = _Geometry(op, input.array, kernel_size, stride, padding, dilation, ceil_mode, dims)
    out = MaxPool.apply(input, geometry=geometry, return_indices=bool(return_indices))
    if not return_indices:
        return out
    node = out._ctx
    indices = node.indices if isinstance(node, MaxPool) else _indices_without_graph(input, geometry)
    return out, Tensor._wrap(indices)


def _indices_without_graph(input: Tensor, geometry: _Geometry) -> np.ndarray:
    node = MaxPool()
    node.forward(input.array, geometry, True)
    return node.indices


def avg_pool(op: str, dims: int, input: Tensor, kernel_size: ShapeLike,
             stride: Optional[ShapeLike], padding: ShapeLike, ceil_mode: bool,
             count_include_pad: bool, divisor_override: Optional[int] = None) -> Tensor:
    """Average pooling over the last ``dims`` (1 or 2) axes: what ``avg_pool1d`` /
    ``avg_pool2d`` and the AvgPool layers call, ``op`` naming the caller in error messages."""
    _check_tensor(op, input)
    check_dtype_kind(op, "input", input, "f", "floating-point (gradsheet averages floats only)")
    if divisor_override is not None and (isinstance(divisor_override, bool)
                                         or int(divisor_override) != divisor_override
                                         or divisor_override < 1):
        raise ValueError(f"{op}: divisor_override must be a positive integer, got "
                         f"{divisor_override!r}")
    geometry = _Geometry(op, input.array, kernel_size, stride, padding, 1, ceil_mode, dims)
    return AvgPool.apply(input, geometry=geometry, count_include_pad=bool(count_include_pad),
                         divisor_override=divisor_override)


def adaptive_avg_pool(op: str, dims: int, input: Tensor,
                      output_size: Union[int, Sequence[Optional[int]], None]) -> Tensor:
    """Adaptive average pooling over the last ``dims`` (1 or 2) axes: what the
    ``adaptive_avg_pool*d`` functions and layers call, ``op`` naming the caller in errors."""
    _check_tensor(op, input)
    x = input.array
    if x.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"{op}: expected a {dims + 1}-d (unbatched) or {dims + 2}-d (batched) "
                         f"input, got shape {tuple(x.shape)}")
    sizes = x.shape[-dims:]
    if not (output_size is None or isinstance(output_size, (int, np.integer, tuple, list))) \
            or isinstance(output_size, bool):
        raise TypeError(f"{op}: output_size must be an int or a tuple of {dims} ints (or None), "
                        f"not {type(output_size).__name__} {output_size!r}"[:200])
    wanted = (output_size,) * dims if output_size is None or isinstance(
        output_size, (int, np.integer)) else tuple(output_size)
    if len(wanted) == 1 and dims > 1:
        wanted = wanted * dims
    if len(wanted) != dims:
        raise ValueError(f"{op}: output_size must be an int or a tuple of {dims}, got "
                         f"{output_size!r}")
    out = tuple(size if o is None else int_arg(op, "output_size", o) for size, o in zip(sizes, wanted))
    if min(out) < 1:
        raise ValueError(f"{op}: output_size must be positive, got {out} for input of shape "
                         f"{tuple(x.shape)}")
    if min(sizes) < 1:
        raise ValueError(f"{op}: input of shape {tuple(x.shape)} has an empty spatial axis")
    out_hw = (1,) + out if dims == 1 else out
    shape4 = x.shape[:-dims] + ((1,) if dims == 1 else ()) + sizes
    return AdaptiveAvgPool.apply(input, out_hw=out_hw, shape4=shape4,
                                 out_shape=x.shape[:-dims] + out)


@tensor_args("input", convert_arrays=False)
def max_pool2d(input: Tensor, kernel_size: ShapeLike, stride: Optional[ShapeLike] = None,
               padding: ShapeLike = 0, dilation: ShapeLike = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Union[Tensor, tuple[Tensor, Tensor]]:
    """Max over each F x F window of (N, C, H, W) or (C, H, W) input; stride defaults to the
    kernel. With ``return_indices`` also returns each max's flat position in its H x W plane.

    Example: max_pool2d of arange(16).reshape(1, 1, 4, 4) with kernel 2 is [[5, 7], [13, 15]].
    """
    return max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


@tensor_args("input", convert_arrays=False)
def max_pool1d(input: Tensor, kernel_size: ShapeLike, stride: Optional[ShapeLike] = None,
               padding: ShapeLike = 0, dilation: ShapeLike = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Union[Tensor, tuple[Tensor, Tensor]]:
    """Max over each window of F positions of (N, C, L) or (C, L) input."""
    return max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


@tensor_args("input", convert_arrays=False)
def avg_pool2d(input: Tensor, kernel_size: ShapeLike, stride: Optional[ShapeLike] = None,
               padding: ShapeLike = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: Optional[int] = None) -> Tensor:
    """Mean over each F x F window of (N, C, H, W) or (C, H, W) input (see AvgPool for the
    divisor)."""
    return avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


@tensor_args("input", convert_arrays=False)
def avg_pool1d(input: Tensor, kernel_size: ShapeLike, stride: Optional[ShapeLike] = None,
               padding: ShapeLike = 0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over each window of F positions of (N, C, L) or (C, L) input."""
    return avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad)


@tensor_args("input", convert_arrays=False)
def adaptive_avg_pool2d(input: Tensor, output_size: Union[int, Sequence[Optional[int]], None]) -> Tensor:
    """Mean over PyTorch's adaptive windows, giving an OH x OW map whatever H x W is
    (``output_size`` an int, a pair, or None in a place to keep that size). Output 1 is
    global average pooling."""
    return adaptive_avg_pool("adaptive_avg_pool2d", 2, input, output_size)


@tensor_args("input", convert_arrays=False)
def adaptive_avg_pool1d(input: Tensor, output_size: int) -> Tensor:
    """Mean over PyTorch's adaptive windows of a length-L axis, giving ``output_size`` values."""
    return adaptive_avg_pool("adaptive_avg_pool1d", 1, input, output_size)


__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "avg_pool1d", "avg_pool2d",
           "max_pool1d", "max_pool2d", "pool_output_size"]
