"""dtype and device conversions: ``x.to(dtype)``, ``x.to(device)``, ``x.float()``, ``x.cpu()``

    y = x converted to another dtype;  between floating dtypes the gradient is converted back,
    to an integer or bool dtype no gradient flows (as in PyTorch).

gradsheet has one device, the CPU (``gradsheet.devices``): moving a tensor there returns it.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, Optional, Union

import numpy as np

from .. import backend
from .. import devices
from ..autograd.methods import tensor_method, tensor_property
from .elementwise import cast

if TYPE_CHECKING:
    from .._typing import DType, DeviceLike, Tensor


@tensor_method("to")
def to(input: Tensor, *args: Any, dtype: Optional[DType] = None,
       device: Optional[DeviceLike] = None, non_blocking: bool = False, copy: bool = False,
       memory_format: Any = None) -> Tensor:
    """input in another dtype, as PyTorch's ``x.to``: ``x.to(dtype)``, ``x.to(device)``,
    ``x.to(device, dtype)``, ``x.to(other)`` (other's dtype and device), keywords ``dtype=``,
    ``device=``; ``copy=True`` always returns a new tensor. The CPU is the only device
    (another raises); differentiable between floating dtypes."""
    device, dtype = devices.to_arguments(args, device, dtype)
    devices.check(device, "to")
    result = input if dtype is None else cast(input, backend.as_dtype(dtype))
    return result.clone() if copy and result is input else result


@tensor_property("device")
def device_of(input: Tensor) -> devices.device:
    """The device the tensor is on: always ``device(type='cpu')`` in gradsheet."""
    return devices.CPU


def _not_on(kind: str) -> Callable[[Tensor], bool]:
    def is_on(input: Tensor) -> bool:
        return False
    is_on.__name__ = f"is_{kind}"
    is_on.__doc__ = f"False: gradsheet tensors live on the CPU, never on {kind.upper()}."
    tensor_property(f"is_{kind}")(is_on)
    return is_on


is_cuda, is_xpu, is_mps, is_meta, is_ipu, is_xla = (
    _not_on(kind) for kind in ("cuda", "xpu", "mps", "meta", "ipu", "xla"))


@tensor_property("is_cpu")
def is_cpu(input: Tensor) -> bool:
    """True: gradsheet tensors live on the CPU."""
    return True


@tensor_method("cpu")
def cpu(input: Tensor, memory_format: Any = None) -> Tensor:
    """input itself: it is on the CPU already."""
    return input


@tensor_method("cuda")
def cuda(input: Tensor, device: Optional[DeviceLike] = None, non_blocking: bool = False,
         memory_format: Any = None) -> NoReturn:
    """Raises: gradsheet has no CUDA device (``gs.cuda.is_available()`` is False); a device
    that is not a CUDA one (``x.cuda("cpu")``) is refused as torch refuses it."""
    wanted = devices.device("cuda" if device is None else device)
    if wanted.type != "cuda":
        raise RuntimeError(f"cuda: invalid device {str(wanted)!r}, must be a cuda device (as "
                           "torch's x.cuda)")
    devices.unavailable(wanted, "cuda")


def _type_method(self: Tensor, dtype: Optional[DType] = None) -> Union[str, Tensor]:
    return type_(self, dtype)


@tensor_method("type", as_method=_type_method)
def type_(input: Tensor, dtype: Optional[DType] = None) -> Union[str, Tensor]:
    """With ``dtype``: input converted to it (``to``); without: the type's name, as PyTorch's
    ``x.type()`` ('torch.FloatTensor' for float32)."""
    if dtype is None:
        return TYPE_NAMES.get(input.dtype, f"gradsheet.{input.dtype}Tensor")
    return to(input, dtype)


# dtype -> PyTorch's type name (x.type(), Module.type('torch.DoubleTensor'))
TYPE_NAMES = {np.dtype(d): f"torch.{name}Tensor" for d, name in [
    (np.float32, "Float"), (np.float64, "Double"), (np.float16, "Half"), (np.int64, "Long"),
    (np.int32, "Int"), (np.int16, "Short"), (np.int8, "Char"), (np.uint8, "Byte"),
    (np.bool_, "Bool")]}


def _conversion(name: str, dtype: type) -> Callable[[Tensor], Tensor]:
    def convert(input: Tensor) -> Tensor:
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
