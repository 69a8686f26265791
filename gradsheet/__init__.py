"""gradsheet: the deep-learning cheat sheet made executable.

A from-scratch deep-learning and reinforcement-learning library on NumPy with
a PyTorch-shaped API: ``gradsheet.tensor``, ``gradsheet.nn``,
``gradsheet.optim``, ``gradsheet.data``, ``gradsheet.train``.
"""
from .backend import get_default_dtype, manual_seed, set_default_dtype
from . import memory as _memory
from .autograd import (Function, GradcheckError, Tensor, enable_grad, gradcheck,
                       is_grad_enabled, no_grad, set_grad_enabled)
from .factories import (arange, empty, full, full_like, linspace, ones, ones_like, rand,
                        rand_like, randint, randn, randn_like, tensor, zeros, zeros_like)
from .ops.elementwise import (abs, add, clamp, clip, div, exp, log, maximum, minimum, mul,
                              neg, pow, sqrt, sub, where)
from .ops.activation import sigmoid, softmax, log_softmax, tanh, relu
from .ops.linalg import matmul
from .ops.reduce import argmax, argmin, logsumexp, max, mean, min, std, sum, var
from .summary import summary
from .ops.shape import (cat, chunk, expand, flatten, permute, reshape, split, squeeze, stack,
                        transpose, unsqueeze)
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
    "Function", "GradcheckError", "Tensor", "abs", "add", "arange", "argmax", "argmin", "bool_",
    "cat", "chunk", "clamp", "clip", "div", "empty", "enable_grad", "exp", "expand", "flatten",
    "float16", "float32", "float64", "full", "full_like", "get_default_dtype", "gradcheck",
    "int32", "int64", "is_grad_enabled", "linspace", "load", "log", "log_softmax", "logsumexp",
    "long", "manual_seed", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "neg",
    "no_grad", "ones", "ones_like", "permute", "pow", "rand", "rand_like", "randint", "randn",
    "randn_like", "relu", "reshape", "save", "set_default_dtype", "set_grad_enabled", "sigmoid",
    "softmax", "split", "sqrt", "squeeze", "stack", "std", "sub", "sum", "summary", "tanh",
    "tensor",
    "transpose", "unsqueeze", "var", "where", "zeros", "zeros_like",
    "nn", "optim", "data", "train", "io", "tour", "rl", "onnx", "models",
]

# Subpackages load on first use so that `import gradsheet` stays fast.
_SUBPACKAGES = ("nn", "optim", "data", "train", "io", "tour", "rl", "onnx", "models")


def __getattr__(name):
    if name in _SUBPACKAGES:
        return _importlib.import_module(f".{name}", __name__)
    if name in ("save", "load"):
        return getattr(_importlib.import_module(".io", __name__), name)
    raise AttributeError(f"module 'gradsheet' has no attribute {name!r}")
