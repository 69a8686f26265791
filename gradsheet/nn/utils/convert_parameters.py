"""Parameters as one flat vector and back, as ``torch.nn.utils.convert_parameters``."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ...autograd.tensor import Tensor
from ...ops import shape as shape_ops

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """vec = cat(p_1.reshape(-1), p_2.reshape(-1), ...): every parameter flattened into one 1-D
    Tensor, in order (differentiable: dL/dp_i is its slice of dL/dvec, reshaped)."""
    flat = []
    for i, param in enumerate(parameters):
        if not isinstance(param, Tensor):
            raise TypeError(f"parameters_to_vector: parameter {i} is a {type(param).__name__}, "
                            "not a Tensor")
        flat.append(shape_ops.reshape(param, (-1,)))
    if not flat:
        raise RuntimeError("parameters_to_vector: expected a non-empty iterable of parameters "
                           "(torch.cat of an empty list)")
    return shape_ops.cat(flat)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """p_i ← vec[o_i : o_i + numel(p_i)].view_as(p_i), o_i = numel(p_1) + ... + numel(p_{i-1}):
    each parameter's data becomes its slice of ``vec`` (a view sharing vec's memory, as torch's
    ``param.data = ...``; no gradient is recorded). Extra trailing entries of ``vec`` are
    ignored, as in torch; too few raise ValueError naming both lengths.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor, but got: {type(vec).__name__}")
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters: vec must be 1-D, got shape {tuple(vec.shape)}")
    params = list(parameters)
    for i, param in enumerate(params):
        if not isinstance(param, Tensor):
            raise TypeError(f"vector_to_parameters: parameter {i} is a {type(param).__name__}, "
                            "not a Tensor")
    needed = sum(int(np.prod(p.shape, dtype=np.int64)) for p in params)
    if vec.shape[0] < needed:
        raise ValueError(f"vector_to_parameters: vec has {vec.shape[0]} elements but the "
                         f"{len(params)} parameters hold {needed}")
    pointer = 0
    array = vec.array
    for param in params:

        n = int(np.prod(param.shape, dtype=np.int64))
        param.array = array[pointer:pointer + n].reshape(param.shape)
        pointer += n
