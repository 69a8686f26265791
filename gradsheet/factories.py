"""Tensor factories, named and shaped as PyTorch's: tensor, zeros, ones, randn, arange, ...

Sizes come as varargs or one tuple (``zeros(2, 3)``, ``zeros((2, 3))``, ``size=(2, 3)``);
``dtype=``, ``device=`` (the CPU only: see ``ops.random.check_device``) and ``requires_grad=``
are keyword-only, as in PyTorch. Random factories draw from gradsheet's seeded generator
(``manual_seed``) or ``generator=``. ``FloatTensor``, ``LongTensor``, ... construct as
PyTorch's legacy constructors and, with ``isinstance``, test a tensor's dtype.
"""
from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from . import backend
from .autograd.methods import tensor_method, tensor_property
from .autograd.tensor import Tensor, _to_array
from .autograd.tensor import as_tensor as _as_tensor
from .ops.elementwise import cast
from .ops.random import check_device, draw_dtype, floating_only, generator_of

if TYPE_CHECKING:
    from ._typing import DType, DeviceLike, Number, ShapeLike, TensorLike


def _is_size(value: Any) -> bool:
    return isinstance(value, (tuple, list)) or type(value).__name__ == "Size"


def _size(op: str, size: Sequence[Any], keywords: Optional[Mapping[str, Any]] = None,
          dtype: Optional[np.dtype] = None) -> tuple[int, ...]:
    """The shape from ``size`` (the varargs: ints, or one tuple/list/Size) or ``size=``; TypeError
    for a non-int, ValueError for a negative dimension; with ``dtype``, RuntimeError for one no
    array of that dtype can hold (``backend.check_nbytes``)."""
    keywords = dict(keywords or {})
    if "size" in keywords:
        if size:
            raise TypeError(f"{op}: got the size both as arguments {size} and as size=")
        size = (keywords.pop("size"),)
    if keywords:
        raise TypeError(f"{op}: unexpected keyword arguments {sorted(keywords)}")
    if not size:
        raise TypeError(f"{op}: missing the size: give ints or one tuple of ints (() for a 0-d "
                        "tensor)")
    if len(size) == 1 and _is_size(size[0]):
        size = tuple(size[0])
    shape: list[int] = []
    for n in size:
        try:
            if isinstance(n, float):
                raise TypeError
            shape.append(operator.index(n))
        except (TypeError, ValueError):  # (a Tensor of several elements: ValueError from item)
            raise TypeError(f"{op}: size must be ints (or one tuple of ints), got "
                            f"{type(n).__name__} {n!r} in {tuple(size)}") from None
    if any(n < 0 for n in shape):
        raise ValueError(f"{op}: negative dimension in size {tuple(shape)}")
    if dtype is not None:
        backend.check_nbytes(op, shape, dtype)
    return tuple(shape)


def _new(op: str, array: np.ndarray, requires_grad: bool) -> Tensor:
    """A leaf holding ``array``; only a floating one may require grad (RuntimeError, as torch)."""
    out = Tensor._wrap(array)
    if requires_grad:
        if array.dtype.kind not in "fc":
            raise RuntimeError(f"{op}: only tensors of floating point dtype can require "
                               f"gradients, not {array.dtype}")
        out.requires_grad = True
    return out


def _tensor_input(op: str, input: Any) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expects a Tensor as input, got {type(input).__name__}")
    return input


def _like_dtype(input: Tensor, dtype: Optional[DType]) -> np.dtype:
    return input.dtype if dtype is None else backend.as_dtype(dtype)


