"""F.unfold (im2col) and F.fold (col2im): sliding blocks of an image as columns, and back.

With kernel kh x kw, stride (sh, sw), padding (ph, pw), dilation (dh, dw) and L = OH * OW blocks,

    unfold: cols[n, (c, i, j), oh*OW + ow] = xpad[n, c, oh*sh + i*dh, ow*sw + j*dw]
    fold:   y[n, c, h, w] = the sum of cols[n, (c, i, j), l] over the blocks l and offsets
            (i, j) that land on (h, w) (then the padding is cut off)

fold is unfold's adjoint, so each op's backward is the other. Both run on ``im2col``'s
(C, H, W, N) layout with its strided copy and per-offset strided adds (no np.add.at).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Union, cast

import numpy as np

from ._checks import tensor_args
from . import geometry
from .geometry import ints
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from .im2col import col2im_add, im2col
from .shape import unsqueeze

if TYPE_CHECKING:
    from .._typing import ShapeLike

    # (kernel, stride, dilation, padding, blocks (OH, OW)): pairs of ints, as _geometry gives
    _Geometry = tuple[tuple[int, int], ...]


def _padded_chwn(x: np.ndarray, ph: int, pw: int) -> np.ndarray:
    """x (N, C, H, W) as a zero-padded (C, H + 2ph, W + 2pw, N) array."""
    n, c, h, w = x.shape
    out = np.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=x.dtype)
    out[:, ph:ph + h, pw:pw + w] = x.transpose(1, 2, 3, 0)
    return out


def _unfold(x: np.ndarray, geometry: _Geometry) -> np.ndarray:
    """cols (N, C*kh*kw, L) of x (N, C, H, W)."""
    kernel, stride, dilation, (ph, pw), (oh, ow) = geometry
    n, c = x.shape[:2]
    rows = c * kernel[0] * kernel[1]
    col = np.empty((rows, oh * ow * n), dtype=x.dtype)
    im2col(_padded_chwn(x, ph, pw), kernel, stride, dilation, (oh, ow), col)
    return np.ascontiguousarray(col.reshape(rows, oh * ow, n).transpose(2, 0, 1))


def _fold(cols: np.ndarray, image_size: tuple[int, ...], channels: int, geometry: _Geometry
          ) -> np.ndarray:
    """y (N, C, H, W) from cols (N, C*kh*kw, L): the blocks' values summed where they overlap."""
    kernel, stride, dilation, (ph, pw), out_size = geometry
    n, rows, blocks = cols.shape
    dx = np.zeros((channels,) + tuple(image_size) + (n,), dtype=cols.dtype)
    dcol = np.ascontiguousarray(cols.transpose(1, 2, 0)).reshape(rows, blocks * n)
    col2im_add(dcol, dx, kernel, stride, dilation, (ph, ph, pw, pw), out_size)
    return np.ascontiguousarray(dx.transpose(3, 0, 1, 2))


class Unfold(Function):
    """cols[n, (c, i, j), l] = xpad[n, c, oh*sh + i*dh, ow*sw + j*dw] (im2col);
    dL/dx = fold(dL/dcols), the blocks' gradients summed where they overlap.

    Shapes: x (N, C, H, W) -> cols (N, C*kh*kw, L).
    """

    def forward(self, x: np.ndarray, geometry: _Geometry = ()) -> np.ndarray:
        self.geometry, self.shape = geometry, x.shape
        return _unfold(x, geometry)

    def backward(self, g: np.ndarray) -> np.ndarray:
        _, c, h, w = self.shape
        return _fold(g, (h, w), c, self.geometry)


class Fold(Function):
    """y = the sum of the blocks cols[n, (c, i, j), l] placed at their positions (col2im);
    dL/dcols = unfold(dL/dy).

    Shapes: cols (N, C*kh*kw, L) -> y (N, C, H, W).
    """

    def forward(self, cols: np.ndarray, image_size: tuple[int, ...] = (), channels: int = 0,
                geometry: _Geometry = ()) -> np.ndarray:
        self.geometry = geometry
        return _fold(cols, image_size, channels, geometry)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return _unfold(g, self.geometry)


def _geometry(op: str, image_size: tuple[int, ...], kernel_size: ShapeLike, dilation: ShapeLike,
              padding: ShapeLike, stride: ShapeLike, checked_for: str) -> _Geometry:
    kernel = ints(op, "kernel_size", kernel_size, 2, 1)
    dilation = ints(op, "dilation", dilation, 2, 1)
    padding = ints(op, "padding", padding, 2, 0)
    stride = ints(op, "stride", stride, 2, 1)
    blocks = tuple(geometry.output_size(n, k, p, s, d)
                   for n, k, d, p, s in zip(image_size, kernel, dilation, padding, stride))
    if min(blocks) < 1:
        raise ValueError(f"{op}: given {checked_for} {tuple(image_size)}, kernel_size={kernel}, "
                         f"dilation={dilation}, padding={padding}, stride={stride}, the number "
                         f"of sliding blocks is {blocks[0]} x {blocks[1]}; both must be at "
                         "least one")
    # ints(..., 2) gives 2-tuples, and blocks has one entry per axis of the 2-D image_size
    return cast("_Geometry", (kernel, stride, dilation, padding, blocks))


