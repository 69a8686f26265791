"""Upsample, UpsamplingNearest2d and UpsamplingBilinear2d, as in ``torch.nn``: each holds
``F.interpolate``'s arguments (``gradsheet.ops.resample``, where the formulas live)."""
import numbers

from ..ops import resample as _resample
from .module import Module


def _scale_factor(layer, value):
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

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        self.scale_factor = _scale_factor(self.name, scale_factor)
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return _resample.interpolate(input, self.size, self.scale_factor, self.mode,
                                     self.align_corners,
                                     recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    """Upsample(size, scale_factor, mode='nearest') for (N, C, H, W) inputs (deprecated in
    torch's documentation in favour of ``F.interpolate``)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample(size, scale_factor, mode='bilinear', align_corners=True) for (N, C, H, W)
    inputs (deprecated in torch's
    documentation in favour of ``F.interpolate``)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


__all__ = ["Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"]
