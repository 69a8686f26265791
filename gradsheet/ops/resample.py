"""Resampling: interpolate (nearest, linear, cubic, area) and pixel_shuffle / pixel_unshuffle.

Every interpolation mode is separable: along each spatial axis, output position i reads a few
input positions idx[i, t] with weights w[i, t], the same for every other index,

    y[..., i, ...] = sum_t w[i, t] * x[..., idx[i, t], ...]        (one axis at a time)
    dL/dx[..., j, ...] = sum over (i, t) with idx[i, t] = j of w[i, t] * dL/dy[..., i, ...]

so the op builds the (out, taps) index and weight arrays of each axis once, gathers and weights
along the axes in turn, and its backward scatter-adds along the axes in the reverse order (the
transpose of each gather, a sort and ``np.add.reduceat``: no loop over elements).

Source coordinates follow PyTorch's kernels: with ``align_corners`` output i sits at input
i * (in - 1) / (out - 1); without, at (i + 0.5) * scale - 0.5, where scale is 1 / scale_factor
when a scale factor is given (and ``recompute_scale_factor`` is not True), else in / out.
"""
from __future__ import annotations
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from ._checks import tensor_args
from ..autograd.function import Function
from ..autograd.tensor import Tensor

if TYPE_CHECKING:
    from .._typing import DType, ShapeLike, TensorLike

    # Resample's axes: (axis, index (out, taps), weight (out, taps) or None for a copy) each
    _Axes = tuple[tuple[int, np.ndarray, Optional[np.ndarray]], ...]

# torch's bicubic kernel constant (Keys' cubic convolution with A = -0.75)
CUBIC_A = -0.75