@tensor_args("input")
def unfold(input: Tensor, kernel_size: ShapeLike, dilation: ShapeLike = 1,
           padding: ShapeLike = 0, stride: ShapeLike = 1) -> Tensor:
    """cols[n, (c, i, j), l] = x[n, c, oh*sh + i*dh - ph, ow*sw + j*dw - pw] (zero outside):
    each sliding kh x kw block of the image as a column (im2col).

    Input (N, C, H, W) or unbatched (C, H, W) -> (N, C*kh*kw, L) (or (C*kh*kw, L)), with
    L = OH * OW blocks, OH = floor((H + 2ph - dh(kh - 1) - 1) / sh) + 1 (OW likewise).
    Example: ``unfold(x, 3, padding=1)`` of (1, 2, 5, 5) is (1, 18, 25).
    """
    op = "unfold"
    shape = tuple(input.shape) if isinstance(input, Tensor) else np.shape(input)
    if len(shape) not in (3, 4) or 0 in shape[-3:]:
        raise ValueError(f"{op}: expected a 3D or 4D (batch mode) input with possibly 0 batch "
                         f"size and other non-zero dimensions, but got shape {shape}")
    geometry = _geometry(op, shape[-2:], kernel_size, dilation, padding, stride,
                         "input with spatial size")
    if len(shape) == 3:
        return Unfold.apply(_batched(input), geometry=geometry)[0]
    return Unfold.apply(input, geometry=geometry)


def _batched(input: Union[Tensor, np.ndarray]) -> Tensor:
    return unsqueeze(input if isinstance(input, Tensor) else Tensor._wrap(np.asarray(input)), 0)


@tensor_args("input")
def fold(input: Tensor, output_size: ShapeLike, kernel_size: ShapeLike, dilation: ShapeLike = 1,
         padding: ShapeLike = 0, stride: ShapeLike = 1) -> Tensor:
    """y[n, c, h, w] = sum of cols[n, (c, i, j), l] over the blocks l and kernel offsets (i, j)
    that cover (h, w): the columns put back into an image, overlaps summed (col2im, the
    adjoint of ``unfold``).

    Input (N, C*kh*kw, L) or unbatched (C*kh*kw, L) -> (N, C, H, W) with (H, W) =
    ``output_size``; L must be the number of blocks unfold would give for that size.
    Example: ``fold(unfold(x, 2, stride=2), x.shape[-2:], 2, stride=2)`` is x.
    """
    op = "fold"
    shape = tuple(input.shape) if isinstance(input, Tensor) else np.shape(input)
    if len(shape) not in (2, 3) or 0 in shape[-2:]:
        raise ValueError(f"{op}: expected a 2D or 3D (batch mode) input with possibly 0 batch "
                         f"size and non-zero dimensions, but got shape {shape}")
    image_size = ints(op, "output_size", output_size, 2)
    kernel = ints(op, "kernel_size", kernel_size, 2, 1)
    rows, blocks = shape[-2:]
    if rows % (kernel[0] * kernel[1]):
        raise ValueError(f"{op}: expected size of input's dimension {len(shape) - 2} to be "
                         f"divisible by the product of kernel_size, but got input.size("
                         f"{len(shape) - 2})={rows} and kernel_size={kernel} (input shape "
                         f"{shape})")
    geometry = _geometry(op, image_size, kernel, dilation, padding, stride, "output_size")
    oh, ow = geometry[-1]
    if oh * ow != blocks:
        raise ValueError(f"{op}: given output_size={image_size}, kernel_size={kernel}, "
                         f"dilation={geometry[2]}, padding={geometry[3]}, stride={geometry[1]}, "
                         f"expected size of input's dimension {len(shape) - 1} to match the "
                         f"calculated number of sliding blocks {oh} * {ow} = {oh * ow}, but got "
                         f"input.size({len(shape) - 1})={blocks}")
    channels = rows // (kernel[0] * kernel[1])
    if len(shape) == 2:
        return Fold.apply(_batched(input), image_size=image_size, channels=channels,
                          geometry=geometry)[0]
    return Fold.apply(input, image_size=image_size, channels=channels, geometry=geometry)


__all__ = ["fold", "unfold"]