# ---------------------------------------------------------------- from data
def tensor(data: TensorLike, *,
           dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
           requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data``: y = data. Python floats get the default dtype,
    ints int64, bools bool; NumPy arrays and scalars keep theirs; ``dtype=`` overrides all.
    None, strings and lists holding them raise TypeError."""
    check_device("tensor", device)
    source = data.array if isinstance(data, Tensor) else data
    array: np.ndarray = _to_array(source, None if dtype is None else backend.as_dtype(dtype))
    if array is source:
        array = array.copy()
    return _new("tensor", array, requires_grad)


def as_tensor(data: TensorLike, dtype: Optional[DType] = None, device: Optional[DeviceLike] = None) -> Tensor:
    """y = data as a Tensor, sharing memory where it can: a Tensor of the dtype asked is returned
    itself (another dtype: ``data.to(dtype)``), an ndarray of it is wrapped without a copy;
    other data (lists, numbers) is converted as by ``tensor``."""
    check_device("as_tensor", device)
    if isinstance(data, Tensor):
        return data if dtype is None or backend.as_dtype(dtype) == data.dtype else \
            cast(data, backend.as_dtype(dtype))
    return _as_tensor(data, dtype)


def asarray(obj: TensorLike, *,
           dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
            copy: Optional[bool] = None, requires_grad: bool = False) -> Tensor:
    """y = obj as a Tensor (``torch.asarray``): shares obj's memory unless ``copy=True`` or a
    ``dtype`` conversion needs one (then ``copy=False`` raises ValueError); ``requires_grad``
    makes the result a leaf that requires grad."""
    check_device("asarray", device)
    array = obj.array if isinstance(obj, Tensor) else obj
    dtype = None if dtype is None else backend.as_dtype(dtype)
    if isinstance(array, np.ndarray):
        if dtype is not None and dtype != array.dtype and copy is False:
            raise ValueError(f"asarray: can't alias an array of dtype {array.dtype} as {dtype} "
                             "with copy=False")
        if copy is True:
            array = array.astype(dtype or array.dtype, copy=True)
        elif dtype is not None:
            array = array.astype(dtype, copy=False)
        if isinstance(obj, Tensor) and array is obj.array and not requires_grad:
            return obj
        return _new("asarray", array, requires_grad)
    if copy is False:
        raise ValueError(f"asarray: {type(obj).__name__} data cannot be shared with copy=False; "
                         "it must be copied into a new tensor")
    return _new("asarray", _to_array(obj, dtype), requires_grad)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """y = the NumPy array as a Tensor sharing its memory: a change through either is seen by
    the other. The array must be numeric (bool, int, uint, float, complex) and native-endian."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(ndarray).__name__})")
    if ndarray.dtype.kind not in "biufc":
        raise TypeError(f"from_numpy: can't convert an array of dtype {ndarray.dtype}; the "
                        "supported ones are bool, integer, unsigned, floating and complex")
    if not ndarray.dtype.isnative:
        raise ValueError(f"from_numpy: the array's byte order ({ndarray.dtype.str}) is not the "
                         "machine's; convert it with ndarray.astype(ndarray.dtype.newbyteorder('='))")
    return Tensor._wrap(ndarray)


# ---------------------------------------------------------------- filled with a constant
def zeros(*size: ShapeLike, dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
          requires_grad: bool = False, **size_keyword: ShapeLike) -> Tensor:
    """y_i = 0 for every index of the given size (``zeros(2, 3)``, ``zeros((2, 3))`` or
    ``size=(2, 3)``); the default float dtype unless ``dtype`` says."""
    check_device("zeros", device)
    dtype = backend.as_dtype(dtype)
    return _new("zeros", np.zeros(_size("zeros", size, size_keyword, dtype), dtype), requires_grad)


def ones(*size: ShapeLike, dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
         requires_grad: bool = False, **size_keyword: ShapeLike) -> Tensor:
    """y_i = 1 for every index of the given size (``ones(2, 3)`` or ``ones((2, 3))``); the
    default float dtype unless ``dtype`` says."""
    check_device("ones", device)
    dtype = backend.as_dtype(dtype)
    return _new("ones", np.ones(_size("ones", size, size_keyword, dtype), dtype), requires_grad)


def empty(*size: ShapeLike, dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
          requires_grad: bool = False, **size_keyword: ShapeLike) -> Tensor:
    """y = an uninitialised tensor of the given size (its values are whatever memory held)."""
    check_device("empty", device)
    dtype = backend.as_dtype(dtype)
    return _new("empty", np.empty(_size("empty", size, size_keyword, dtype), dtype), requires_grad)


