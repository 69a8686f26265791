"""Pooling layers: the max or the mean of each F x F window, slid with stride S.

Each layer holds PyTorch's arguments and calls one function of ``gradsheet.ops.pool``, where
the formula lives. The output size per axis is the conv formula
N = floor((W + 2P - D(F - 1) - 1) / S) + 1 (ceil with ``ceil_mode``); an input too small
for one window raises ValueError naming the layer, W, F, P, S and N.

With ``return_indices=True`` the max pools also return each max's row-major position in its
input plane (torch's indices), which MaxUnpool1d / MaxUnpool2d take to put the maxima back.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional, Union

from ..ops import pool, unpool
from .module import Module
from .modules.utils import _ntuple, _single

if TYPE_CHECKING:
    from .._typing import ShapeLike, Tensor


class _MaxPool(Module):
    _spatial = 2

    def __init__(self, kernel_size: ShapeLike, stride: Optional[ShapeLike] = None,
                 padding: ShapeLike = 0, dilation: ShapeLike = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Union[Tensor, tuple[Tensor, Tensor]]:
        """The pooled input, and with ``return_indices`` the maxima's positions too."""
        return pool.max_pool(type(self).__name__, self._spatial, input, self.kernel_size,
                              self.stride, self.padding, self.dilation, self.ceil_mode,
                              self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPool):
    """y[n, c, i, j] = max over a, b < F of x[n, c, i*S + a*D - P, j*S + b*D - P]
    (padding counts as -inf). Stride defaults to the kernel size.

    Shapes: (N, C, H, W) -> (N, C, H_out, W_out), or without N.
    Example: ``MaxPool2d(2)`` halves 28 x 28 feature maps to 14 x 14.
    """


class MaxPool1d(_MaxPool):
    """y[n, c, i] = max over a < F of x[n, c, i*S + a*D - P]. Shapes: (N, C, L) -> (N, C, L_out)."""

    _spatial = 1


class AvgPool2d(Module):
    """y[n, c, i, j] = (1/d) sum over a, b < F of x[n, c, i*S + a - P, j*S + b - P]
    (padding counts as 0), d = F*F, or the count of real input positions in the window when
    ``count_include_pad=False``, or ``divisor_override``.

    Shapes: (N, C, H, W) -> (N, C, H_out, W_out), or without N.
    """

    _spatial = 2

    def __init__(self, kernel_size: ShapeLike, stride: Optional[ShapeLike] = None,
                 padding: ShapeLike = 0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: Optional[int] = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return pool.avg_pool("AvgPool2d", 2, input, self.kernel_size, self.stride, self.padding,
                              self.ceil_mode, self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(Module):
    """y[n, c, i] = (1/d) sum over a < F of x[n, c, i*S + a - P] (see AvgPool2d for d).

    Shapes: (N, C, L) -> (N, C, L_out), or without N.
    """

    _spatial = 1

    def __init__(self, kernel_size: ShapeLike, stride: Optional[ShapeLike] = None,
                 padding: ShapeLike = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return pool.avg_pool("AvgPool1d", 1, input, self.kernel_size, self.stride, self.padding,
                              self.ceil_mode, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptiveAvgPool(Module):
    _spatial = 2

    def __init__(self, output_size: Union[int, Sequence[Optional[int]], None]) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return pool.adaptive_avg_pool(type(self).__name__, self._spatial, input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptiveAvgPool):
    """The mean over PyTorch's adaptive windows (rows floor(i H / OH) .. ceil((i+1) H / OH) - 1,
    columns alike), giving an output_size map whatever the input's H x W.
    ``AdaptiveAvgPool2d(1)`` is global average pooling.

    Shapes: (N, C, H, W) -> (N, C, OH, OW); None in output_size keeps that input size.
    """


class AdaptiveAvgPool1d(_AdaptiveAvgPool):
    """The mean over PyTorch's adaptive windows of the length axis: (N, C, L) -> (N, C, out)."""

    _spatial = 1


class _MaxUnpool(Module):
    _spatial = 2

    def __init__(self, kernel_size: ShapeLike, stride: Optional[ShapeLike] = None,
                 padding: ShapeLike = 0) -> None:
        super().__init__()
        n = self._spatial
        self.kernel_size = _ntuple(n)(kernel_size)
        self.stride = _ntuple(n)(stride if stride is not None else kernel_size)
        self.padding = _ntuple(n)(padding)

    def forward(self, input: Tensor, indices: Tensor,
                output_size: Optional[Sequence[int]] = None) -> Tensor:
        return unpool.max_unpool(type(self).__name__, self._spatial, input, indices,
                                  self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool2d(_MaxUnpool):
    """y[n, c].flat[indices[n, c, i, j]] = x[n, c, i, j], 0 elsewhere: the partial inverse of
    ``MaxPool2d(return_indices=True)``; ``forward(input, indices, output_size=None)``.

    Shapes: (N, C, H, W) or (C, H, W) -> (N, C, OH, OW), OH = (H - 1) S - 2P + F unless
    ``output_size`` picks another size within S of it. Stride defaults to the kernel size.
    """


class MaxUnpool1d(_MaxUnpool):
    """y[n, c, indices[n, c, i]] = x[n, c, i], 0 elsewhere: the partial inverse of
    ``MaxPool1d(return_indices=True)``. Shapes: (N, C, L) or (C, L) -> (N, C, (L - 1) S - 2P + F).
    """

    _spatial = 1


__all__ = ["AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AvgPool1d", "AvgPool2d", "MaxPool1d",
           "MaxPool2d", "MaxUnpool1d", "MaxUnpool2d"]
