"""Comparisons and logical ops: boolean results, no gradient.

    eq(a, b) = (a == b),  ne, lt (<), le (<=), gt (>), ge (>=)   elementwise, broadcast
    logical_and / or / xor / not:  on truth values (nonzero is True)
    bitwise_and / or / xor / not (&, |, ^, ~):  on the bits of integers and bools

    isclose(a, b) = |a - b| <= atol + rtol |b|;  allclose, equal (Python bools);  isin

Both operands are first brought to PyTorch's common dtype (``promotion``), so an int64
tensor compared with 2.5 compares as floats.
"""
from __future__ import annotations

import numpy as np
from typing import TYPE_CHECKING, Any

from ..autograd.methods import tensor_method
from ..autograd.tensor import Tensor
from ..backend import get_default_dtype
from . import promotion

if TYPE_CHECKING:
    from .._typing import TensorLike


def _arrays(op: str, a: TensorLike, b: TensorLike) -> list[Any]:
    """Both operands as arrays of their common dtype (numbers stay numbers)."""
    target = promotion.result_type(a, b)
    out: list[Any] = []
    x: Any  # an operand, then its array or number
    for x in (a, b):
        if isinstance(x, Tensor):
            x = x.array
        elif isinstance(x, np.generic):
            x = x.item()
        elif not isinstance(x, (bool, int, float, complex, np.ndarray)):
            x = np.asarray(x)
        if isinstance(x, np.ndarray) and x.dtype != target:
            x = x.astype(target)
        out.append(x)
    try:
        np.broadcast_shapes(np.shape(out[0]), np.shape(out[1]))
    except ValueError:
        raise ValueError(f"{op}: shapes {tuple(np.shape(out[0]))} and {tuple(np.shape(out[1]))} "
                         "do not broadcast (trailing dimensions must be equal or 1)") from None
    return out


def _compare(op: str, ufunc: np.ufunc, a: TensorLike, b: TensorLike) -> Tensor:
    if type(a) is Tensor and a.array.dtype.kind == "f" and (
            type(b) in (int, float) or type(b) is Tensor and b.array.dtype == a.array.dtype):
        try:  # the common case: nothing to promote
            return Tensor._wrap(np.asarray(ufunc(a.array, b if type(b) is not Tensor else b.array)))
        except ValueError:
            pass  # shapes that do not broadcast: _arrays says so
    x, y = _arrays(op, a, b)
    return Tensor._wrap(np.asarray(ufunc(x, y)))


@tensor_method("eq", "__eq__")
def eq(input: Tensor, other: TensorLike) -> Tensor:
    """input == other, elementwise (a bool tensor, no gradient)."""
    return _compare("eq", np.equal, input, other)


@tensor_method("ne", "not_equal", "__ne__")
def ne(input: Tensor, other: TensorLike) -> Tensor:
    """input != other, elementwise (bool, no gradient)."""
    return _compare("ne", np.not_equal, input, other)


@tensor_method("lt", "less", "__lt__")
def lt(input: Tensor, other: TensorLike) -> Tensor:
    """input < other, elementwise (bool, no gradient)."""
    return _compare("lt", np.less, input, other)


@tensor_method("le", "less_equal", "__le__")
def le(input: Tensor, other: TensorLike) -> Tensor:
    """input <= other, elementwise (bool, no gradient)."""
    return _compare("le", np.less_equal, input, other)


@tensor_method("gt", "greater", "__gt__")
def gt(input: Tensor, other: TensorLike) -> Tensor:
    """input > other, elementwise (bool, no gradient)."""
    return _compare("gt", np.greater, input, other)


@tensor_method("ge", "greater_equal", "__ge__")
def ge(input: Tensor, other: TensorLike) -> Tensor:
    """input >= other, elementwise (bool, no gradient)."""
    return _compare("ge", np.greater_equal, input, other)


def _integral(op: str, *arrays: object) -> None:
    for x in arrays:
        if np.asarray(x).dtype.kind not in "biu":
            raise TypeError(f"{op}: bitwise ops need integer or bool tensors, got "
                            f"{np.asarray(x).dtype}")


def _bitwise(op: str, ufunc: np.ufunc, a: TensorLike, b: TensorLike) -> Tensor:
    x, y = _arrays(op, a, b)
    _integral(op, x, y)
    return Tensor._wrap(np.asarray(ufunc(x, y)))


@tensor_method("bitwise_and", "__and__", inplace=("bitwise_and_", "__iand__"),
               reflected="__rand__")
def bitwise_and(input: Tensor, other: TensorLike) -> Tensor:
    """input & other: bitwise AND of integers, logical AND of bools."""
    return _bitwise("bitwise_and", np.bitwise_and, input, other)


@tensor_method("bitwise_or", "__or__", inplace=("bitwise_or_", "__ior__"), reflected="__ror__")
def bitwise_or(input: Tensor, other: TensorLike) -> Tensor:
    """input | other: bitwise OR of integers, logical OR of bools."""
    return _bitwise("bitwise_or", np.bitwise_or, input, other)


@tensor_method("bitwise_xor", "__xor__", inplace=("bitwise_xor_", "__ixor__"),
               reflected="__rxor__")
def bitwise_xor(input: Tensor, other: TensorLike) -> Tensor:
    """input ^ other: bitwise XOR of integers, logical XOR of bools."""
    return _bitwise("bitwise_xor", np.bitwise_xor, input, other)


