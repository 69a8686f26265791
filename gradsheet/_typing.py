"""The types gradsheet's annotations use, named as PyTorch's where torch has one.

Annotations read these under ``if TYPE_CHECKING:`` (with ``from __future__ import
annotations``), so importing gradsheet never imports this module::

    from __future__ import annotations
    from typing import TYPE_CHECKING
    if TYPE_CHECKING:
        from .._typing import DType, TensorLike

- ``Tensor``: gradsheet's tensor (``autograd.tensor.Tensor``);
- ``Number``: a Python scalar (bool, int or float) or a NumPy scalar;
- ``TensorLike``: what ``as_tensor`` turns into a tensor: a Tensor, an ndarray, a number or
  nested sequences of numbers;
- ``ShapeLike``: a size given as one int or a sequence of ints (``torch.Size`` too);
- ``DimLike``: one dimension or several (reductions' ``dim``);
- ``DType``: what ``backend.as_dtype`` accepts: a NumPy dtype (``gs.float32``), a scalar
  type (``np.float32``) or a name ('float64', 'long', 'torch.float32');
- ``DeviceLike``: a ``gs.device``, a string ('cpu', 'cuda:0') or a CUDA index;
- ``PathLike``: a file's path, a string or an ``os.PathLike``;
- ``FileLike``: a path or a binary file object (``torch.serialization.FileLike``).
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from typing import IO, Any, Union

import numpy as np

from .autograd.tensor import Tensor
from .devices import device

Number = Union[bool, int, float, np.number, np.bool_]
TensorLike = Union[Tensor, np.ndarray, Number, Sequence[Any]]
ShapeLike = Union[int, Sequence[int]]
DimLike = Union[int, Sequence[int]]
DType = Union[np.dtype, type, str]
DeviceLike = Union[device, str, int]
PathLike = Union[str, "os.PathLike[str]"]
FileLike = Union[str, "os.PathLike[str]", IO[bytes]]

__all__ = ["DType", "DeviceLike", "DimLike", "FileLike", "Number", "PathLike", "ShapeLike",
           "Tensor", "TensorLike"]
