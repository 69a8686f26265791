"""The dtypes and the random generator: what every op takes from here, and what it does not.

Through this module go
- dtypes: ``as_dtype`` (PyTorch's names, NumPy dtypes, ``gs.bfloat16`` refused) and the
  default floating dtype (``get_default_dtype`` / ``set_default_dtype``), read by the
  factories, ``Tensor(...)`` and every layer's parameters;
- randomness: one seeded ``numpy.random.Generator`` (``default_generator``, ``manual_seed``,
  ``get_rng_state`` / ``set_rng_state``), drawn from by ``gs.rand*``, dropout, the init
  functions, the distributions, the datasets and samplers when given no generator of their
  own: ``manual_seed(s)`` makes runs bit-for-bit reproducible;
- the size limit of one array: ``check_nbytes`` (what the factories and the layers' parameters
  check a shape against before allocating, ``MAX_ARRAY_BYTES``).

Not through it: the arrays themselves. The ops, the engine and the layers import NumPy
directly (``import numpy as np``) and compute on ``numpy.ndarray``; there is no array-module
indirection (``xp``) to swap a GPU library in. A GPU backend would have to add one here and
move the ops to it (``gradsheet.cuda`` / ``gradsheet.devices`` only report that none exists).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

if TYPE_CHECKING:
    from ._typing import DType

_default_dtype = np.dtype(np.float32)
_generator = np.random.default_rng()

# PyTorch's dtype names (gs.float is float32, gs.long int64, ...) and NumPy's
_DTYPE_NAMES = {
    "float32": np.float32, "float": np.float32, "float64": np.float64, "double": np.float64,
    "float16": np.float16, "half": np.float16, "int64": np.int64, "long": np.int64,
    "int32": np.int32, "int": np.int32, "int16": np.int16, "short": np.int16, "int8": np.int8,
    "uint8": np.uint8, "bool": np.bool_, "complex64": np.complex64, "cfloat": np.complex64,
    "complex128": np.complex128, "cdouble": np.complex128,
}


class UnsupportedDtype:
    """A PyTorch dtype NumPy cannot hold (``gs.bfloat16``): using it raises, saying so."""

    def __init__(self, name: str, advice: str) -> None:
        self.name, self.advice = name, advice

    def __repr__(self) -> str:
        return f"gradsheet.{self.name} (not supported)"

    def error(self) -> TypeError:
        """The TypeError that using this dtype raises."""
        return TypeError(f"dtype {self.name}: NumPy has no {self.name} type, so gradsheet cannot "
                         f"hold {self.name} tensors; {self.advice}")


bfloat16 = UnsupportedDtype("bfloat16", "use gs.float32 (or gs.float16 to save memory)")


def dtype_names() -> set[str]:
    """The dtype names ``as_dtype`` accepts (PyTorch's and NumPy's), and 'bfloat16'."""
    return set(_DTYPE_NAMES) | {"bfloat16"}


def as_dtype(dtype: Optional[DType]) -> np.dtype:
    """Normalise ``dtype`` (a numpy dtype, a type, or a name such as 'float64', 'long' or
    'torch.float32'); None is the default float dtype."""
    if dtype is None:
        return _default_dtype
    if isinstance(dtype, UnsupportedDtype):
        raise dtype.error()
    if isinstance(dtype, str):
        name = dtype.removeprefix("torch.").removeprefix("gradsheet.")
        if name == "bfloat16":
            raise bfloat16.error()
        if name not in _DTYPE_NAMES:
            raise TypeError(f"unknown dtype {dtype!r}; expected one of {sorted(_DTYPE_NAMES)}")
        dtype = _DTYPE_NAMES[name]
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{dtype!r} is not a dtype (expected e.g. gs.float32, gs.int64 or "
                        "'float64')") from None


# the most bytes one NumPy array can span (its size in bytes must fit an intp)
MAX_ARRAY_BYTES = np.iinfo(np.intp).max


def check_nbytes(op: str, shape: Sequence[int], dtype: DType, what: str = "tensor") -> None:
    """Refuse a shape of more than MAX_ARRAY_BYTES (2**63 - 1) bytes, prod(shape) * itemsize,
    before anything is allocated: a RuntimeError (torch's "Storage size calculation
    overflowed") naming ``op``, the shape and the bytes, where NumPy says only "array is too
    big". A size that could exist but does not fit in memory is left to NumPy's MemoryError.
    """
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    if nbytes > MAX_ARRAY_BYTES:
        raise RuntimeError(f"{op}: a {what} of shape {tuple(shape)} would take {nbytes:.3g} "
                           f"bytes, more than any array can hold ({MAX_ARRAY_BYTES:.3g})")


def get_default_dtype() -> np.dtype:
    """The floating dtype new tensors get: float32 unless ``set_default_dtype`` changed it."""
    return _default_dtype


def set_default_dtype(dtype: DType) -> None:
    """Make ``dtype`` (float32 or float64) the dtype of new floating tensors and parameters."""
    global _default_dtype
    dtype = as_dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {dtype}")
    _default_dtype = dtype


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the generator behind every random op (randn, init, dropout, shuffling)."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def default_generator() -> np.random.Generator:
    """The ``numpy.random.Generator`` that random ops draw from."""
    return _generator


def get_rng_state() -> Mapping[str, Any]:
    """The generator's state, a dict that ``set_rng_state`` restores."""
    return _generator.bit_generator.state


def set_rng_state(state: Mapping[str, Any]) -> None:
    """Restore the generator to ``state``, a dict from ``get_rng_state``: the draws that follow
    repeat those that followed it.
    """
    _generator.bit_generator.state = state
