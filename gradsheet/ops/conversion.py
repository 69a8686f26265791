"""dtype conversions: ``x.to(dtype)``, ``x.float()``, ``x.long()``, ...

    y = x converted to another dtype;  between floating dtypes the gradient is converted back,
    to an integer or bool dtype no gradient flows (as in PyTorch).
"""
import numpy as np

from .. import backend
from ..autograd.methods import tensor_method
from ..autograd.tensor import Tensor
from .elementwise import cast


@tensor_method("to")
def to(input, *args, dtype=None, non_blocking=False, copy=False, **kwargs):
    """input in ``dtype``: ``x.to(dtype)``, ``x.to(other)`` (other's dtype), ``x.to("cpu")``
    (gradsheet's one device); ``copy=True`` always returns a new tensor. Differentiable
    between floating dtypes."""
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif isinstance(arg, str) and arg.split(":")[0] in ("cpu",):
            continue
        else:
            dtype = arg
    kwargs.pop("device", None)
    if kwargs:
        raise TypeError(f"to: unexpected keyword arguments {sorted(kwargs)}")
    result = input if dtype is None else cast(input, backend.as_dtype(dtype))
    return result.clone() if copy and result is input else result


@tensor_method("type", as_method=lambda self, dtype=None: type_(self, dtype))
def type_(input, dtype=None):
    """With ``dtype``: input converted to it (``to``); without: the type's name, as PyTorch's
    ``x.type()`` ('torch.FloatTensor' for float32)."""
    if dtype is None:
        return _TYPE_NAMES.get(input.dtype, f"gradsheet.{input.dtype}Tensor")
    return to(input, dtype)


_TYPE_NAMES = {np.dtype(d): f"torch.{name}Tensor" for d, name in [
    (np.float32, "Float"), (np.float64, "Double"), (np.float16, "Half"), (np.int64, "Long"),
    (np.int32, "Int"), (np.int16, "Short"), (np.int8, "Char"), (np.uint8, "Byte"),
    (np.bool_, "Bool")]}


def _conversion(name, dtype):
    def convert(input):
        return cast(input, np.dtype(dtype))
    convert.__name__ = name
    convert.__doc__ = f"input as {np.dtype(dtype)} (``x.to({np.dtype(dtype)})``)."
    tensor_method(name)(convert)
    return convert


float_ = _conversion("float", np.float32)
double = _conversion("double", np.float64)
half = _conversion("half", np.float16)
long = _conversion("long", np.int64)
int_ = _conversion("int", np.int32)
short = _conversion("short", np.int16)
char = _conversion("char", np.int8)
byte = _conversion("byte", np.uint8)
bool_ = _conversion("bool", np.bool_)
