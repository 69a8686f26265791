"""Padding layers, as in ``torch.nn``: each holds its padding (left, right, top, bottom, front,
back: from the last dimension backwards) and calls ``F.pad`` (``gradsheet.ops.padding``,
where the formulas and gradients live).

    constant:   y = value outside x            (ZeroPad: value 0)
    reflect:    x mirrored at its edge, the edge not repeated: [c b | a b c d | c b]
    replicate:  the edge repeated:                             [a a | a b c d | d d]
    circular:   x wrapped around:                              [c d | a b c d | a b]

An int pads every side by that amount; a tuple gives each side (2 per padded dimension).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, cast

from ..ops import padding as _padding
from .module import Module

if TYPE_CHECKING:
    from .._typing import ShapeLike, Tensor


def _ntuple(n: int, value: ShapeLike) -> tuple[int, ...]:
    """torch's _ntuple: a sequence as a tuple (its length is F.pad's to check), else n copies."""
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (cast(int, value),) * n


class _PadNd(Module):
    _mode: str = "constant"
    _sides: int = 2

    def __init__(self, padding: ShapeLike) -> None:
        super().__init__()
        self.padding = _ntuple(self._sides, padding)

    def forward(self, input: Tensor) -> Tensor:
        return _padding.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: ShapeLike, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return _padding.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """y = x with ``value`` added before and after the last dimension: (*, W) -> (*, W + l + r)."""


class ConstantPad2d(_ConstantPadNd):
    """y = x with a border of ``value`` on the last two dimensions:
    (*, H, W) -> (*, H + top + bottom, W + left + right)."""

    _sides = 4


class ConstantPad3d(_ConstantPadNd):
    """y = x with a border of ``value`` on the last three dimensions:
    (*, D, H, W) -> (*, D + front + back, H + top + bottom, W + left + right)."""

    _sides = 6


class ZeroPad1d(ConstantPad1d):
    """y = x with zeros before and after the last dimension (ConstantPad1d with value 0)."""

    def __init__(self, padding: ShapeLike) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """y = x with a border of zeros on the last two dimensions (ConstantPad2d with value 0)."""

    def __init__(self, padding: ShapeLike) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """y = x with a border of zeros on the last three dimensions (ConstantPad3d, value 0)."""

    def __init__(self, padding: ShapeLike) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """y = x mirrored at its ends (the end value not repeated), (C, W) or (N, C, W); each
    padding must be smaller than W."""

    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    """y = x mirrored at its edges on the last two dimensions of (C, H, W) or (N, C, H, W)."""

    _mode, _sides = "reflect", 4


class ReflectionPad3d(_PadNd):
    """y = x mirrored at its edges on the last three dimensions of (C, D, H, W) or
    (N, C, D, H, W)."""

    _mode, _sides = "reflect", 6


class ReplicationPad1d(_PadNd):
    """y = x with its end values repeated, (C, W) or (N, C, W)."""

    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    """y = x with its edge values repeated on the last two dimensions of (C, H, W) or
    (N, C, H, W)."""

    _mode, _sides = "replicate", 4


class ReplicationPad3d(_PadNd):
    """y = x with its edge values repeated on the last three dimensions of (C, D, H, W) or
    (N, C, D, H, W)."""

    _mode, _sides = "replicate", 6


class _CircularPadNd(_PadNd):
    _mode = "circular"
    _ranks: tuple[int, int] = (2, 3)

    def forward(self, input: Tensor) -> Tensor:
        low, high = self._ranks
        if input.ndim not in self._ranks:
            raise ValueError(f"{type(self).__name__}: expected {low}D or {high}D input (got "
                             f"{input.ndim}D input of shape {tuple(input.shape)})")
        return super().forward(input)


class CircularPad1d(_CircularPadNd):
    """y = x wrapped around its last dimension: [c d | a b c d | a b], (C, W) or (N, C, W);
    ValueError for other ranks, as torch."""


class CircularPad2d(_CircularPadNd):
    """y = x wrapped around its last two dimensions, (C, H, W) or (N, C, H, W)."""

    _sides, _ranks = 4, (3, 4)


class CircularPad3d(_CircularPadNd):
    """y = x wrapped around its last three dimensions, (C, D, H, W) or (N, C, D, H, W)."""

    _sides, _ranks = 6, (4, 5)


__all__ = ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d",
           "ZeroPad3d"]
