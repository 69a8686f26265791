"""gradsheet: the deep-learning cheat sheet made executable.

A from-scratch deep-learning and reinforcement-learning library on NumPy with
a PyTorch-shaped API: ``gradsheet.tensor``, ``gradsheet.nn``,
``gradsheet.optim``, ``gradsheet.data``, ``gradsheet.train``.
"""
from . import backend as _backend
from .backend import get_default_dtype, manual_seed, set_default_dtype
from . import memory as _memory
from .autograd import (Function, GradcheckError, Tensor, enable_grad, gradcheck,
                       inference_mode, is_grad_enabled, no_grad, set_grad_enabled)
from .devices import device
from .threads import get_num_threads, set_num_threads
from .autograd.anomaly import is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled
from .autograd.tensor import as_tensor
# The torch.* functions: each module's __all__ lists its own.
from .factories import *
from .ops.activation import *
from .ops.binary import *
from .ops.comparison import *
from .ops.elementwise import *
from .ops.fill import *
from .ops.indexing import *
from .ops.linalg import *
from .ops.random import *
from .ops.reduce import *
from .ops.scan import *
from .ops.shape import *
from .ops.sort import *
from .ops.unary import *
from .ops.sparse import *  # after linalg: its mm / matmul also take sparse operands
from .ops import (activation as _activation, binary as _binary, comparison as _comparison,
                  elementwise as _elementwise, fill as _fill, indexing as _indexing, linalg as _linalg,
                  random as _random, reduce as _reduce, scan as _scan, shape as _shape,
                  sort as _sort, sparse as _sparse, unary as _unary)
from . import factories as _factories
from .summary import summary
import importlib as _importlib
from typing import Any as _Any

import numpy as _np

# dtypes under PyTorch's names (NumPy's types: x.dtype == gs.float32 holds)
float32 = float = _np.float32
float64 = double = _np.float64
float16 = half = _np.float16
int64 = long = _np.int64
int32 = int = _np.int32
int16 = short = _np.int16
int8 = _np.int8
uint8 = _np.uint8
bool = bool_ = _np.bool_
complex64 = cfloat = _np.complex64
complex128 = cdouble = _np.complex128
bfloat16 = _backend.bfloat16  # NumPy cannot hold it: using it raises, saying so
finfo = _np.finfo
iinfo = _np.iinfo

__version__ = "0.1.0"

_memory.keep_freed_memory_unless_disabled()  # see gradsheet.memory

__all__ = [
    "Function", "GradcheckError", "Tensor", "as_tensor", "is_anomaly_enabled",
    "is_anomaly_check_nan_enabled", "set_anomaly_enabled", "autograd", "device", "enable_grad",
    "get_default_dtype", "gradcheck", "inference_mode", "is_grad_enabled", "load", "manual_seed",
    "no_grad", "save", "set_default_dtype", "set_grad_enabled", "summary", "finfo", "iinfo",
    "float32", "float", "float64", "double", "float16", "half", "int64", "long", "int32", "int",
    "int16", "short", "int8", "uint8", "bool", "bool_", "complex64", "cfloat", "complex128",
    "cdouble", "bfloat16",
    "get_num_threads", "set_num_threads",
    "nn", "optim", "data", "train", "io", "tour", "rl", "onnx", "models", "cuda", "accelerator",
    "backends", "linalg", "utils", "distributions", "sparse", "distributed",
] + [name for module in (_factories, _activation, _binary, _comparison, _elementwise, _fill, _indexing,
                         _linalg, _random, _reduce, _scan, _shape, _sort, _sparse, _unary)
     for name in module.__all__]

# Subpackages load on first use so that `import gradsheet` stays fast.
_SUBPACKAGES = ("nn", "optim", "data", "train", "io", "tour", "rl", "onnx", "models", "cuda",
                "accelerator", "backends", "linalg", "utils", "distributions", "sparse", "distributed")


def __getattr__(name: str) -> _Any:
    if name in _SUBPACKAGES:
        return _importlib.import_module(f".{name}", __name__)
    if name in ("save", "load"):
        return getattr(_importlib.import_module(".io", __name__), name)
    raise AttributeError(f"module 'gradsheet' has no attribute {name!r}")
