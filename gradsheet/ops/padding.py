"""Padding: F.pad, a border of a constant (or a crop, for negative pads), or of the input's own
values mirrored (reflect), repeated (replicate) or wrapped around (circular).

``pad`` lists (left, right) pairs from the last dimension backwards: (1, 2) pads the last
dimension by 1 before and 2 after, (1, 2, 3, 4) also the one before it by 3 and 4.

    constant:  y = value outside, x inside;            dL/dx = dL/dy inside
    reflect, replicate, circular:  y[..., j] = x[..., src(j)] along each padded axis, with
        src(j) = |j| mirrored at both ends, clip(j, 0, n - 1), or j mod n;
        dL/dx = the scatter-add of dL/dy back to src(j) (``resample.scatter_axis``)
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Optional, Union

import numpy as np

from ._checks import tensor_args
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from .resample import Resample

_MODES = ("constant", "reflect", "replicate", "circular")


class ConstantPad(Function):
    """y = ``value`` everywhere, with x (cropped where a pad is negative) copied inside;
    dL/dx = zeros with the inside of dL/dy copied back (cropped parts get 0).

    Shapes: x (*) -> y with each padded dimension of size n + left + right.
    """

    def forward(self, x: np.ndarray, out_shape: tuple[int, ...] = (),
                inside: tuple[slice, ...] = (), source: tuple[slice, ...] = (),
                value: float = 0) -> np.ndarray:
        self.shape, self.inside, self.source = x.shape, inside, source
        out = np.full(out_shape, value, dtype=x.dtype)
        out[inside] = x[source]
        return out

    def backward(self, g: np.ndarray) -> np.ndarray:
        grad = np.zeros(self.shape, dtype=g.dtype)
        grad[self.source] = g[self.inside]
        return grad


def _pairs(op: str, pad: Union[Sequence[int], Tensor], ndim: int) -> list[tuple[int, int, int]]:
    if isinstance(pad, Tensor):
        pad = pad.tolist()
    if not isinstance(pad, (list, tuple)):
        raise TypeError(f"{op}: pad must be a tuple of ints, got {pad!r}")
    if not all(isinstance(p, (int, np.integer)) and not isinstance(p, bool) for p in pad):
        raise TypeError(f"{op}: pad must be a tuple of ints, got {tuple(pad)!r}")
    if len(pad) % 2:
        raise ValueError(f"{op}: padding length must be divisible by 2, got pad={tuple(pad)} "
                         f"(length {len(pad)})")
    if len(pad) // 2 > ndim:
        raise ValueError(f"{op}: padding length should be less than or equal to two times the "
                         f"input dimension but got padding length {len(pad)} and input of "
                         f"dimension {ndim}")
    # (dim, left, right), from the last dimension backwards
    return [(ndim - 1 - k, int(pad[2 * k]), int(pad[2 * k + 1])) for k in range(len(pad) // 2)]


def _source_index(mode: str, n: int, left: int, right: int) -> np.ndarray:
    """src(j) for the output positions j = -left .. n + right - 1 of one axis."""
    if mode == "circular":  # as torch: crop the negative pads first, then wrap what is left
        low, high = max(0, -left), n - max(0, -right)
        j = np.arange(-max(left, 0), high - low + max(right, 0))
        return low + j % (high - low) if high > low else j
    j = np.arange(-left, n + right)
    if mode == "reflect":
        j = np.abs(j)
        return np.where(j > n - 1, 2 * (n - 1) - j, j)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    raise ValueError(f"_source_index: unknown padding mode {mode!r}")  # pad checks it first


def _check_non_constant(op: str, mode: str, shape: tuple[int, ...],
                        pairs: list[tuple[int, int, int]]) -> None:
    k = len(pairs)
    ndim = len(shape)
    if k not in (1, 2, 3) or ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"{op}: padding size {2 * k} is not supported for {ndim}D input tensor of shape "
            f"{shape} in mode {mode!r}; supported: 2D or 3D input with padding size 2 (the last "
            "dimension), 3D or 4D with 4 (the last 2), 4D or 5D with 6 (the last 3)")
    if mode != "circular" and 0 in shape[ndim - k - 1:]:
        raise ValueError(f"{op}: mode {mode!r} expects a {k + 1}D or {k + 2}D (batch mode) input "
                         f"with possibly 0 batch size and other non-zero dimensions, but got "
                         f"shape {shape}")
    for dim, left, right in pairs:
        n = shape[dim]
        out = n + left + right
        if mode == "reflect" and not (left < n and right < n):
            raise ValueError(f"{op}: reflect padding size should be less than the corresponding "
                             f"input dimension, but got padding ({left}, {right}) at dimension "
                             f"{dim} of input {shape}")
        if mode == "circular" and not (left <= n and right <= n):
            raise ValueError(f"{op}: circular padding ({left}, {right}) at dimension {dim} of "
                             f"input {shape} wraps around more than once (at most {n} per side)")
        kept = n - max(0, -left) - max(0, -right)
        if mode == "circular" and max(left, right) > kept:
            raise ValueError(f"{op}: circular padding ({left}, {right}) at dimension {dim} of "
                             f"input {shape} wraps around more than once: only {kept} values "
                             "are left after the negative pad's crop")
        if out < (1 if mode != "circular" and len(pairs) == 1 else 0):
            raise ValueError(f"{op}: input of shape {shape} is too small for padding ({left}, "
                             f"{right}) at dimension {dim}: the output size {out} would be "
                             f"{'less than 1' if mode != 'circular' and len(pairs) == 1 else 'negative'}")


@tensor_args("input")
def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: Optional[float] = None) -> Tensor:
    """y = x with a border: ``value`` (constant; default 0) or x's own values mirrored
    (``reflect``), repeated (``replicate``) or wrapped (``circular``); ``pad`` = (left, right)
    pairs from the last dimension backwards.

    Constant padding takes any number of dimensions and negative pads (which crop); the other
    modes pad the last 1, 2 or 3 dimensions of a 2-3, 3-4 or 4-5 dimensional input, as torch.
    Example: ``pad(x, (1, 1, 2, 0))`` adds a column on both sides and two rows on top.
    """
    op = "pad"
    x = input.array if isinstance(input, Tensor) else np.asarray(input)
    shape = tuple(x.shape)
    pairs = _pairs(op, pad, x.ndim)
    if mode not in _MODES:
        raise NotImplementedError(f"{op}: unrecognised padding mode {mode!r} (expected one of "
                                  f"{', '.join(_MODES)})")
    if mode == "constant":
        out_shape, inside, source = list(shape), [slice(None)] * x.ndim, [slice(None)] * x.ndim
        for dim, left, right in pairs:
            n = shape[dim]
            out_shape[dim] = n + left + right
            if n + min(left, 0) + min(right, 0) < 0:
                raise ValueError(f"{op}: padding ({left}, {right}) at dimension {dim} of input "
                                 f"{shape} crops more than the dimension's size {n}")
            # the part of x that stays, and where it goes
            start, stop = max(0, -left), n - max(0, -right)
            inside[dim] = slice(max(0, left), max(0, left) + max(0, stop - start))
            source[dim] = slice(start, max(start, stop))
        return ConstantPad.apply(input, out_shape=tuple(out_shape), inside=tuple(inside),
                                 source=tuple(source), value=0 if value is None else value)
    if value is not None and value != 0:
        raise ValueError(f"{op}: padding mode {mode!r} doesn't take in value argument "
                         f"(got value={value!r})")
    _check_non_constant(op, mode, shape, pairs)
    axes = tuple((dim, _source_index(mode, shape[dim], left, right)[:, None], None)
                 for dim, left, right in reversed(pairs))
    return Resample.apply(input, axes=axes)


__all__ = ["pad"]
