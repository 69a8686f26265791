"""Convolutions (conv1d, conv2d, conv_transpose2d), one fused node each, and the size formula.

    y[n, o, p, q] = b[o] + sum over c in o's group, i < kh, j < kw of
                    w[o, c, i, j] * xpad[n, c, p*sh + i*dh, q*sw + j*dw]

computed as im2col and one GEMM per group (see ``im2col``), a cache-sized block of
output rows (a slice of the OH*OW*N positions) at a time:

    y (O, OH*OW*N) = W (O, C/groups*kh*kw) @ col (C/groups*kh*kw, OH*OW*N)

With g = dL/dy as a (O, OH*OW*N) matrix:

    dL/dW = g @ col^T,   dL/db = sum of g over n, p, q,   dL/dx = col2im(W^T @ g)

The transposed convolution is the adjoint of the convolution in its input:

    y = col2im(W^T @ x),   dL/dx = W @ im2col(g),   dL/dW = x @ im2col(g)^T

Output size (``ops.geometry``, shared with the pools, unfold and the layers): the cheat
sheet's N = (W - F + 2P)/S + 1, generalised by PyTorch to

    N = floor((W + 2P - D(F - 1) - 1) / S) + 1                 (D: dilation)
    transposed: N = (W - 1) S - 2P + D(F - 1) + output_padding + 1

Shapes: conv2d input (N, C, H, W) or (C, H, W), weight (O, C/groups, kh, kw), bias (O,),
output (N, O, OH, OW); conv1d the same without H; conv_transpose2d weight
(C, O/groups, kh, kw). Outputs and input gradients are (N, C, H, W) views of
(C, H, W, N) arrays, the layout the next convolution reads fastest.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Optional, Union

import numpy as np

from ._checks import tensor_args
from ..autograd.function import Function
from .geometry import conv_output_size  # noqa: F401 (re-exported: nn.conv_output_size)
from .geometry import ints, is_int, output_size, transposed_output_size
from .im2col import col2im_add, column_blocks, im2col, padded_chwn, pool

if TYPE_CHECKING:
    from .._typing import ShapeLike, Tensor


class _GeometryFields(NamedTuple):
    x_shape: tuple[int, ...]
    weight_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pads: tuple[int, int, int, int]  # (top, bottom, left, right)
    out_size: tuple[int, int]
    groups: int


class Geometry(_GeometryFields):
    """The checked arguments of one convolution, in the 2-D form forward works in (1-D and
    unbatched calls are viewed as 2-D with H = 1 and N = 1)."""

    __slots__ = ()


def _paddings(padding: Union[ShapeLike, str], n: int, kernel: tuple[int, ...],
              stride: tuple[int, ...], dilation: tuple[int, ...], op: object
              ) -> tuple[tuple[int, int], ...]:
    """(before, after) zero padding per spatial dim, from an int, a tuple, 'valid' or 'same'."""
    if not isinstance(padding, str):
        return tuple((p, p) for p in ints(op, "padding", padding, n, 0))
    if padding == "valid":
        return ((0, 0),) * n
    if padding != "same":
        raise ValueError(f"{op}: invalid padding string {padding!r}, should be one of "
                         "'same', 'valid'")
    if any(s != 1 for s in stride):
        raise ValueError(f"{op}: padding='same' is not supported for strided convolutions "
                         f"(stride={stride})")
    # total D(F-1) keeps N = W; when it is odd the extra zero goes after, as in PyTorch
    totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return tuple((t // 2, t - t // 2) for t in totals)


def _check_rank(op: object, x: Tensor, weight: Tensor, spatial: int, weight_dims: str) -> None:
    if weight.ndim != spatial + 2:
        raise ValueError(f"{op}: weight of shape {weight.shape} must have {spatial + 2} "
                         f"dimensions {weight_dims}")
    if x.ndim not in (spatial + 1, spatial + 2):
        raise ValueError(f"{op}: expected a {spatial + 1}-D (unbatched) or {spatial + 2}-D "
                         f"(batched) input, got shape {x.shape}")
    if x.dtype != weight.dtype:
        raise TypeError(f"{op}: input dtype {x.dtype} and weight dtype {weight.dtype} differ")


def _check_groups(op: object, groups: int, channels: int, what: str) -> None:
    if not is_int(groups) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive integer, got {groups!r}")
    if channels % groups:
        raise ValueError(f"{op}: {what} {channels} is not divisible by groups={groups}")


def _check_bias(op: object, bias: Optional[Tensor], channels: int, weight: Tensor) -> None:
    if bias is not None and tuple(bias.shape) != (channels,):
        raise ValueError(f"{op}: bias of shape {tuple(bias.shape)} does not match the "
                         f"{channels} output channels of weight {tuple(weight.shape)}")


def _as_2d(x_shape: tuple[int, ...], spatial: int) -> tuple[int, ...]:
    """The (N, C, H, W) shape an input of ``x_shape`` is viewed as."""
    shape = tuple(x_shape) if len(x_shape) == spatial + 2 else (1,) + tuple(x_shape)
    return shape if spatial == 2 else shape[:2] + (1,) + shape[2:]


_SIZE = "N = floor((W + 2P - D(F-1) - 1)/S) + 1"
_SIZE_T = "N = (W - 1)S - 2P + D(F-1) + output_padding + 1"


def _too_small(op: object, x_shape: tuple[int, ...], sizes: tuple[int, ...], kernel: tuple[int, ...],
               pads: tuple[tuple[int, int], ...], stride: tuple[int, ...], dilation: tuple[int, ...],
               n_out: tuple[int, ...], formula: str = _SIZE) -> ValueError:
    names = ("height", "width")[-len(sizes):]
    bad = [f"{name}: W={w}, F={f}, P={p if p[0] != p[1] else p[0]}, S={s}, D={d} give N={n}"
           for name, w, f, p, s, d, n in zip(names, sizes, kernel, pads, stride, dilation, n_out)
           if n < 1]
    return ValueError(f"{op}: input of shape {tuple(x_shape)} is too small: {formula} < 1 for "
                      + "; ".join(bad))


def conv_geometry(op: object, x: Tensor, weight: Tensor, bias: Optional[Tensor],
                  stride: ShapeLike, padding: Union[ShapeLike, str], dilation: ShapeLike, groups: int,
                  spatial: int) -> Geometry:
    """Check a convolution's arguments (raising errors that name ``op`` and the values);
    returns its Geometry."""
    x_shape, w_shape = tuple(x.shape), tuple(weight.shape)
    _check_rank(op, x, weight, spatial, "(out_channels, in_channels/groups, *kernel_size)")
    out_channels, channels = w_shape[0], x_shape[-spatial - 1]
    _check_groups(op, groups, out_channels, "out_channels (weight.shape[0]) of weight "
                  f"{w_shape}:")
    if channels != w_shape[1] * groups:
        raise ValueError(f"{op}: input of shape {x_shape} has {channels} channels, but weight "
                         f"of shape {w_shape} with groups={groups} expects "
                         f"{w_shape[1] * groups} (in_channels = weight.shape[1] * groups)")
    _check_bias(op, bias, out_channels, weight)
    kernel = w_shape[2:]
    stride = ints(op, "stride", stride, spatial, 1)
    dilation = ints(op, "dilation", dilation, spatial, 1)
    pads = _paddings(padding, spatial, kernel, stride, dilation, op)
    sizes = x_shape[-spatial:]
    n_out = tuple(output_size(w, f, p, s, d)
                  for w, f, p, s, d in zip(sizes, kernel, pads, stride, dilation))
    if any(n < 1 for n in n_out):
        raise _too_small(op, x_shape, sizes, kernel, pads, stride, dilation, n_out)
    return _geometry(x_shape, w_shape, out_channels, n_out, kernel, stride, dilation, pads,
                     groups, spatial)


def _geometry(x_shape: tuple[int, ...], w_shape: tuple[int, ...], out_channels: int,
              n_out: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
              dilation: tuple[int, ...], pads: tuple[tuple[int, int], ...], groups: int,
              spatial: int) -> Geometry:
    batch = x_shape[:1] if len(x_shape) == spatial + 2 else ()
    out_shape = batch + (out_channels,) + n_out
    if spatial == 1:  # viewed as 2-D with a height of 1
        kernel, stride, dilation, pads, n_out = ((1,) + kernel, (1,) + stride, (1,) + dilation,
                                                 ((0, 0),) + pads, (1,) + n_out)
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, n_out  # 2-D now
    (top, bottom), (left, right) = pads
    return Geometry(_as_2d(x_shape, spatial), w_shape[:2] + kernel, out_shape, (kh, kw), (sh, sw),
                    (dh, dw), (top, bottom, left, right), (oh, ow), groups)


def conv_transpose_geometry(op: object, x: Tensor, weight: Tensor, bias: Optional[Tensor],
                            stride: ShapeLike, padding: ShapeLike, output_padding: ShapeLike,
                            groups: int, dilation: ShapeLike, spatial: int) -> Geometry:
    """Check a transposed convolution's arguments; returns its Geometry (out_size is the
    output's spatial size)."""
    x_shape, w_shape = tuple(x.shape), tuple(weight.shape)
    _check_rank(op, x, weight, spatial, "(in_channels, out_channels/groups, *kernel_size)")
    in_channels, channels = w_shape[0], x_shape[-spatial - 1]
    _check_groups(op, groups, in_channels, "in_channels (weight.shape[0]) of weight "
                  f"{w_shape}:")
    if channels != in_channels:
        raise ValueError(f"{op}: input of shape {x_shape} has {channels} channels, but weight "
                         f"of shape {w_shape} expects {in_channels} (in_channels = "
                         "weight.shape[0])")
    out_channels = w_shape[1] * groups
    _check_bias(op, bias, out_channels, weight)
    kernel = w_shape[2:]
    stride = ints(op, "stride", stride, spatial, 1)
    dilation = ints(op, "dilation", dilation, spatial, 1)
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding={padding!r} is not supported for transposed "
                         "convolutions; give an int or a tuple of ints")
    pads = _paddings(padding, spatial, kernel, stride, dilation, op)
    extra = ints(op, "output_padding", output_padding, spatial, 0)
    if any(e >= s and e >= d for e, s, d in zip(extra, stride, dilation)):
        raise ValueError(f"{op}: output_padding={extra} must be smaller than either "
                         f"stride={stride} or dilation={dilation}")
    sizes = x_shape[-spatial:]
    n_out = tuple(transposed_output_size(w, f, p, s, d, e) for w, f, p, s, d, e
                  in zip(sizes, kernel, pads, stride, dilation, extra))
    if any(n < 1 for n in n_out):
        raise _too_small(op, x_shape, sizes, kernel, pads, stride, dilation, n_out, _SIZE_T)
    return _geometry(x_shape, w_shape, out_channels, n_out, kernel, stride, dilation, pads,
                     groups, spatial)


def _as_nchw(chwn: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The (C, H, W, N) array ``chwn`` seen as (N, C, H, W), reshaped to ``shape`` (a view)."""
    return chwn.transpose(3, 0, 1, 2).reshape(shape)


def _weight_grad(cols: np.ndarray, g: np.ndarray, groups: int) -> np.ndarray:
    """sum over positions of g (O, P) times cols (R, P), as (O, R) = g @ cols^T per group,
    returned transposed, (groups, R/groups, O/groups).

    Computed as cols @ g^T: OpenBLAS runs the tall-times-thin product on these
    shapes (long reduction over P, small O) about 1.5x faster than g @ cols^T.
    """
    cols3 = cols.reshape(groups, -1, cols.shape[-1])
    return np.matmul(cols3, g.transpose(0, 2, 1))


class Convolution(Function):
    """y = conv(x, W) + b as im2col + one GEMM per group (the module docstring has the math),
    a block of output rows at a time so that each block's columns stay in the CPU cache
    (``column_blocks``); backward rebuilds each block's columns from the saved padded input
    rather than keeping the whole matrix, kh*kw times the input's size.

    Only the gradients that are needed are computed: the padded input is kept for
    backward only when W needs a gradient, and dL/dx (a GEMM and a col2im) is
    skipped for a network's first layer, whose input needs none.
    """

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: Optional[np.ndarray],
                geometry: Geometry) -> np.ndarray:
        geo = self.geo = geometry
        out_channels, _, kh, kw = geo.weight_shape
        xpad, pad_key = padded_chwn(x.reshape(geo.x_shape), geo.pads)
        rows, n = xpad.shape[0] * kh * kw, xpad.shape[3]
        w3 = weight.reshape(geo.groups, out_channels // geo.groups, rows // geo.groups)
        y = np.empty((out_channels,) + geo.out_size + (n,), x.dtype)
        y3 = y.reshape(w3.shape[:2] + (-1,))
        for cols, first, count, span in column_blocks(rows, geo.out_size, n, x.dtype):
            im2col(xpad, geo.kernel, geo.stride, geo.dilation, (count, geo.out_size[1]), cols,
                   first)
            np.matmul(w3, cols.reshape(geo.groups, -1, cols.shape[1]), out=y3[:, :, span])
        if bias is not None:
            y += bias[:, None, None, None]
        if self.needs_grad(1):  # dL/dW rebuilds the columns from xpad
            self.xpad = xpad  # a pooled one goes back with the lease, when this node is freed
            self.xpad_lease = pool.lease(pad_key, xpad) if pad_key is not None else None
        elif pad_key is not None:
            pool.give(pad_key, xpad)
        self.w3 = w3
        self.shapes = x.shape, weight.shape
        return _as_nchw(y, geo.out_shape)

    def backward(self, grad: np.ndarray
                 ) -> tuple[Optional[np.ndarray], Optional[np.ndarray], Optional[np.ndarray], None]:
        geo = self.geo
        n, channels, h, w = geo.x_shape
        out_channels, (oh, ow) = geo.weight_shape[0], geo.out_size
        g = grad.reshape(n, out_channels, oh, ow).transpose(1, 2, 3, 0).reshape(out_channels, -1)
        x_shape, weight_shape = self.shapes
        grad_b = np.add.reduce(g, axis=1) if self.needs_grad(2) else None
        need_w, need_x = self.needs_grad(1), self.needs_grad(0)
        if not (need_w or need_x):
            return None, None, grad_b, None
        w3 = self.w3
        g3 = g.reshape(w3.shape[:2] + (-1,))
        if need_w:
            grad_w = np.zeros((w3.shape[0], w3.shape[2], w3.shape[1]), g.dtype)
        if need_x:
            dx = np.zeros((channels, h, w, n), g.dtype)
        for cols, first, count, span in column_blocks(w3.shape[0] * w3.shape[2], geo.out_size,
                                                      n, g.dtype):
            if need_w:
                im2col(self.xpad, geo.kernel, geo.stride, geo.dilation, (count, ow), cols, first)
                grad_w += _weight_grad(cols, g3[:, :, span], geo.groups)
            if need_x:  # cols now holds dL/dcols of the block
                np.matmul(w3.transpose(0, 2, 1), g3[:, :, span],
                          out=cols.reshape(geo.groups, -1, cols.shape[1]))
                col2im_add(cols, dx, geo.kernel, geo.stride, geo.dilation, geo.pads,
                           (count, ow), first)
        weight_grad = grad_w.transpose(0, 2, 1).reshape(weight_shape) if need_w else None
        grad_x = _as_nchw(dx, x_shape) if need_x else None
        return grad_x, weight_grad, grad_b, None


class ConvolutionTranspose(Function):
    """y = conv_transpose(x, W) + b = col2im(W^T @ x) + b, one GEMM per group (the module
    docstring has the math), a block of input rows at a time as in Convolution; backward's
    dL/dx and dL/dW share each block's columns im2col(dL/dy)."""

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: Optional[np.ndarray],
                geometry: Geometry) -> np.ndarray:
        geo = self.geo = geometry
        in_channels, group_out, kh, kw = geo.weight_shape
        groups = geo.groups
        n, _, h, w = geo.x_shape
        x3 = x.reshape(geo.x_shape).transpose(1, 2, 3, 0).reshape(groups, -1, h * w * n)
        w3 = weight.reshape(groups, in_channels // groups, group_out * kh * kw)
        y = np.zeros((group_out * groups,) + geo.out_size + (n,), x.dtype)
        for cols, first, count, span in column_blocks(group_out * groups * kh * kw, (h, w), n,
                                                      x.dtype):
            np.matmul(w3.transpose(0, 2, 1), x3[:, :, span],
                      out=cols.reshape(groups, -1, cols.shape[1]))
            col2im_add(cols, y, geo.kernel, geo.stride, geo.dilation, geo.pads, (count, w), first)
        if bias is not None:
            y += bias[:, None, None, None]
        self.w3 = w3
        if self.needs_grad(1):
            self.x3 = x3
        self.shapes = x.shape, weight.shape
        return _as_nchw(y, geo.out_shape)

    def backward(self, grad: np.ndarray
                 ) -> tuple[Optional[np.ndarray], Optional[np.ndarray], Optional[np.ndarray], None]:
        geo = self.geo
        n, in_channels, h, w = geo.x_shape
        _, group_out, kh, kw = geo.weight_shape
        out_channels = group_out * geo.groups
        g4 = grad.reshape((n, out_channels) + geo.out_size)
        x_shape, weight_shape = self.shapes
        grad_b = g4.sum(axis=(0, 2, 3)) if self.needs_grad(2) else None
        need_x, need_w = self.needs_grad(0), self.needs_grad(1)
        if not (need_x or need_w):
            return None, None, grad_b, None
        gpad, pad_key = padded_chwn(g4, geo.pads)
        w3 = self.w3
        if need_x:
            dx = np.empty((in_channels, h * w * n), grad.dtype)
            dx3 = dx.reshape(w3.shape[:2] + (-1,))
        if need_w:
            grad_w = np.zeros((w3.shape[0], w3.shape[2], w3.shape[1]), grad.dtype)
        for cols, first, count, span in column_blocks(out_channels * kh * kw, (h, w), n,
                                                      grad.dtype):
            im2col(gpad, geo.kernel, geo.stride, geo.dilation, (count, w), cols, first)
            if need_x:
                np.matmul(w3, cols.reshape(geo.groups, -1, cols.shape[1]), out=dx3[:, :, span])
            if need_w:
                grad_w += _weight_grad(cols, self.x3[:, :, span], geo.groups)
        if pad_key is not None:
            pool.give(pad_key, gpad)
        grad_x = _as_nchw(dx.reshape(in_channels, h, w, n), x_shape) if need_x else None
        weight_grad = grad_w.transpose(0, 2, 1).reshape(weight_shape) if need_w else None
        return grad_x, weight_grad, grad_b, None


class EmptyBatch(Function):
    """A convolution of an input with no elements (a batch of 0): y has no elements either,
    and every gradient is 0."""

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: Optional[np.ndarray],
                shape: tuple[int, ...]) -> np.ndarray:
        self.shapes = (x.shape, weight.shape, None if bias is None else bias.shape)
        return np.zeros(shape, dtype=x.dtype)

    def backward(self, grad: np.ndarray) -> tuple[Optional[np.ndarray], ...]:
        return tuple(None if s is None else np.zeros(s, grad.dtype) for s in self.shapes) + (None,)


