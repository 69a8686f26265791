"""PixelShuffle and PixelUnshuffle, as in ``torch.nn``: the sub-pixel rearrangement of
``gradsheet.ops.resample.pixel_shuffle`` (the formula lives there)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..ops import resample as _resample
from .module import Module

if TYPE_CHECKING:
    from .._typing import Tensor


class PixelShuffle(Module):
    """y[..., c, h*r + i, w*r + j] = x[..., c*r*r + i*r + j, h, w], r = ``upscale_factor``:
    (*, C*r*r, H, W) -> (*, C, H*r, W*r)."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return _resample.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """y[..., c*r*r + i*r + j, h, w] = x[..., c, h*r + i, w*r + j], r = ``downscale_factor``:
    (*, C, H*r, W*r) -> (*, C*r*r, H, W), the inverse of PixelShuffle."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return _resample.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


__all__ = ["PixelShuffle", "PixelUnshuffle"]