def gather_axis(x: np.ndarray, axis: int, index: np.ndarray,
                weight: Optional[np.ndarray] = None) -> np.ndarray:
    """sum_t weight[:, t] * x.take(index[:, t], axis): the (out, taps) ``index`` read along
    ``axis`` (``weight`` None: one tap of weight 1, an exact copy)."""
    if weight is None:
        return np.take(x, index[:, 0], axis=axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    out: Any = None  # the sum of the terms (every index has a tap)
    with np.errstate(invalid="ignore"):  # inf * 0 is NaN, as in torch's kernels
        for t in range(index.shape[1]):  # taps: at most 4 (cubic) or the widest area window
            term = np.take(x, index[:, t], axis=axis) * weight[:, t].reshape(shape)
            out = term if out is None else out + term
    return out


def scatter_axis(g: np.ndarray, axis: int, index: np.ndarray, weight: Optional[np.ndarray],
                 size: int) -> np.ndarray:
    """The adjoint of ``gather_axis``: dx (``size`` along ``axis``) with
    dx[..., j, ...] = sum of weight[i, t] * g[..., i, ...] over idx[i, t] = j."""
    moved = np.moveaxis(g, axis, -1)
    out, taps = index.shape
    result = np.zeros(moved.shape[:-1] + (size,), dtype=g.dtype)
    if index.size and moved.size:
        contributions = moved[..., :, None] if weight is None else moved[..., :, None] * weight
        contributions = np.broadcast_to(contributions, moved.shape[:-1] + (out, taps))
        flat = index.reshape(-1)
        order = np.argsort(flat, kind="stable")
        ordered = flat[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        sums = np.add.reduceat(contributions.reshape(moved.shape[:-1] + (out * taps,))[..., order],
                               starts, axis=-1)
        result[..., ordered[starts]] = sums
    return np.moveaxis(result, -1, axis)


class Resample(Function):
    """y = x gathered and weighted along each axis in turn (``axes``: (axis, idx, w) per axis,
    w None for an exact copy);  dL/dx = the transposed scatter-adds, in the reverse order.

    Shapes: x (*) -> y (*) with axis a of size len(idx) for each (a, idx, w).
    """

    def forward(self, x: np.ndarray, axes: _Axes = ()) -> np.ndarray:
        self.axes, self.shape = axes, x.shape
        sizes = []
        for axis, index, weight in axes:
            sizes.append(x.shape[axis])
            x = gather_axis(x, axis, index, weight)
        self.sizes = sizes
        return np.ascontiguousarray(x) if axes else x.copy()

    def backward(self, g: np.ndarray) -> np.ndarray:
        for (axis, index, weight), size in zip(reversed(self.axes), reversed(self.sizes)):
            g = scatter_axis(g, axis, index, weight, size)
        return g


# ---------------------------------------------------------------- source positions per mode
def _scale(in_size: int, out_size: int, align_corners: Optional[bool],
           scale_factor: Optional[float], dtype: type[np.floating[Any]] = np.float64
           ) -> np.floating[Any]:
    """PyTorch's area_pixel_compute_scale: input pixels per output pixel."""
    if align_corners:
        return dtype((in_size - 1) / (out_size - 1)) if out_size > 1 else dtype(0.0)
    if scale_factor is not None and scale_factor > 0:
        return dtype(1.0 / scale_factor)
    return dtype(in_size) / dtype(out_size)


def _source(in_size: int, out_size: int, align_corners: Optional[bool],
            scale_factor: Optional[float], cubic: bool = False) -> np.ndarray:
    """The (float64) input coordinate of each output position (torch's
    area_pixel_compute_source_index)."""
    scale = _scale(in_size, out_size, align_corners, scale_factor)
    i = np.arange(out_size, dtype=np.float64)
    if align_corners:
        return scale * i
    src = scale * (i + 0.5) - 0.5
    return src if cubic else np.maximum(src, 0.0)


def _guard(src: np.ndarray, in_size: int) -> tuple[np.ndarray, np.ndarray]:
    """torch's guard_index_and_lambda: i0 = min(floor(src), in - 1), t = clip(src - i0, 0, 1)."""
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    return i0, np.clip(src - i0, 0.0, 1.0)


def nearest_index(in_size: int, out_size: int, scale_factor: Optional[float],
                  exact: bool = False, two_d: bool = False,
                  dtype: DType = np.float64) -> np.ndarray:
    """(out, 1) input index of each output position: floor(i * scale) (``exact``: floor((i + 0.5)
    * scale)), capped at in - 1, with scale in float32 and the product in ``dtype`` (the input's),
    as PyTorch's kernels compute them. PyTorch's 2-D kernel (``two_d``) computes the product
    in float32 and copies an axis that keeps its size or doubles it (index i, or i // 2)."""
    if two_d and not exact and out_size in (in_size, 2 * in_size):
        return (np.arange(out_size) // (out_size // in_size))[:, None]
    scale = _scale(in_size, out_size, False, scale_factor, np.float32)
    i = np.arange(out_size)
    # Any: NumPy's stubs can't multiply a float32-or-float64 scalar type's value by an array
    product: Any = np.float32 if two_d or dtype == np.float32 else np.float64
    if exact:
        src = np.maximum(product(scale) * (i + 0.5).astype(product) - product(0.5), 0) + 0.5
    else:
        src = product(scale) * i.astype(product)
    src = np.floor(src.astype(np.float32))
    return np.minimum(src.astype(np.int64), in_size - 1)[:, None]


def linear_taps(in_size: int, out_size: int, align_corners: Optional[bool],
                scale_factor: Optional[float]) -> tuple[np.ndarray, np.ndarray]:
    """(out, 2) indices i0, i1 = i0 + (i0 < in - 1) and weights 1 - t, t."""
    i0, t = _guard(_source(in_size, out_size, align_corners, scale_factor), in_size)
    i1 = i0 + (i0 < in_size - 1)
    return np.stack([i0, i1], axis=1), np.stack([1.0 - t, t], axis=1)


def cubic_taps(in_size: int, out_size: int, align_corners: Optional[bool],
               scale_factor: Optional[float]) -> tuple[np.ndarray, np.ndarray]:
    """(out, 4) indices i0 - 1 .. i0 + 2 clamped to the input, and Keys' cubic weights at
    distances t + 1, t, 1 - t, 2 - t (A = -0.75)."""
    i0, t = _guard(_source(in_size, out_size, align_corners, scale_factor, cubic=True), in_size)
    a = CUBIC_A

    def near(d: np.ndarray) -> np.ndarray:  # |d| <= 1
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d: np.ndarray) -> np.ndarray:  # 1 < |d| < 2
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

    weight = np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], axis=1)
    index = np.clip(i0[:, None] + np.arange(-1, 3), 0, in_size - 1)
    return index, weight


