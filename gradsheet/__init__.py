"""gradsheet: the deep-learning cheat sheet made executable.

A from-scratch deep-learning and reinforcement-learning library on NumPy with
a PyTorch-shaped API: ``gradsheet.tensor``, ``gradsheet.nn``,
``gradsheet.optim``, ``gradsheet.data``, ``gradsheet.train``.
"""
from .backend import get_default_dtype, manual_seed, set_default_dtype
from . import memory as _memory
from .autograd import (Function, GradcheckError, Tensor, enable_grad, gradcheck,
                       is_grad_enabled, no_grad, set_grad_enabled)
from .autograd.tensor import as_tensor
# The torch.* functions: each module's __all__ lists its own.
from .factories import *
from .ops.activation import *
from .ops.binary import *
from .ops.comparison import *
from .ops.elementwise import *
from .ops.indexing import *
from .ops.linalg import *
from .ops.random import *
from .ops.reduce import *
from .ops.scan import *
from .ops.shape import *
from .ops.sort import *
from .ops.unary import *
from .ops import (activation as _activation, binary as _binary, comparison as _comparison,
                  elementwise as _elementwise, indexing as _indexing, linalg as _linalg,
                  random as _random, reduce as _reduce, scan as _scan, shape as _shape,
                  sort as _sort, unary as _unary)
from . import factories as _factories
from .summary import summary
import importlib as _importlib

import numpy as _np

float32 = _np.float32
float64 = _np.float64
float16 = _np.float16
int64 = _np.int64
int32 = _np.int32
bool_ = _np.bool_
long = _np.int64

__version__ = "0.1.0"

_memory.keep_freed_memory_unless_disabled()  # see gradsheet.memory

__all__ = [
    "Function", "GradcheckError", "Tensor", "as_tensor", "bool_", "enable_grad", "float16",
    "float32", "float64", "get_default_dtype", "gradcheck", "int32", "int64", "is_grad_enabled",
    "load", "long", "manual_seed", "no_grad", "save", "set_default_dtype", "set_grad_enabled",
    "summary", "nn", "optim", "data", "train", "io", "tour", "rl", "onnx", "models", "linalg",
] + [name for module in (_factories, _activation, _binary, _comparison, _elementwise, _indexing,
                         _linalg, _random, _reduce, _scan, _shape, _sort, _unary)
     for name in module.__all__]

# Subpackages load on first use so that `import gradsheet` stays fast.
_SUBPACKAGES = ("nn", "optim", "data", "train", "io", "tour", "rl", "onnx", "models", "linalg")


def __getattr__(name):
    if name in _SUBPACKAGES:
        return _importlib.import_module(f".{name}", __name__)
    if name in ("save", "load"):
        return getattr(_importlib.import_module(".io", __name__), name)
    raise AttributeError(f"module 'gradsheet' has no attribute {name!r}")