@tensor_method("bitwise_not", "__invert__", inplace="bitwise_not_")
def bitwise_not(input: Tensor) -> Tensor:
    """~input: bitwise NOT of integers, logical NOT of bools."""
    _integral("bitwise_not", input.array)
    return Tensor._wrap(np.asarray(np.invert(input.array)))


def _logical(ufunc: np.ufunc, a: TensorLike, b: TensorLike) -> Tensor:
    x = a.array if isinstance(a, Tensor) else np.asarray(a)
    y = b.array if isinstance(b, Tensor) else np.asarray(b)
    return Tensor._wrap(np.asarray(ufunc(x.astype(bool), y.astype(bool))))


@tensor_method("logical_and", inplace="logical_and_")
def logical_and(input: Tensor, other: TensorLike) -> Tensor:
    """(input != 0) and (other != 0), elementwise (bool)."""
    return _logical(np.logical_and, input, other)


@tensor_method("logical_or", inplace="logical_or_")
def logical_or(input: Tensor, other: TensorLike) -> Tensor:
    """(input != 0) or (other != 0), elementwise (bool)."""
    return _logical(np.logical_or, input, other)


@tensor_method("logical_xor", inplace="logical_xor_")
def logical_xor(input: Tensor, other: TensorLike) -> Tensor:
    """(input != 0) xor (other != 0), elementwise (bool)."""
    return _logical(np.logical_xor, input, other)


@tensor_method("logical_not", inplace="logical_not_")
def logical_not(input: Tensor) -> Tensor:
    """input == 0, elementwise (bool)."""
    return Tensor._wrap(np.asarray(np.logical_not(input.array)))


def _same_dtype_arrays(op: str, input: Tensor, other: TensorLike
                       ) -> tuple[np.ndarray, np.ndarray]:
    """input's and other's arrays for isclose: one dtype (as torch; a number takes input's)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: argument 'input' must be a Tensor, not {type(input).__name__}")
    a = input.array
    if isinstance(other, Tensor):
        b = other.array
        if b.dtype != a.dtype:
            raise RuntimeError(f"{op}: {a.dtype} did not match {b.dtype} (input and other must "
                               "have the same dtype, as torch)")
    else:
        b = np.asarray(other.item() if isinstance(other, np.generic) else other).astype(a.dtype)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{op}: shapes {a.shape} and {b.shape} do not broadcast (trailing "
                         "dimensions must be equal or 1)") from None
    return a, b


def _isclose(op: str, input: Tensor, other: TensorLike, rtol: float, atol: float,
             equal_nan: bool) -> np.ndarray:
    a, b = _same_dtype_arrays(op, input, other)
    for name, value in (("rtol", rtol), ("atol", atol)):
        if value < 0:
            raise RuntimeError(f"{op}: {name} must be greater than or equal to zero, but got "
                               f"{value}")
    close = a == b
    if equal_nan and a.dtype.kind in "fc":
        close = close | (np.isnan(a) & np.isnan(b))
    if rtol == 0 and atol == 0:
        return np.asarray(close)
    if a.dtype.kind in "biu":  # as torch: integers are compared in the default float dtype
        a, b = a.astype(get_default_dtype()), b.astype(get_default_dtype())
    with np.errstate(all="ignore"):  # inf - inf: NaN, which is not close
        actual = np.abs(a - b)
        allowed = atol + np.abs(rtol * b)
        return np.asarray(close | (np.isfinite(actual) & (actual <= allowed)))


@tensor_method("isclose")
def isclose(input: Tensor, other: TensorLike, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol |other|, elementwise and broadcast (bool): equal values,
    infinities of one sign included, are close; NaNs only with ``equal_nan``. Both tensors must
    have one dtype (RuntimeError otherwise, as torch)."""
    return Tensor._wrap(_isclose("isclose", input, other, rtol, atol, equal_nan))


@tensor_method("allclose")
def allclose(input: Tensor, other: TensorLike, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """all(|input - other| <= atol + rtol |other|): ``isclose`` everywhere, as a Python bool."""
    return bool(np.all(_isclose("allclose", input, other, rtol, atol, equal_nan)))


@tensor_method("equal")
def equal(input: Tensor, other: TensorLike) -> bool:
    """True when input and other have the same shape and equal elements (compared in their
    common dtype; NaN is not equal to itself), as a Python bool."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"equal: expects two Tensors, got {type(input).__name__} and "
                        f"{type(other).__name__}")
    if input.shape != other.shape:
        return False
    x, y = _arrays("equal", input, other)
    return bool(np.all(x == y))


def isin(elements: Tensor, test_elements: Tensor, *, assume_unique: bool = False,
         invert: bool = False) -> Tensor:
    """elements[i] in test_elements, elementwise (bool, the shape of ``elements``; a number for
    either is allowed), compared in their common dtype; ``invert`` gives "not in"."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError(f"isin: expects a Tensor, got {type(elements).__name__} and "
                        f"{type(test_elements).__name__}")
    target = promotion.result_type(elements, test_elements)
    x, y = (np.asarray(v.array if isinstance(v, Tensor) else v).astype(target, copy=False)
            for v in (elements, test_elements))
    return Tensor._wrap(np.asarray(np.isin(x, y, assume_unique=assume_unique, invert=invert)))


__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "not_equal", "less", "less_equal", "greater",
           "greater_equal", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
           "logical_and", "logical_or", "logical_xor", "logical_not", "isclose", "allclose",
           "equal", "isin"]

not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge
