"""Convolution and pooling as early tinygrad kept them beside the fast path: unfold + matmul.

F.unfold (im2col) lays every F x F window of the (padded) input out as a column, so that

    conv:  y = W (O, C*F*F) @ cols (C*F*F, N_h*N_w) + b
    pool:  y = max (or mean) of each window's column

with N = floor((W + 2P − D(F − 1) − 1) / S) + 1 windows along each axis (the cheat sheet's
N = (W − F + 2P)/S + 1 for D = 1). Autograd differentiates unfold by fold (col2im).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Optional, Union

import gradsheet as gs
from gradsheet.nn import functional as F
from gradsheet.ops import conv as fused_conv
from gradsheet.ops import pool as fused_pool
from gradsheet.ops.conv import conv_output_size
from gradsheet.ops.pool import pool_output_size

from .registry import mirrors

if TYPE_CHECKING:
    from gradsheet._typing import ShapeLike
    from gradsheet.autograd.tensor import Tensor


def _pair(value: ShapeLike) -> tuple[int, ...]:
    return (value, value) if isinstance(value, int) else tuple(value)


def _same_padding(x: Tensor, kernel: tuple[int, int], dilation: tuple[int, ...]) -> Tensor:
    """x zero-padded so that a stride-1 convolution keeps its size: D(F − 1) zeros per axis,
    the odd one after (as torch)."""
    (th, tw) = (d * (f - 1) for f, d in zip(kernel, dilation))
    return F.pad(x, (tw // 2, tw - tw // 2, th // 2, th - th // 2))


@mirrors(fused_conv.Convolution, "the fused node does the same im2col + GEMM, but on a "
         "(C, H, W, N) layout in cache-sized blocks of output rows, and writes dL/dW and dL/dx "
         "as GEMMs on those blocks without keeping the whole unfolded input")
def conv2d(x: Tensor, W: Tensor, b: Optional[Tensor] = None, stride: ShapeLike = 1,
           padding: Union[ShapeLike, str] = 0, dilation: ShapeLike = 1, groups: int = 1
           ) -> Tensor:
    """y[n, o] = b[o] + Σ_{c, i, j} W[o, c, i, j] x_pad[n, c, p S + i D, q S + j D], as
    y = W @ unfold(x) + b, one matmul per group.

    x (N, C, H, W) or (C, H, W), W (O, C/groups, F_h, F_w), b (O,); padding an int, a pair,
    'valid' or 'same'. Fused: ``gradsheet.ops.conv.conv2d`` (``conv.Convolution``).
    """
    if x.ndim == 3:
        return conv2d(x[None], W, b, stride, padding, dilation, groups)[0]
    N, C, H, W_in = x.shape
    C_out, C_g, F_h, F_w = W.shape
    S, D = _pair(stride), _pair(dilation)
    P: tuple[int, ...] = (0, 0)
    if padding == "same":
        x = _same_padding(x, (F_h, F_w), D)
    elif padding != "valid":
        assert not isinstance(padding, str)  # the strings padding takes: 'valid' and 'same'
        P = _pair(padding)
    N_h, N_w = conv_output_size(tuple(x.shape[2:]), (F_h, F_w), P, S, D)
    cols = F.unfold(x, (F_h, F_w), dilation=D, padding=P, stride=S)  # (N, C*F_h*F_w, N_h*N_w)
    cols = cols.reshape(N, groups, C_g * F_h * F_w, N_h * N_w)
    W_g = W.reshape(groups, C_out // groups, C_g * F_h * F_w)
    y = (W_g @ cols).reshape(N, C_out, N_h, N_w)  # (groups, C_out/g, K) @ (N, groups, K, L)
    if b is not None:
        y = y + b.reshape(1, C_out, 1, 1)
    return y


def _windows(x: Tensor, kernel: tuple[int, ...], stride: tuple[int, ...],
             padding: tuple[int, ...], dilation: tuple[int, ...], ceil_mode: bool,
             value: float, beyond: Optional[float] = None) -> tuple[Tensor, list[int]]:
    """(cols (N, C, F_h*F_w, N_h*N_w), (N_h, N_w)): every pooling window of x as a column, the
    input padded with ``value``, and for ``ceil_mode`` past the padding up to the last window
    with ``beyond`` (default ``value``)."""
    N, C, H, W = x.shape
    sizes = [pool_output_size(n, f, p, s, d, ceil_mode)
             for n, f, p, s, d in zip((H, W), kernel, padding, stride, dilation)]
    extra = [max(0, (n - 1) * s + d * (f - 1) + 1 - (w + 2 * p))  # ceil_mode's last window
             for n, w, f, p, s, d in zip(sizes, (H, W), kernel, padding, stride, dilation)]
    (P_h, P_w), (E_h, E_w) = padding, extra
    x_pad = F.pad(x, (P_w, P_w, P_h, P_h), value=value)
    x_pad = F.pad(x_pad, (0, E_w, 0, E_h), value=value if beyond is None else beyond)
    cols = F.unfold(x_pad, kernel, dilation=dilation, stride=stride)
    return cols.reshape(N, C, kernel[0] * kernel[1], -1), sizes


@mirrors(fused_pool.MaxPool, "the fused node takes the maximum of F*F strided views of the "
         "padded input, one whole-array np.maximum per kernel offset, and never copies the "
         "windows out as columns")
def max_pool2d(x: Tensor, kernel_size: ShapeLike, stride: Optional[ShapeLike] = None,
               padding: ShapeLike = 0, dilation: ShapeLike = 1, ceil_mode: bool = False
               ) -> Tensor:
    """y[n, c, p, q] = max over the F x F window of x_pad (padded with −∞), via unfold.

    The gradient goes to each window's maximum (the first one on ties, as torch).
    Fused: ``gradsheet.ops.pool.max_pool2d`` (``pool.MaxPool``).
    """
    if x.ndim == 3:
        return max_pool2d(x[None], kernel_size, stride, padding, dilation, ceil_mode)[0]
    kernel = _pair(kernel_size)
    stride = kernel if stride is None else _pair(stride)
    cols, (N_h, N_w) = _windows(x, kernel, stride, _pair(padding), _pair(dilation), ceil_mode,
                                -math.inf)
    y = cols.max(dim=2).values
    return y.reshape(x.shape[0], x.shape[1], N_h, N_w)


@mirrors(fused_pool.AvgPool, "the fused node sums F*F strided views of the padded input in "
         "place and scales once, never copying the windows out as columns")
def avg_pool2d(x: Tensor, kernel_size: ShapeLike, stride: Optional[ShapeLike] = None,
               padding: ShapeLike = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: Optional[int] = None) -> Tensor:
    """y[n, c, p, q] = (1/d) Σ over the F x F window of x_pad (zero padded), via unfold.

    d counts the window's input positions, and its padding too when ``count_include_pad``
    (never ceil_mode's positions past the padding), or is ``divisor_override``.
    Fused: ``gradsheet.ops.pool.avg_pool2d`` (``pool.AvgPool``).
    """
    if x.ndim == 3:
        return avg_pool2d(x[None], kernel_size, stride, padding, ceil_mode, count_include_pad,
                          divisor_override)[0]
    kernel = _pair(kernel_size)
    stride = kernel if stride is None else _pair(stride)
    padding = _pair(padding)
    cols, (N_h, N_w) = _windows(x, kernel, stride, padding, (1, 1), ceil_mode, 0.0)
    total = cols.sum(dim=2)
    d: Union[int, Tensor]
    if divisor_override:
        d = divisor_override
    else:  # count the positions that take part: 1 on the input (and padding), 0 beyond
        ones = gs.ones(1, 1, *x.shape[2:], dtype=x.dtype)
        d = _windows(ones, kernel, stride, padding, (1, 1), ceil_mode,
                     1.0 if count_include_pad else 0.0, beyond=0.0)[0].sum(dim=2)
    y = total / d
    return y.reshape(x.shape[0], x.shape[1], N_h, N_w)