def _fill_dtype(fill_value: Any, dtype: Optional[DType]) -> np.dtype:
    if dtype is None and isinstance(fill_value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if dtype is None and isinstance(fill_value, (int, np.integer)):
        return np.dtype(np.int64)
    return backend.as_dtype(dtype)


def _filled(op: str, shape: tuple[int, ...], fill_value: Any, dtype: np.dtype) -> np.ndarray:
    if isinstance(fill_value, Tensor):
        if fill_value.numel() != 1:
            raise RuntimeError(f"{op}: fill_value must be a number or a one-element tensor, got "
                               f"shape {fill_value.shape}")
        fill_value = fill_value.item()
    if dtype.kind in "iub" and isinstance(fill_value, float) and not math.isfinite(fill_value):
        raise RuntimeError(f"{op}: value {fill_value} cannot be converted to {dtype}")
    return np.full(shape, fill_value, dtype=dtype)


def full(size: Sequence[int], fill_value: Number, *,
           dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
         requires_grad: bool = False) -> Tensor:
    """y_i = fill_value for every index of ``size`` (a tuple); as in PyTorch a bool value gives
    a bool tensor, an int an int64 one, a float the default float dtype."""
    check_device("full", device)
    if not _is_size(size):
        raise TypeError(f"full: size must be a tuple of ints, not {type(size).__name__}")
    dtype = _fill_dtype(fill_value, dtype)
    shape = _size("full", (size,), dtype=dtype)
    return _new("full", _filled("full", shape, fill_value, dtype), requires_grad)


def zeros_like(input: Tensor, *,
           dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
               requires_grad: bool = False) -> Tensor:
    """y_i = 0 with input's shape and (unless ``dtype`` says) dtype."""
    check_device("zeros_like", device)
    input = _tensor_input("zeros_like", input)
    return _new("zeros_like", np.zeros(input.shape, _like_dtype(input, dtype)), requires_grad)


def ones_like(input: Tensor, *,
           dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
              requires_grad: bool = False) -> Tensor:
    """y_i = 1 with input's shape and (unless ``dtype`` says) dtype (True for bool)."""
    check_device("ones_like", device)
    input = _tensor_input("ones_like", input)
    return _new("ones_like", np.ones(input.shape, _like_dtype(input, dtype)), requires_grad)


def empty_like(input: Tensor, *,
           dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
               requires_grad: bool = False) -> Tensor:
    """y = an uninitialised tensor with input's shape and (unless ``dtype`` says) dtype."""
    check_device("empty_like", device)
    input = _tensor_input("empty_like", input)
    return _new("empty_like", np.empty(input.shape, _like_dtype(input, dtype)), requires_grad)


def full_like(input: Tensor, fill_value: Number, *,
           dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
              requires_grad: bool = False) -> Tensor:
    """y_i = fill_value with input's shape and (unless ``dtype`` says) dtype: the value is
    converted to that dtype (2.7 into an int tensor is 2, as in PyTorch)."""
    check_device("full_like", device)
    input = _tensor_input("full_like", input)
    return _new("full_like", _filled("full_like", input.shape, fill_value,
                                     _like_dtype(input, dtype)), requires_grad)


# ---------------------------------------------------------------- ranges
def _scalar(op: str, name: str, value: Any) -> Union[int, float]:
    """A range bound as a Python int or float (0-d tensors and NumPy scalars included)."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise TypeError(f"{op}: {name} must be a number, got a tensor of shape {value.shape}")
        value = value.item()
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    raise TypeError(f"{op}: {name} must be a number, got {type(value).__name__} {value!r}")


def _range_dtype(op: str, dtype: Optional[DType], values: tuple[float, ...]) -> np.dtype:
    if dtype is None:
        floating = any(isinstance(v, float) for v in values)
        return backend.get_default_dtype() if floating else np.dtype(np.int64)
    dtype = backend.as_dtype(dtype)
    if dtype.kind not in "iuf":
        raise TypeError(f"{op}: not implemented for dtype {dtype}")
    return dtype


def arange(start: Union[Number, Tensor], end: Union[Number, Tensor, None] = None,
           step: Union[Number, Tensor] = 1, *,
           dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
           requires_grad: bool = False) -> Tensor:
    """y_i = start + i * step for i = 0, 1, ... while y_i < end (> end for a negative step):
    ceil((end - start) / step) values, end excluded; ``arange(n)`` is 0, ..., n - 1. Integers
    (int64) unless an argument is a float (the default float dtype). With an integer ``dtype``
    the values are int(start) + i * int(step) as PyTorch's (int64 also truncates end before
    counting; a step that truncates to 0 raises there)."""
    check_device("arange", device)
    if end is None:
        start, end = 0, start
    start, end, step = (_scalar("arange", n, v) for n, v in
                        (("start", start), ("end", end), ("step", step)))
    dtype = _range_dtype("arange", dtype, (start, end, step))
    if step == 0 or not math.isfinite(step):
        raise ValueError(f"arange: step must be nonzero and finite, got step={step}")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"arange: unsupported range: {start} -> {end}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError(f"arange: upper bound and lower bound inconsistent with step sign: "
                           f"start={start}, end={end}, step={step}")
    if dtype == np.int64:  # PyTorch counts int64 ranges from the truncated bounds
        if int(step) == 0:
            raise ValueError(f"arange: step must be nonzero once truncated to int64, got "
                             f"step={step}")
        start, end, step = int(start), int(end), int(step)
    count = max(0, math.ceil((end - start) / step))
    backend.check_nbytes("arange", (count,), dtype)
    if dtype.kind in "iu":
        start, step = int(start), int(step)
    ramp: np.ndarray = np.arange(count, dtype=np.int64 if dtype.kind in "iu" else np.float64)
    return _new("arange", (start + ramp * step).astype(dtype), requires_grad)


def _fused_multiply_add(a: Any, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """a * b + c rounded once (as a fused multiply-add), for float64 arrays: the exact product as
    p + e (Veltkamp's split), the exact sum c + p as s + t, then s + (t + e)."""
    def split(x: Any) -> tuple[Any, Any]:
        scaled = 134217729.0 * x  # 2**27 + 1
        high = scaled - (scaled - x)
        return high, x - high
    with np.errstate(over="ignore", invalid="ignore"):
        p = a * b
        (a_hi, a_lo), (b_hi, b_lo) = split(a), split(b)
        e = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
        s = c + p
        virtual = s - c
        t = (c - (s - virtual)) + (p - virtual)
        fused = s + (t + e)
    return np.where(np.isfinite(fused), fused, p + c)


def _spaced(op: str, start: Any, end: Any, steps: Any, dtype: np.dtype) -> np.ndarray:
    """PyTorch's linspace values: step = (end - start) / (steps - 1); the first half counts up
    from start (start + step * i), the second half down from end (end - step * (steps - 1 - i)),
    each a fused multiply-add as PyTorch's CPU kernel computes it. In ``dtype`` for floats
    (float64 products, rounded to it), in float64 from int-truncated start and end for integer
    dtypes (then truncated)."""
    start, end = _scalar(op, "start", start), _scalar(op, "end", end)
    if isinstance(steps, float):
        raise TypeError(f"{op}: steps must be an int, got float {steps!r}")
    steps = _scalar(op, "steps", steps)
    if steps < 0:
        raise RuntimeError(f"{op}: number of steps must be non-negative, got {steps}")
    compute = dtype if dtype.kind == "f" else np.dtype(np.float64)
    if steps == 1:  # start itself (not truncated first)
        return np.full(1, start, dtype=compute)
    if dtype.kind in "iu":
        start, end = int(start), int(end)
    first, last = compute.type(start), compute.type(end)
    step = (last - first) / compute.type(max(steps - 1, 1))
    index = np.arange(steps)
    up = index < steps // 2
    if compute == np.float16:  # PyTorch's Half rounds after each operation, the index too
        with np.errstate(over="ignore", invalid="ignore"):
            return np.where(up, first + step * index.astype(np.float16),
                            last - step * (steps - 1 - index).astype(np.float16))
    base = np.where(up, first, last).astype(np.float64)
    factor = np.where(up, index, index - (steps - 1)).astype(np.float64)
    if compute == np.float64:
        values = _fused_multiply_add(np.float64(step), factor, base)
    else:  # a float32 product is exact in float64: one rounding to float32 after the sum
        values = np.float64(step) * factor + base
    return values.astype(compute)


def linspace(start: Union[Number, Tensor], end: Union[Number, Tensor], steps: int, *,
             dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
             requires_grad: bool = False) -> Tensor:
    """y_i = start + i (end - start) / (steps - 1), i = 0, ..., steps - 1: ``steps`` evenly spaced
    values from start to end, both included. The default float dtype unless ``dtype`` says; an
    integer dtype truncates (as PyTorch: linspace(0, 10, 7, dtype=int64) is 0, 1, 3, 5, 6, 8, 10)."""
    check_device("linspace", device)
    dtype = backend.as_dtype(dtype)
    if dtype.kind not in "iuf":
        raise TypeError(f"linspace: not implemented for dtype {dtype}")
    return _new("linspace", _spaced("linspace", start, end, steps, dtype).astype(dtype),
                requires_grad)


def logspace(start: Union[Number, Tensor], end: Union[Number, Tensor], steps: int,
             base: float = 10.0, *,
           dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
             requires_grad: bool = False) -> Tensor:
    """y_i = base ** (start + i (end - start) / (steps - 1)), i = 0, ..., steps - 1: ``steps``
    values evenly spaced on a log scale from base**start to base**end. The default float dtype
    unless ``dtype`` says. As PyTorch: start and end are first converted to the dtype (an
    integer one truncates them), the exponents and powers are computed in float64, then
    converted (truncated for integers)."""
    check_device("logspace", device)
    dtype = backend.as_dtype(dtype)
    if dtype.kind not in "iuf":
        raise TypeError(f"logspace: not implemented for dtype {dtype}")
    first, last = _scalar("logspace", "start", start), _scalar("logspace", "end", end)
    if isinstance(steps, float):
        raise TypeError(f"logspace: steps must be an int, got float {steps!r}")
    n = _scalar("logspace", "steps", steps)
    if n < 0:
        raise RuntimeError(f"logspace: number of steps must be non-negative, got {n}")
    base = float(_scalar("logspace", "base", base))
    if n == 1:
        exponents = np.full(1, float(first))
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            first, last = dtype.type(first), dtype.type(last)
            step = float(last - first) / max(n - 1, 1)
            index = np.arange(n)
            exponents = np.where(index < n // 2, float(first) + step * index,
                                 float(last) - step * (n - 1 - index))
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        # in long double: closer to C's correctly rounded pow than NumPy's float64 SIMD power,
        # whose last-bit errors an integer dtype would truncate (10**2 as 99.999...)
        values = np.power(np.longdouble(base), exponents.astype(np.longdouble))
        return _new("logspace", values.astype(np.float64).astype(dtype), requires_grad)


# ---------------------------------------------------------------- random
def _uniform01(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    values = rng.random(shape, dtype=draw_dtype(dtype)).astype(dtype, copy=False)
    if dtype == np.float16:  # rounding float32 draws to float16 must not reach 1
        np.minimum(values, np.nextafter(np.float16(1), np.float16(0)), out=values)
    return values


def rand(*size: ShapeLike, generator: Optional[np.random.Generator] = None,
         dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
         requires_grad: bool = False, **size_keyword: ShapeLike) -> Tensor:
    """y_i ~ U[0, 1) independently, of the given size, from the seeded generator (``manual_seed``);
    the default float dtype unless ``dtype`` says (a floating one)."""
    check_device("rand", device)
    dtype = backend.as_dtype(dtype)
    floating_only("rand", dtype, "dtype")
    shape = _size("rand", size, size_keyword, dtype)
    return _new("rand", _uniform01(generator_of("rand", generator), shape, dtype), requires_grad)


def randn(*size: ShapeLike, generator: Optional[np.random.Generator] = None,
          dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
          requires_grad: bool = False, **size_keyword: ShapeLike) -> Tensor:
    """y_i ~ N(0, 1) independently, of the given size, from the seeded generator (``manual_seed``);
    the default float dtype unless ``dtype`` says (a floating one)."""
    check_device("randn", device)
    dtype = backend.as_dtype(dtype)
    floating_only("randn", dtype, "dtype")
    rng = generator_of("randn", generator)
    values = rng.standard_normal(_size("randn", size, size_keyword, dtype), dtype=draw_dtype(dtype))
    return _new("randn", values.astype(dtype, copy=False), requires_grad)


def rand_like(input: Tensor, *, generator: Optional[np.random.Generator] = None,
              dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
              requires_grad: bool = False) -> Tensor:
    """y_i ~ U[0, 1) with input's shape and (unless ``dtype`` says) its floating dtype."""
    input = _tensor_input("rand_like", input)
    return rand(input.shape, generator=generator, dtype=_like_dtype(input, dtype), device=device,
                requires_grad=requires_grad)


def randn_like(input: Tensor, *, generator: Optional[np.random.Generator] = None,
               dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
               requires_grad: bool = False) -> Tensor:
    """y_i ~ N(0, 1) with input's shape and (unless ``dtype`` says) its floating dtype."""
    input = _tensor_input("randn_like", input)
    return randn(input.shape, generator=generator, dtype=_like_dtype(input, dtype), device=device,
                 requires_grad=requires_grad)


def _int_bound(op: str, name: str, value: Any) -> int:
    try:
        if isinstance(value, (float, np.floating)):
            raise TypeError
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{op}: {name} must be an int, got {type(value).__name__} {value!r}") from None


def _low_high(op: str, args: Sequence[Any], low: Optional[Any], high: Optional[Any]
              ) -> tuple[int, int]:
    """PyTorch's (low=0, high) from positional ``args`` and the keywords."""
    args = list(args)
    if len(args) > 2 - (high is not None) - (low is not None):
        raise TypeError(f"{op}: expects the bounds as (high) or (low, high), got {len(args)} "
                        f"positional bounds {tuple(args)} with low={low}, high={high}")
    if high is None:
        if not args:
            raise TypeError(f"{op}: missing the upper bound high")
        high = args.pop()
    if args:
        low = args.pop()
    low = _int_bound(op, "low", 0 if low is None else low)
    return low, _int_bound(op, "high", high)


def _integers(op: str, rng: np.random.Generator, low: int, high: int, shape: tuple[int, ...],
              dtype: np.dtype) -> np.ndarray:
    """Integers uniform on [low, high) in ``dtype`` (whose range must hold low and high - 1)."""
    if low >= high:
        raise RuntimeError(f"{op}: expects 'low' to be less than 'high', but got low={low} >= "
                           f"high={high}")
    if dtype.kind in "iub":
        info = (0, 1) if dtype.kind == "b" else (int(np.iinfo(dtype).min), int(np.iinfo(dtype).max))
        if not info[0] <= low <= info[1]:
            raise RuntimeError(f"{op}: low={low} is out of bounds for {dtype}")
        if not info[0] <= high - 1 <= info[1]:
            raise RuntimeError(f"{op}: high - 1 = {high - 1} is out of bounds for {dtype}")
    elif dtype.kind != "f":
        raise TypeError(f"{op}: not implemented for dtype {dtype}")
    draw = dtype if dtype.kind in "iu" else np.dtype(np.int64)
    return rng.integers(low, high, size=shape, dtype=draw).astype(dtype, copy=False)


def randint(*args: ShapeLike, size: Optional[Sequence[int]] = None, low: Optional[int] = None,
            high: Optional[int] = None, generator: Optional[np.random.Generator] = None,
            dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
            requires_grad: bool = False) -> Tensor:
    """y_i uniform on the integers low, ..., high - 1, of shape ``size``, with PyTorch's signature
    randint(low=0, high, size): ``randint(10, (2, 3))`` is high=10 with size (2, 3),
    ``randint(3, 10, (2,))`` low=3, high=10. int64 unless ``dtype`` says."""
    check_device("randint", device)
    bounds = list(args)
    shape: ShapeLike
    if size is None:
        if not bounds or not _is_size(bounds[-1]):
            raise TypeError(f"randint: size must be a tuple of ints, got "
                            f"{type(bounds[-1]).__name__ if bounds else 'nothing'}: call "
                            "randint(high, size) or randint(low, high, size)")
        shape = bounds.pop()
    else:
        shape = size
    low, high = _low_high("randint", bounds, low, high)
    dtype = np.dtype(np.int64) if dtype is None else backend.as_dtype(dtype)
    values = _integers("randint", generator_of("randint", generator), low, high,
                       _size("randint", (shape,), dtype=dtype), dtype)
    return _new("randint", values, requires_grad)


def randint_like(input: Tensor, *args: int, low: Optional[int] = None,
                 high: Optional[int] = None, generator: Optional[np.random.Generator] = None,
                 dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
                 requires_grad: bool = False) -> Tensor:
    """y_i uniform on the integers low, ..., high - 1 with input's shape and (unless ``dtype``
    says) dtype: ``randint_like(x, high)`` or ``randint_like(x, low, high)``."""
    check_device("randint_like", device)
    input = _tensor_input("randint_like", input)
    low, high = _low_high("randint_like", args, low, high)
    dtype = _like_dtype(input, dtype)
    values = _integers("randint_like", generator_of("randint_like", generator), low, high,
                       input.shape, dtype)
    return _new("randint_like", values, requires_grad)


def randperm(n: int, *, generator: Optional[np.random.Generator] = None,
             dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
             requires_grad: bool = False) -> Tensor:
    """y = a random permutation of 0, ..., n - 1 (every order equally likely); int64 unless
    ``dtype`` says."""
    check_device("randperm", device)
    n = _int_bound("randperm", "n", n)
    if n < 0:
        raise ValueError(f"randperm: n must be non-negative, got {n}")
    dtype = np.dtype(np.int64) if dtype is None else backend.as_dtype(dtype)
    if dtype.kind in "iu" and n - 1 > np.iinfo(dtype).max:
        raise RuntimeError(f"randperm: n={n} is too large for {dtype}")
    values = generator_of("randperm", generator).permutation(n).astype(dtype)
    return _new("randperm", values, requires_grad)


# ---------------------------------------------------------------- type tests and sizes
def is_tensor(obj: object) -> bool:
    """True exactly when ``obj`` is a gradsheet Tensor."""
    return isinstance(obj, Tensor)


@tensor_method("is_floating_point")
def is_floating_point(input: Tensor) -> bool:
    """True when input's dtype is a floating one (float16, float32, float64)."""
    return _tensor_input("is_floating_point", input).dtype.kind == "f"


def numel(input: Tensor) -> int:
    """The number of elements of input: the product of its shape."""
    return _tensor_input("numel", input).numel()


@tensor_method("element_size")
def element_size(input: Tensor) -> int:
    """The size of one element in bytes (4 for float32)."""
    return input.dtype.itemsize


@tensor_property("itemsize")
def itemsize(input: Tensor) -> int:
    """The size of one element in bytes (``element_size()``)."""
    return input.dtype.itemsize


@tensor_property("nbytes")
def nbytes(input: Tensor) -> int:
    """numel() * element_size(): the bytes the elements take (counting each position once)."""
    return input.numel() * input.dtype.itemsize


class _TensorType(type):
    """The metaclass of FloatTensor & co.: calling one constructs a Tensor of its dtype as
    ``torch.Tensor`` does; ``isinstance(x, FloatTensor)`` is True exactly for float32 tensors."""

    dtype: np.dtype  # each class's own (set by _tensor_type)

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __call__(cls, *args: Any, device: Optional[DeviceLike] = None) -> Tensor:
        check_device(cls.__name__, device)
        if len(args) == 1 and isinstance(args[0], Tensor) and args[0].dtype != cls.dtype:
            raise TypeError(f"{cls.__name__}: expected a tensor of dtype {cls.dtype}, got "
                            f"{args[0].dtype}; convert it with .to({cls.dtype})")
        return Tensor(*args, dtype=cls.dtype)


def _tensor_type(name: str, dtype: type) -> _TensorType:
    doc = (f"PyTorch's legacy {name} constructor: ``{name}(2, 3)`` is an uninitialised "
           f"{np.dtype(dtype)} tensor of shape (2, 3), ``{name}(data)`` copies data into "
           f"{np.dtype(dtype)}; ``isinstance(x, {name})`` tests that x is a {np.dtype(dtype)} "
           "Tensor.")
    return _TensorType(name, (), {"__doc__": doc, "__module__": __name__, "dtype": np.dtype(dtype)})


FloatTensor = _tensor_type("FloatTensor", np.float32)
DoubleTensor = _tensor_type("DoubleTensor", np.float64)
HalfTensor = _tensor_type("HalfTensor", np.float16)
LongTensor = _tensor_type("LongTensor", np.int64)
IntTensor = _tensor_type("IntTensor", np.int32)
ShortTensor = _tensor_type("ShortTensor", np.int16)
CharTensor = _tensor_type("CharTensor", np.int8)
ByteTensor = _tensor_type("ByteTensor", np.uint8)
BoolTensor = _tensor_type("BoolTensor", np.bool_)


# gradsheet.* (torch.*) names defined here; gradsheet/__init__.py imports them with *
__all__ = [
    "BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor", "HalfTensor",
    "IntTensor", "LongTensor", "ShortTensor", "arange", "as_tensor", "asarray", "empty",
    "empty_like", "from_numpy", "full", "full_like", "is_floating_point", "is_tensor",
    "linspace", "logspace", "numel", "ones", "ones_like", "rand", "rand_like", "randint",
    "randint_like", "randn", "randn_like", "randperm", "tensor", "zeros", "zeros_like",
]
