"""Devices: gradsheet computes on the CPU, and says so when a program asks for another.

``gs.device("cpu")``, ``Tensor.device``, ``x.to("cpu")``, ``x.cpu()`` and ``device=`` on
factories and layers work as in PyTorch. ``gs.cuda.is_available()``,
``gs.backends.mps.is_available()`` and ``gs.accelerator.is_available()`` answer False, so a
program that picks its device the usual way

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

runs on the CPU. Using a CUDA (or MPS, XPU, ...) device for a tensor or a layer raises a
RuntimeError that says gradsheet has no such device here and how to check.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn, Optional, Union

if TYPE_CHECKING:
    from ._typing import DType, DeviceLike


class device:
    """A device, as ``torch.device``: ``device("cpu")``, ``device("cuda:1")``,
    ``device("cuda", 0)``; ``type`` and ``index`` as PyTorch. Only "cpu" can hold tensors."""

    __slots__ = ("type", "index")
    type: str
    index: Optional[int]

    def __init__(self, type: Union[str, int, device], index: Optional[int] = None) -> None:
        if isinstance(type, device):
            index, type = type.index, type.type
        elif isinstance(type, int):  # torch.device(0) is the first CUDA device
            index, type = type, "cuda"
        elif not isinstance(type, str):
            raise TypeError(f"device: expected a string, an int or a device, got "
                            f"{type.__class__.__name__}")
        elif ":" in type:
            type, _, number = type.partition(":")
            if index is not None or not number.isdigit():
                raise RuntimeError(f"device: invalid device string {type}:{number!r}")
            index = int(number)
        if type not in KNOWN:
            raise RuntimeError(f"device: expected one of {', '.join(KNOWN)} device type at the "
                               f"start of the device string, got {type!r}")
        if index is not None and index < 0:
            raise RuntimeError(f"device: the device index must be non-negative, got {index}")
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "index", index)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("device: a device is immutable")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"


KNOWN = ("cpu", "cuda", "mps", "xpu", "xla", "meta", "hip", "mtia", "privateuseone")
CPU = device("cpu")


def check(requested: Optional[DeviceLike], op: str) -> device:
    """``requested`` (a device, a string, an int or None) as a device gradsheet can use, i.e.
    the CPU; anything else raises a RuntimeError naming ``op``."""
    if requested is None:
        return CPU
    wanted = device(requested)
    if wanted.type != "cpu":
        unavailable(wanted, op)
    return CPU


def unavailable(wanted: device, op: str) -> NoReturn:
    """Raise the RuntimeError of ``op`` asking for ``wanted``, a device other than the CPU:
    gradsheet has none here, and how to check."""
    raise RuntimeError(
        f"{op}: gradsheet has no {wanted.type.upper()} device here: it computes on the CPU "
        f"(asked for device {str(wanted)!r}). Check with gs.cuda.is_available() (False) "
        "and pick the device as `device = gs.device('cuda' if gs.cuda.is_available() else "
        "'cpu')`, or pass device='cpu'.")


def to_arguments(args: Sequence[Any], wanted: Optional[DeviceLike] = None,
                 dtype: Optional[DType] = None) -> tuple[Optional[DeviceLike], Optional[DType]]:
    """(device, dtype) from the positional arguments of ``x.to(...)`` / ``module.to(...)``:
    a device (or a device string or index), a dtype (or a dtype name such as 'float64', which
    gradsheet also accepts), or a tensor (its dtype); keywords ``wanted`` (the device) and
    ``dtype`` are the defaults."""
    from . import backend
    for arg in args:
        if hasattr(arg, "array") and hasattr(arg, "dtype"):  # a Tensor
            dtype = arg.dtype
        elif isinstance(arg, str) and arg.removeprefix("torch.") in backend.dtype_names():
            dtype = arg
        elif isinstance(arg, (str, device, int)) and not isinstance(arg, bool):
            wanted = arg
        elif arg is not None:
            dtype = arg
    return wanted, dtype