def area_taps(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(out, widest window) indices and weights of adaptive average pooling: output i averages
    input [floor(i * in / out), ceil((i + 1) * in / out)); padded taps have weight 0."""
    i = np.arange(out_size)
    start = (i * in_size) // out_size
    stop = -((-(i + 1) * in_size) // out_size)
    width = int((stop - start).max()) if out_size else 1
    offsets = np.arange(width)
    inside = offsets < (stop - start)[:, None]
    index = np.where(inside, start[:, None] + offsets, start[:, None])
    weight = inside / (stop - start)[:, None]
    return index, weight


_MODES = {"nearest": None, "nearest-exact": None, "area": None,
          "linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}


def _check_input(input: TensorLike, mode: str) -> np.ndarray:
    x = input.array if isinstance(input, Tensor) else np.asarray(input)
    if mode not in _MODES:
        raise NotImplementedError(f"interpolate: unknown mode {mode!r}; expected one of "
                                  f"{', '.join(_MODES)}")
    if x.ndim not in (3, 4, 5):
        raise NotImplementedError(f"interpolate: expected a 3-D, 4-D or 5-D input (N, C, d1, ...), "
                                  f"got shape {tuple(x.shape)} (mode {mode!r})")
    needed = _MODES[mode]
    if needed is not None and x.ndim != needed:
        raise NotImplementedError(f"interpolate: got {x.ndim}D input of shape {tuple(x.shape)}, "
                                  f"but {mode} mode needs {needed}D input")
    if x.dtype.kind != "f":
        raise TypeError(f"interpolate: expected a floating-point input, got dtype {x.dtype}")
    if x.shape[1] == 0 or 0 in x.shape[2:]:
        raise ValueError(f"interpolate: expected non-empty channel and spatial dimensions, got "
                         f"shape {tuple(x.shape)} (only the batch may be empty)")
    return x


def _per_axis(op: str, name: str, value: Any, dims: int, shape: tuple[int, ...], kind: str
              ) -> list[Any]:
    """An int/float or a sequence of ``dims`` of them, as a list (of ints or of floats, by
    ``kind``)."""
    if isinstance(value, (list, tuple)):
        if len(value) != dims:
            raise ValueError(f"{op}: input and {name} must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of "
                             f"{list(shape[2:])} and {name} {tuple(value)}")
        values = list(value)
    else:
        values = [value] * dims
    if kind == "int" and not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                 for v in values):
        raise TypeError(f"{op}: size must be an int or a tuple of {dims} ints, got {value!r}")
    if kind == "float" and not all(isinstance(v, (int, float, np.integer, np.floating))
                                   and not isinstance(v, bool) for v in values):
        raise TypeError(f"{op}: scale_factor must be a number or a tuple of {dims} numbers, got "
                        f"{value!r}")
    if kind == "float" and not all(np.isfinite(v) and v > 0 for v in values):
        raise ValueError(f"{op}: scale_factor must be finite and positive, got {value!r}")
    return [int(v) for v in values] if kind == "int" else [float(v) for v in values]


@tensor_args("input")
def interpolate(input: Tensor, size: Optional[ShapeLike] = None,
                scale_factor: Union[float, Sequence[float], None] = None, mode: str = "nearest",
                align_corners: Optional[bool] = None,
                recompute_scale_factor: Optional[bool] = None,
                antialias: bool = False) -> Tensor:
    """y[..., i] = sum_t w[i, t] x[..., idx[i, t]] along each spatial axis: the input resized to
    ``size`` (or ``scale_factor`` times its size, rounded down).

    Modes: ``nearest`` (idx = floor(i * scale)), ``nearest-exact`` (floor((i + 0.5) * scale)),
    ``linear`` (3-D), ``bilinear`` (4-D), ``trilinear`` (5-D): the two neighbours weighted
    1 - t and t; ``bicubic`` (4-D): four neighbours (clamped at the border) with Keys' weights,
    A = -0.75; ``area``: the mean of each adaptive-pooling window. ``align_corners`` (linear
    modes only) puts the corner pixels' centres on each other. Input (N, C, d1, ...), the batch
    N may be 0. ``antialias=True`` is not supported.
    Example: ``interpolate(x, scale_factor=2, mode='bilinear')`` doubles H and W.
    """
    op = "interpolate"
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(f"{op}: align_corners option can only be set with the interpolating "
                             f"modes: linear | bilinear | bicubic | trilinear (got mode {mode!r})")
    elif align_corners is None:
        align_corners = False
    x = _check_input(input, mode)
    dims = x.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError(f"{op}: only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError(f"{op}: either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError(f"{op}: recompute_scale_factor is not meaningful with an explicit size")
    if antialias:
        if not (mode in ("bilinear", "bicubic") and x.ndim == 4):
            raise ValueError(f"{op}: anti-alias option is restricted to bilinear and bicubic "
                             f"modes and requires a 4-D tensor as input (got mode {mode!r} and "
                             f"{x.ndim}-D input)")
        raise NotImplementedError(f"{op}: antialias=True is not supported by gradsheet")
    if size is not None:
        out_sizes = _per_axis(op, "output size", size, dims, x.shape, "int")
        scales = [None] * dims
    else:
        scales = _per_axis(op, "scale_factor", scale_factor, dims, x.shape, "float")
        out_sizes = [int(np.floor(n * s)) for n, s in zip(x.shape[2:], scales)]
        if recompute_scale_factor or mode == "area":
            scales = [None] * dims
    for in_size, out_size in zip(x.shape[2:], out_sizes):
        if out_size < (0 if mode == "area" else 1):
            raise ValueError(f"{op}: input and output sizes should be greater than 0, but got input "
                             f"spatial size {tuple(x.shape[2:])} and output size {tuple(out_sizes)}")
    axes = []
    for k, (in_size, out_size, scale) in enumerate(zip(x.shape[2:], out_sizes, scales)):
        if mode in ("nearest", "nearest-exact"):
            index = nearest_index(in_size, out_size, scale, mode == "nearest-exact", dims == 2,
                                  x.dtype.type)
            weight = None
        elif mode == "bicubic":
            index, weight = cubic_taps(in_size, out_size, align_corners, scale)
        elif mode == "area":
            index, weight = area_taps(in_size, out_size)
        elif in_size == out_size:  # torch's linear kernels copy an axis that keeps its size
            index, weight = np.arange(in_size)[:, None], None
        else:
            index, weight = linear_taps(in_size, out_size, align_corners, scale)
        if weight is not None:
            weight = weight.astype(x.dtype)
        axes.append((k + 2, index, weight))
    return Resample.apply(input, axes=tuple(axes))


# ---------------------------------------------------------------- pixel shuffle
class PixelShuffle(Function):
    """y[..., c, h*r + i, w*r + j] = x[..., c*r*r + i*r + j, h, w] (a reshape and a transpose);
    dL/dx = dL/dy rearranged back (``unshuffle`` for the inverse op).

    Shapes: (*, C*r*r, H, W) -> (*, C, H*r, W*r) (unshuffle: the other way).
    """

    def forward(self, x: np.ndarray, r: int = 1, unshuffle: bool = False) -> np.ndarray:
        self.shape, self.r, self.unshuffle = x.shape, r, unshuffle
        return _unshuffle(x, r) if unshuffle else _shuffle(x, r)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return _shuffle(g, self.r) if self.unshuffle else _unshuffle(g, self.r)


def _shuffle(x: np.ndarray, r: int) -> np.ndarray:
    *batch, c, h, w = x.shape
    c_out = c // (r * r)
    n = len(batch)
    y = x.reshape(*batch, c_out, r, r, h, w)
    y = y.transpose(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return np.ascontiguousarray(y).reshape(*batch, c_out, h * r, w * r)


def _unshuffle(x: np.ndarray, r: int) -> np.ndarray:
    *batch, c, h, w = x.shape
    n = len(batch)
    y = x.reshape(*batch, c, h // r, r, w // r, r)
    y = y.transpose(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return np.ascontiguousarray(y).reshape(*batch, c * r * r, h // r, w // r)


def _check_factor(op: str, name: str, factor: object) -> int:
    if isinstance(factor, bool) or not isinstance(factor, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an int, got {factor!r}")
    if factor <= 0:
        raise ValueError(f"{op}: expects a positive {name}, but got {factor}")
    return int(factor)


def _shape_of(input: TensorLike) -> tuple[int, ...]:
    return tuple(input.shape) if isinstance(input, Tensor) else np.shape(input)


@tensor_args("input")
def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """y[..., c, h*r + i, w*r + j] = x[..., c*r*r + i*r + j, h, w], r = ``upscale_factor``:
    (*, C*r*r, H, W) -> (*, C, H*r, W*r), the sub-pixel convolution's rearrangement.
    Example: ``pixel_shuffle(x, 2)`` turns (1, 4, 3, 3) into (1, 1, 6, 6).
    """
    op = "pixel_shuffle"
    r = _check_factor(op, "upscale_factor", upscale_factor)
    shape = _shape_of(input)
    if len(shape) < 3:
        raise ValueError(f"{op}: expects input to have at least 3 dimensions, but got input with "
                         f"{len(shape)} dimension(s) (shape {shape})")
    if shape[-3] % (r * r):
        raise ValueError(f"{op}: expects its input's 'channel' dimension to be divisible by the "
                         f"square of upscale_factor, but input.size(-3)={shape[-3]} is not "
                         f"divisible by {r * r} (input shape {shape})")
    return PixelShuffle.apply(input, r=r)


@tensor_args("input")
def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """y[..., c*r*r + i*r + j, h, w] = x[..., c, h*r + i, w*r + j], r = ``downscale_factor``:
    (*, C, H*r, W*r) -> (*, C*r*r, H, W), the inverse of ``pixel_shuffle``.
    Example: ``pixel_unshuffle(x, 2)`` turns (1, 1, 6, 6) into (1, 4, 3, 3).
    """
    op = "pixel_unshuffle"
    r = _check_factor(op, "downscale_factor", downscale_factor)
    shape = _shape_of(input)
    if len(shape) < 3:
        raise ValueError(f"{op}: expects input to have at least 3 dimensions, but got input with "
                         f"{len(shape)} dimension(s) (shape {shape})")
    for name, n in (("height", shape[-2]), ("width", shape[-1])):
        if n % r:
            raise ValueError(f"{op}: expects {name} to be divisible by downscale_factor, but "
                             f"input.size({-2 if name == 'height' else -1})={n} is not divisible "
                             f"by {r} (input shape {shape})")
    return PixelShuffle.apply(input, r=r, unshuffle=True)


__all__ = ["interpolate", "pixel_shuffle", "pixel_unshuffle"]