def convolution(input: Tensor, weight: Tensor, bias: Optional[Tensor], stride: ShapeLike,
                padding: Union[ShapeLike, str], dilation: ShapeLike, groups: int, spatial: int,
                op: object) -> Tensor:
    """The convolution behind conv1d/conv2d and the Conv layers; ``op`` (a name or the
    layer itself) is what error messages name."""
    geometry = conv_geometry(op, input, weight, bias, stride, padding, dilation, groups, spatial)
    if input.numel() == 0:
        return EmptyBatch.apply(input, weight, bias, geometry.out_shape)
    return Convolution.apply(input, weight, bias, geometry)


def convolution_transpose(input: Tensor, weight: Tensor, bias: Optional[Tensor],
                          stride: ShapeLike, padding: ShapeLike, output_padding: ShapeLike,
                          groups: int, dilation: ShapeLike, spatial: int, op: object) -> Tensor:
    """The transposed convolution behind conv_transpose2d and ConvTranspose2d."""
    geometry = conv_transpose_geometry(op, input, weight, bias, stride, padding,
                                       output_padding, groups, dilation, spatial)
    if input.numel() == 0:
        return EmptyBatch.apply(input, weight, bias, geometry.out_shape)
    return ConvolutionTranspose.apply(input, weight, bias, geometry)


