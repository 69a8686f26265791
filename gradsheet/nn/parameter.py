"""Parameter: a leaf Tensor that a Module registers as one of its learnable weights.

Assigning a Parameter to a Module attribute (``self.weight = Parameter(...)``)
makes it appear in ``module.parameters()`` and ``module.state_dict()``; a plain
Tensor does not. Otherwise it behaves exactly like a Tensor. ``allocate`` is how a layer's
constructor makes its parameters' arrays, refusing a shape no array can hold by name.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Optional

import numpy as np

from .. import backend
from ..autograd.tensor import Tensor, _to_array

if TYPE_CHECKING:
    from .._typing import DType, ShapeLike, TensorLike


class Parameter(Tensor):
    """A Tensor that is a module's parameter: a leaf that requires grad by default.

    Args:
        data: a Tensor (its array is shared, not copied, as in PyTorch), an ndarray (shared)
            or nested lists of numbers (floats get the default dtype).
        requires_grad: whether the optimiser should train it (default True).

    Example: ``Parameter(gs.zeros(3))`` prints as ``Parameter containing:`` then the tensor.
    """

    __slots__ = ()

    # __init__, not __new__: copy.deepcopy rebuilds a Parameter with cls.__new__(cls) and no args.
    def __init__(self, data: Optional[TensorLike] = None, requires_grad: bool = True) -> None:
        self._init(np.empty((0,), backend.get_default_dtype()) if data is None else _to_array(data),
                   requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def allocate(layer: str, shape: ShapeLike, dtype: DType,
             fill: Callable[..., np.ndarray] = np.empty) -> Parameter:

    """A Parameter of ``shape`` for the layer named ``layer``, its array ``fill(shape, dtype)``
    (np.empty, np.ones or np.zeros; the caller initialises an empty one). A shape no array can
    hold is refused first, naming the layer (``backend.check_nbytes``)."""
    shape = tuple(int(n) for n in np.atleast_1d(shape))
    backend.check_nbytes(layer, shape, dtype, "parameter")
    return Parameter(fill(shape, dtype=dtype))
