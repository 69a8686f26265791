"""Where sliding windows fit: the one size formula and the one argument check shared by the
convolutions (``ops.conv``), the pools and unpools (``ops.pool``, ``ops.unpool``), unfold and
fold (``ops.fold``), nn's Conv and Pool layers and ``gs.summary``.

Along one axis of size W, a filter of F taps spaced D apart (dilation), moved S at a time
(stride) over the input padded with P zeros on each side, fits

    N = floor((W + 2P - D(F - 1) - 1) / S) + 1                 (``output_size``)

times: the cheat sheet's N = (W - F + 2P)/S + 1 rounded down, for D = 1. The transposed
convolution (and max unpooling, D = 1) inverts it:

    N = (W - 1) S - 2P + D(F - 1) + output_padding + 1       (``transposed_output_size``)

Arguments such as kernel_size, stride, padding and dilation are an int or one int per
spatial axis; ``ints`` turns them into a tuple and checks them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Union, overload

import numpy as np

from ._checks import int_tuple

if TYPE_CHECKING:
    from .._typing import ShapeLike

_RULE = {0: "non-negative", 1: "positive"}
_Padding = Union[int, tuple[int, int], list[int]]  # P: one int, or (before, after)


def ints(op: object, name: str, value: ShapeLike, n: int, low: Optional[int] = None
         ) -> tuple[int, ...]:
    """``value`` (an int, or a sequence of ``n`` ints, or of one) as an ``n``-tuple of ints,
    each >= ``low`` when given (1 for kernel_size, stride, dilation; 0 for padding).

    Raises TypeError when ``value`` is not such ints, ValueError when one is below ``low``;
    both name ``op``, ``name`` and the value. Example: ``ints("conv2d", "stride", 2, 2, 1)
    == (2, 2)``.
    """
    items = int_tuple(op, name, value, n)
    if low is not None and any(v < low for v in items):
        raise ValueError(f"{op}: {name} must be {_RULE.get(low, f'>= {low}')}, got "
                         f"{name}={items}")
    return items


def _padding_sum(P: _Padding) -> int:
    """2P, or before + after for an uneven (before, after) padding."""
    return 2 * P if not isinstance(P, (tuple, list)) else P[0] + P[1]


def output_size(W: int, F: int, P: _Padding = 0, S: int = 1, D: int = 1,
                ceil_mode: bool = False) -> int:
    """N = floor((W + 2P - D(F - 1) - 1) / S) + 1: how many times a window fits along an axis
    (unchecked ints; may be < 1 when it does not fit).

    ``P`` is an int, or (before, after) for uneven padding (conv2d's 'same' with an even
    kernel): 2P is then their sum. With ``ceil_mode`` the division rounds up, minus the last
    window if it would start past the input and its left padding (PyTorch's pooling rule).
    Example: ``output_size(28, 5, P=2) == 28``; ``output_size(5, 2, S=2, ceil_mode=True) == 3``.
    """
    span = W + _padding_sum(P) - D * (F - 1) - 1
    if not ceil_mode:
        return span // S + 1
    n = -(-span // S) + 1
    left = P if not isinstance(P, (tuple, list)) else P[0]
    return n - 1 if (n - 1) * S >= W + left else n


def transposed_output_size(W: int, F: int, P: _Padding = 0, S: int = 1, D: int = 1,
                           output_padding: int = 0) -> int:
    """N = (W - 1) S - 2P + D(F - 1) + output_padding + 1: the output size of a transposed
    convolution (max unpooling: D = 1, output_padding = 0), the inverse of ``output_size``.
    ``P`` an int or (before, after). Example: ``transposed_output_size(14, 2, S=2) == 28``.
    """
    return (W - 1) * S - _padding_sum(P) + D * (F - 1) + output_padding + 1


def is_int(value: object) -> bool:
    """A Python or NumPy integer, not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


# W..D are Any: conv_output_size passes its ShapeLike arguments (or their items) unnarrowed;
# the loop below checks each is an integer
def _size_1d(W: Any, F: Any, P: Any, S: Any, D: Any, strict: bool, op: str) -> int:
    for name, value, low in (("W", W, 0), ("F", F, 1), ("P", P, 0), ("S", S, 1), ("D", D, 1)):
        if not is_int(value) or value < low:
            raise ValueError(f"{op}: {name} must be an integer >= {low}, got {value!r}")
    n = output_size(W, F, P, S, D)
    if strict:
        span = D * (F - 1) + 1
        if (W - span + 2 * P) % S or n < 1:
            dilated = f" (F={F} dilated by D={D})" if D != 1 else ""
            raise ValueError(
                f"{op}: (W - F + 2P)/S + 1 = ({W} - {span} + 2*{P})/{S} + 1 = "
                f"{(W - span + 2 * P) / S + 1:g} is not a positive integer for W={W}, "
                f"F={span}{dilated}, P={P}, S={S} (N = floor of it = {n})")
    return int(n)


@overload  # ints give an int; a pair anywhere gives a tuple (overload 2)
def conv_output_size(W: int, F: int, P: int = 0, S: int = 1, D: int = 1,  # type: ignore[overload-overlap]  # an int typed as ShapeLike matches 2
                     strict: bool = False) -> int: ...
@overload
def conv_output_size(W: ShapeLike, F: ShapeLike, P: ShapeLike = 0, S: ShapeLike = 1,
                     D: ShapeLike = 1, strict: bool = False) -> tuple[int, ...]: ...
def conv_output_size(W: ShapeLike, F: ShapeLike, P: ShapeLike = 0, S: ShapeLike = 1,
                     D: ShapeLike = 1, strict: bool = False) -> Union[int, tuple[int, ...]]:
    """N = floor((W + 2P - D(F - 1) - 1) / S) + 1: the number of positions a filter fits,
    checked (``output_size`` computes it unchecked).

    With D = 1 this is the cheat sheet's N = (W - F + 2P)/S + 1 rounded down, as
    PyTorch's convolutions and pools do.

    Args:
        W: input size; F: filter (kernel) size; P: zero padding on each side;
            S: stride; D: dilation. Ints, or pairs (height, width) giving a tuple.
        strict: raise ValueError unless (W - F + 2P)/S + 1 (F the dilated span
            D(F - 1) + 1) is a positive integer: the filter tiles the padded input
            exactly, the cheat sheet's requirement.

    Example: ``conv_output_size(28, 5, P=2) == 28``; ``conv_output_size((32, 7), 3, S=2)
    == (15, 3)``; ``conv_output_size(32, 4, S=2, strict=True)`` raises ((32-4)/2+1 = 15
    is fine, but (32-5)/2+1 = 14.5 for F=5 is not).
    """
    values = {"W": W, "F": F, "P": P, "S": S, "D": D}
    lengths = {len(v) for v in values.values() if isinstance(v, (tuple, list))}
    if not lengths:
        return _size_1d(W, F, P, S, D, strict, "conv_output_size")
    if len(lengths) > 1:
        raise ValueError(f"conv_output_size: pairs of different lengths in {values}")
    n = lengths.pop()
    per_axis = zip(*([v[i] if isinstance(v, (tuple, list)) else v for i in range(n)]
                     for v in values.values()))
    return tuple(_size_1d(W_i, F_i, P_i, S_i, D_i, strict, "conv_output_size")
                 for W_i, F_i, P_i, S_i, D_i in per_axis)


__all__ = ["conv_output_size", "ints", "is_int", "output_size", "transposed_output_size"]