@tensor_args("input", "weight", "bias")
def conv2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: ShapeLike = 1,
           padding: Union[ShapeLike, str] = 0, dilation: ShapeLike = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as in PyTorch) of (N, C, H, W) or (C, H, W) input
    with weight (O, C/groups, kh, kw); padding is an int, a pair, 'valid' or 'same'.

    Example: ``conv2d(gs.ones(1, 1, 3, 3), gs.ones(1, 1, 2, 2))`` is 4 everywhere, shape
    (1, 1, 2, 2).
    """
    return convolution(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


@tensor_args("input", "weight", "bias")
def conv1d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: ShapeLike = 1,
           padding: Union[ShapeLike, str] = 0, dilation: ShapeLike = 1, groups: int = 1) -> Tensor:
    """1-D convolution of (N, C, L) or (C, L) input with weight (O, C/groups, k)."""
    return convolution(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


@tensor_args("input", "weight", "bias")
def conv_transpose2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None,
                     stride: ShapeLike = 1, padding: ShapeLike = 0,
                     output_padding: ShapeLike = 0, groups: int = 1,
                     dilation: ShapeLike = 1) -> Tensor:
    """Transposed 2-D convolution (the gradient of conv2d with respect to its input) of
    (N, C, H, W) input with weight (C, O/groups, kh, kw): each input pixel scatters a
    weighted copy of the kernel into the output, S apart.

    Example: a 2x2 input of ones with a 2x2 kernel of ones and stride 2 gives a 4x4
    output of ones.
    """
    return convolution_transpose(input, weight, bias, stride, padding, output_padding, groups,
                                 dilation, 2, "conv_transpose2d")


@tensor_args("input", "weight", "bias")
def conv_transpose1d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None,
                     stride: ShapeLike = 1, padding: ShapeLike = 0,
                     output_padding: ShapeLike = 0, groups: int = 1,
                     dilation: ShapeLike = 1) -> Tensor:
    """Transposed 1-D convolution (the gradient of conv1d with respect to its input) of
    (N, C, L) or (C, L) input with weight (C, O/groups, k); output length
    (L - 1) S - 2P + D(k - 1) + output_padding + 1. Computed as conv_transpose2d over a
    height of 1.
    """
    return convolution_transpose(input, weight, bias, stride, padding, output_padding, groups,
                                 dilation, 1, "conv_transpose1d")
