"""Upsample, UpsamplingNearest2d and UpsamplingBilinear2d, as in ``torch.nn``: each holds
``F.interpolate``'s arguments (``gradsheet.ops.resample``, where the formulas live)."""
from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional, Union

from ..ops import resample as _resample
from .module import Module

if TYPE_CHECKING:
    from .._typing import ShapeLike, Tensor

# a scale factor: one for every spatial axis, or one per axis
_Ratio = Union[float, Sequence[float]]


def _scale_factor(layer: str, value: Any) -> Optional[Union[float, tuple[float, ...]]]:
    """A number as a float (None for a false one: 0 or None, as torch), a tuple or list of
    numbers as a tuple of floats; anything else a TypeError naming ``layer`` and the value."""
    if isinstance(value, (tuple, list)) and all(isinstance(v, numbers.Real) for v in value):
        return tuple(float(v) for v in value)
    if value is None or isinstance(value, numbers.Real):
        return float(value) if value else None
    raise TypeError(f"{layer}: scale_factor must be a number or a tuple of numbers, got "
                    f"{value!r} ({type(value).__name__})")


class Upsample(Module):
    """y = the input resized to ``size`` or ``scale_factor`` times its size, by ``mode``
    ('nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear'); see
    ``F.interpolate``. Scale factors are kept as floats (tuples of floats), as torch.

    Shapes: (N, C, L), (N, C, H, W) or (N, C, D, H, W) -> the same rank resized.
    Example: ``Upsample(scale_factor=2, mode='bilinear')`` doubles H and W.
    """

    def __init__(self, size: Optional[ShapeLike] = None, scale_factor: Optional[_Ratio] = None,
                 mode: str = "nearest", align_corners: Optional[bool] = None,
                 recompute_scale_factor: Optional[bool] = None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        self.scale_factor = _scale_factor(self.name, scale_factor)
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return _resample.interpolate(input, self.size, self.scale_factor, self.mode,
                                     self.align_corners,
                                     recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    """Upsample(size, scale_factor, mode='nearest') for (N, C, H, W) inputs (deprecated in
    torch's documentation in favour of ``F.interpolate``)."""

    def __init__(self, size: Optional[ShapeLike] = None, scale_factor: Optional[_Ratio] = None
                 ) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample(size, scale_factor, mode='bilinear', align_corners=True) for (N, C, H, W)
    inputs (deprecated in torch's
    documentation in favour of ``F.interpolate``)."""

    def __init__(self, size: Optional[ShapeLike] = None, scale_factor: Optional[_Ratio] = None
                 ) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


__all__ = ["Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"]
