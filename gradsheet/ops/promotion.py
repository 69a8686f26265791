"""The dtype of an op's result from its operands' dtypes: PyTorch's rule, not NumPy's.

Dtypes fall in categories, bool < integer < floating < complex. Operands come in three
priorities: tensors with dimensions, 0-d tensors, and numbers (Python or NumPy scalars,
and NumPy arrays mixed into an op, which gradsheet treats as constants). The result's
category is the highest among all operands; within it, the highest-priority operands of
that category decide the dtype:

    float32 tensor * tensor(2.0, dtype=float64)   -> float32   (a 0-d tensor does not widen)
    float32 tensor * 2.0                          -> float32   (nor does a number)
    int64 tensor * 2.5                            -> float32   (the default float dtype)
    int32 tensor + tensor(3)                      -> int32
    int64 tensor + float16 tensor                 -> float16   (NumPy would say float64)
    bool tensor + bool tensor                     -> bool;  bool tensor + 1 -> int64
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, overload

import numpy as np

from ..autograd.tensor import Tensor
from ..backend import get_default_dtype

if TYPE_CHECKING:
    from .._typing import DType, TensorLike

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def category(dtype: np.dtype) -> int:
    """0 bool, 1 integer, 2 floating, 3 complex."""
    return _CATEGORY[dtype.kind]


def promote_types(a: DType, b: DType) -> np.dtype:
    """``torch.promote_types``: the smallest dtype both ``a`` and ``b`` convert to, crossing a
    category boundary by taking the higher category's dtype (int64 with float16 is float16)."""
    a, b = np.dtype(a), np.dtype(b)
    if a == b:
        return a
    ca, cb = category(a), category(b)
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def _number_dtype(x: TensorLike) -> np.dtype:
    """The dtype a number (or an array constant) stands for: the default of its category."""
    kind = np.asarray(x).dtype.kind
    if kind == "b":
        return np.dtype(np.bool_)
    if kind in "iu":
        return np.dtype(np.int64)
    if kind == "c":
        return np.dtype(np.complex128 if get_default_dtype() == np.float64 else np.complex64)
    return get_default_dtype()


def _combine(higher: Optional[np.dtype], lower: Optional[np.dtype]) -> Optional[np.dtype]:
    """torch's combine_categories: ``higher``-priority operands decide within their category
    or above it; ``lower``-priority ones only when their category is higher."""
    if higher is None or lower is None:
        return lower if higher is None else higher
    ch, cl = category(higher), category(lower)
    if ch == 3:
        return higher
    if cl == 3:
        return np.result_type(higher, np.complex64) if ch == 2 else lower
    if ch == 2:
        return higher
    if ch == 0 or cl == 2:
        return promote_types(higher, lower)
    return higher


@overload
def result_type(first: TensorLike, /, *operands: Optional[TensorLike]) -> np.dtype: ...
@overload
def result_type(*operands: Optional[TensorLike]) -> Optional[np.dtype]: ...
def result_type(*operands: Optional[TensorLike]) -> Optional[np.dtype]:
    """The dtype PyTorch gives an op of ``operands`` (Tensors, numbers, arrays; None skipped;
    None when every operand is None)."""
    dims = zeros = numbers = None
    for x in operands:
        if x is None:
            continue
        if isinstance(x, Tensor):
            dtype = x.array.dtype
            if x.array.ndim:
                dims = dtype if dims is None else promote_types(dims, dtype)
            else:
                zeros = dtype if zeros is None else promote_types(zeros, dtype)
        else:
            dtype = _number_dtype(x)
            numbers = dtype if numbers is None else promote_types(numbers, dtype)
    return _combine(dims, _combine(zeros, numbers))


def floating(dtype: np.dtype) -> np.dtype:
    """``dtype`` if it is floating or complex, else the default float dtype (true division)."""
    return dtype if category(dtype) >= 2 else get_default_dtype()
