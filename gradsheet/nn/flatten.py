"""Unflatten, as in ``torch.nn`` (Flatten lives in ``gradsheet.nn.linear``)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..ops._checks import as_tensor_arg
from ..ops import shape as _shape
from .module import Module

if TYPE_CHECKING:
    from .._typing import Tensor


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``: (N, C*H*W) -> (N, C, H, W) for
    ``Unflatten(1, (C, H, W))``; one size may be -1 (inferred). The inverse of Flatten.

    TypeError unless ``unflattened_size`` is a tuple or list of ints, as torch.
    """

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, but found "
                            f"type {type(unflattened_size).__name__}")
        for i, size in enumerate(unflattened_size):
            if not isinstance(size, int):
                raise TypeError(f"Unflatten: unflattened_size must be tuple of ints, but found "
                                f"element of type {type(size).__name__} at pos {i}")
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        as_tensor_arg(type(self).__name__, "input", input)
        return _shape.unflatten(input, self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


__all__ = ["Unflatten"]
