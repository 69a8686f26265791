"""Filling a tensor in place: ``zero_``, ``fill_``, ``copy_``.

    x.fill_(v):  x_i = v for every i;       dL/dx_old = 0, dL/dv = sum_i dL/dx_i
    x.copy_(s):  x = s broadcast to x's shape and converted to x's dtype;  dL/ds = dL/dx summed
                 over the broadcast dimensions

They follow ``autograd.inplace``'s rules (a leaf that requires grad is changed only under
``no_grad()``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Union

import numpy as np

from ..autograd import inplace
from ..autograd.methods import tensor_method
from ..autograd.tensor import Tensor
from .elementwise import cast, clone
from .shape import expand

if TYPE_CHECKING:
    from .._typing import Number


def _broadcast_into(op: str, source: Union[Number, Tensor], target: Tensor) -> Tensor:
    """``source`` (Tensor or number) broadcast to target's shape in target's dtype, recorded."""
    if not isinstance(source, Tensor):
        return Tensor._wrap(np.broadcast_to(np.asarray(source, dtype=target.dtype), target.shape))
    try:
        np.broadcast_shapes(source.shape, target.shape)
    except ValueError:
        raise RuntimeError(f"{op}: the source of shape {source.shape} does not broadcast to the "
                           f"tensor's shape {target.shape}") from None
    return expand(cast(source, target.dtype), target.shape)


def _fill(op: str, target: Tensor, value: Union[Number, Tensor]) -> Tensor:
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"{op}: only a 0-d tensor or a number fills a tensor, got a value of "
                           f"shape {value.shape}")
    return inplace.write(target, op, lambda source: _broadcast_into(op, value, source), [value])


def fill(input: Tensor, value: Union[Number, Tensor]) -> Tensor:
    """A new tensor of input's shape and dtype with every element ``value`` (a number, or a 0-d
    tensor, which gets the sum of the gradient), as ``torch.fill``."""
    return clone(_broadcast_into("fill", value, input))


@tensor_method("fill_")
def fill_(input: Tensor, value: Union[Number, Tensor]) -> Tensor:
    """Set every element to ``value`` (a number or a 0-d tensor) in place; returns input."""
    return _fill("fill_", input, value)


@tensor_method("zero_")
def zero_(input: Tensor) -> Tensor:
    """Set every element to 0 in place; returns input."""
    return _fill("zero_", input, 0)


@tensor_method("copy_")
def copy_(input: Tensor, src: Union[Tensor, Number], non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast to input's shape, converted to its dtype) into input in place;
    returns input. The gradient reaches src; input's earlier value gets none."""
    return inplace.write(input, "copy_", lambda source: _broadcast_into("copy_", src, source), [src])


__all__ = ["fill"]
