"""The array module, the default floating dtype and the random generator.

Every op reaches NumPy through ``xp`` so that a GPU array module (CuPy) can be
swapped in later in this one place. Randomness comes from one seeded
``numpy.random.Generator``: ``manual_seed(s)`` makes runs bit-for-bit
reproducible.
"""
import numpy as np

xp = np

_default_dtype = np.dtype(np.float32)
_generator = np.random.default_rng()

_DTYPE_NAMES = {
    "float32": np.float32, "float64": np.float64, "float16": np.float16,
    "int64": np.int64, "int32": np.int32, "int8": np.int8, "uint8": np.uint8,
    "bool": np.bool_,
}


def as_dtype(dtype):
    """Normalise ``dtype`` (a numpy dtype, a type or a name such as 'float64')."""
    if dtype is None:
        return _default_dtype
    if isinstance(dtype, str):
        if dtype not in _DTYPE_NAMES:
            raise TypeError(f"unknown dtype {dtype!r}; expected one of {sorted(_DTYPE_NAMES)}")
        dtype = _DTYPE_NAMES[dtype]
    return np.dtype(dtype)


def get_default_dtype():
    """The floating dtype new tensors get: float32 unless ``set_default_dtype`` changed it."""
    return _default_dtype


def set_default_dtype(dtype):
    """Make ``dtype`` (float32 or float64) the dtype of new floating tensors and parameters."""
    global _default_dtype
    dtype = as_dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {dtype}")
    _default_dtype = dtype


def manual_seed(seed):
    """Seed the generator behind every random op (randn, init, dropout, shuffling)."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def default_generator():
    """The ``numpy.random.Generator`` that random ops draw from."""
    return _generator


def get_rng_state():
    """The generator's state, a dict that ``set_rng_state`` restores."""
    return _generator.bit_generator.state


def set_rng_state(state):
    """Restore the generator to ``state``, a dict from ``get_rng_state``: the draws that follow
    repeat those that followed it.
    """
    _generator.bit_generator.state = state
