"""Helpers shared by the distributions (``torch.distributions.utils``): parameter broadcasting,
probabilities <-> logits, lazily computed properties."""
from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from .. import backend
from ..autograd import grad_mode
from ..autograd.tensor import Tensor
from ..ops import activation, elementwise, shape

if TYPE_CHECKING:
    from .._typing import Number

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs", "probs_to_logits",
           "euler_constant"]

euler_constant = 0.57721566490153286060  # Euler-Mascheroni


def broadcast_all(*values: Union[Tensor, Number]) -> tuple[Tensor, ...]:
    """The values as tensors broadcast to one shape: tensors keep their dtype, numbers become
    tensors of the first tensor's dtype (the default float dtype when all are numbers)."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    for v in values:
        if not isinstance(v, (Tensor, numbers.Number)) or isinstance(v, bool):
            raise ValueError("Input arguments must all be instances of numbers.Number or "
                             f"gradsheet.Tensor, got {type(v).__name__}")
    dtype = tensors[0].dtype if tensors else backend.get_default_dtype()
    converted = [v if isinstance(v, Tensor) else Tensor._wrap(np.asarray(v, dtype=dtype))
                 for v in values]
    if len(converted) == 1:
        return tuple(converted)
    return tuple(shape.broadcast_tensors(*converted))


def clamp_probs(probs: Tensor) -> Tensor:
    """probs clamped to [eps, 1 - eps] (eps: the dtype's machine epsilon)."""
    eps = float(np.finfo(probs.dtype).eps)
    return elementwise.clip(probs, eps, 1 - eps)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """sigmoid(logits) for a binary variable, else softmax(logits) over the last dimension."""
    if is_binary:
        return activation.sigmoid(logits)
    return activation.softmax(logits, dim=-1)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log(p) - log(1 - p) for a binary variable, else log(p), with p clamped to [eps, 1 - eps]
    (so 0 and 1 give finite logits)."""
    clamped = clamp_probs(probs)
    if is_binary:
        return elementwise.log(clamped) - elementwise.log(1 - clamped)
    return elementwise.log(clamped)


def sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """value summed over its last ``dim`` dimensions (value itself for dim = 0)."""
    if dim == 0:
        return value
    return value.reshape(value.shape[:value.dim() - dim] + (-1,)).sum(-1)


class lazy_property:
    """A property computed on first use (with gradients recorded, as torch) and then stored on
    the instance, so that ``probs`` and ``logits`` are both available whichever was given."""

    def __init__(self, wrapped: Callable[[Any], Any]) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance: Any, owner: Optional[type] = None) -> Any:
        if instance is None:
            return self
        with grad_mode.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value
