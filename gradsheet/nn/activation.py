"""Activation layers g(z): each holds its arguments and calls one function of
``gradsheet.ops.activation``, where the formula and its derivative live.

The ``inplace`` flags of PyTorch's ReLU, LeakyReLU, ELU and SiLU are accepted (so code
and reprs carry over) but the result is always a new tensor: values and gradients
are the same, only memory differs.
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Optional

from .. import backend, devices
from ..ops import activation as A
from . import init as _init
from .module import Module
from .parameter import allocate

if TYPE_CHECKING:
    from .._typing import DeviceLike, DType, Tensor


class _Inplace(Module):
    """An activation with PyTorch's ``inplace`` flag, shown in the repr only when set."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def _repr_args(self) -> list[str]:
        return []

    def extra_repr(self) -> str:
        return ", ".join(self._repr_args() + (["inplace=True"] if self.inplace else []))


class Sigmoid(Module):
    """g(z) = 1 / (1 + e^(-z))."""

    def forward(self, input: Tensor) -> Tensor:
        return A.sigmoid(input)


class Tanh(Module):
    """g(z) = (e^z - e^(-z)) / (e^z + e^(-z))."""

    def forward(self, input: Tensor) -> Tensor:
        return A.tanh(input)


class ReLU(_Inplace):
    """g(z) = max(0, z)."""

    def forward(self, input: Tensor) -> Tensor:
        return A.relu(input)


class SiLU(_Inplace):
    """g(z) = z sigmoid(z) (also called swish)."""

    def forward(self, input: Tensor) -> Tensor:
        return A.silu(input)


class LeakyReLU(_Inplace):
    """g(z) = max(eps z, z), eps = ``negative_slope`` (default 0.01)."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.negative_slope = negative_slope

    def forward(self, input: Tensor) -> Tensor:
        return A.leaky_relu(input, self.negative_slope)

    def _repr_args(self) -> list[str]:
        return [f"negative_slope={self.negative_slope}"]


class ELU(_Inplace):
    """g(z) = z if z > 0 else alpha (e^z - 1)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.alpha = alpha

    def forward(self, input: Tensor) -> Tensor:
        return A.elu(input, self.alpha)

    def _repr_args(self) -> list[str]:
        return [f"alpha={self.alpha}"]


class Softplus(Module):
    """g(z) = log(1 + e^(beta z)) / beta, and z itself where beta z > threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        return A.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class GELU(Module):
    """g(z) = z Phi(z), Phi the standard normal CDF; ``approximate='tanh'`` for the tanh form."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return A.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softmax(Module):
    """y_i = e^(z_i) / sum_j e^(z_j) along ``dim``."""

    def __init__(self, dim: Optional[int] = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return A.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """y_i = z_i - log sum_j e^(z_j) along ``dim``."""

    def __init__(self, dim: Optional[int] = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return A.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


# ------------------------------------------------------------------ more activations
# These pass ``inplace`` on to the function, as torch's modules do: with inplace=True the
# result is written into the input (gradsheet.autograd.inplace's rules apply).


class Hardtanh(Module):
    """g(z) = min(max(z, min_val), max_val) (defaults -1 and 1). ``min_value`` / ``max_value``
    are torch's deprecated names (FutureWarning). AssertionError unless max_val > min_val, as
    torch."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: Optional[float] = None, max_value: Optional[float] = None) -> None:
        super().__init__()
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated and renamed to `min_val`",
                          FutureWarning, stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and renamed to `max_val`",
                          FutureWarning, stacklevel=2)
            max_val = max_value
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace
        if self.max_val <= self.min_val:
            raise AssertionError(f"Hardtanh: max_val ({self.max_val}) must be greater than "
                                 f"min_val ({self.min_val})")

    def forward(self, input: Tensor) -> Tensor:
        return A.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"min_val={self.min_val}, max_val={self.max_val}{inplace}"


class ReLU6(Hardtanh):
    """g(z) = min(max(0, z), 6) (Hardtanh with min_val 0, max_val 6)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class _Flagged(Module):
    """An activation whose only argument is ``inplace`` (passed to the function); torch shows
    it in the repr for some (``_show``) and not for others."""

    _show = True

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace and self._show else ""


class Hardswish(_Flagged):
    """g(z) = z relu6(z + 3) / 6."""

    _show = False

    def forward(self, input: Tensor) -> Tensor:
        return A.hardswish(input, self.inplace)


class Hardsigmoid(_Flagged):
    """g(z) = relu6(z + 3) / 6."""

    _show = False

    def forward(self, input: Tensor) -> Tensor:
        return A.hardsigmoid(input, self.inplace)


class Mish(_Flagged):
    """g(z) = z tanh(softplus(z))."""

    def forward(self, input: Tensor) -> Tensor:
        return A.mish(input, self.inplace)


class SELU(_Flagged):
    """g(z) = scale (max(0, z) + min(0, alpha (e^z - 1))), alpha = 1.6733, scale = 1.0507."""

    def forward(self, input: Tensor) -> Tensor:
        return A.selu(input, self.inplace)


class CELU(Module):
    """g(z) = max(0, z) + min(0, alpha (e^(z / alpha) - 1))."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        return A.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class LogSigmoid(Module):
    """g(z) = log(1 / (1 + e^-z)) = -softplus(-z)."""

    def forward(self, input: Tensor) -> Tensor:
        return A.logsigmoid(input)


class Softsign(Module):
    """g(z) = z / (1 + |z|)."""

    def forward(self, input: Tensor) -> Tensor:
        return A.softsign(input)


class Tanhshrink(Module):
    """g(z) = z - tanh(z)."""

    def forward(self, input: Tensor) -> Tensor:
        return A.tanhshrink(input)


class Softmin(Module):
    """y_i = e^(-z_i) / sum_j e^(-z_j) along ``dim`` (softmax of -z)."""

    def __init__(self, dim: Optional[int] = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return A.softmin(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax2d(Module):
    """y = softmax over the channels at each location: dim -3 of (N, C, H, W) or (C, H, W);
    ValueError for other ranks, as torch."""

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D "
                             f"instead (shape {tuple(input.shape)})")
        return A.softmax(input, -3)


class GLU(Module):
    """GLU(a, b) = a sigmoid(b), the input split into halves a, b along ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return A.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Threshold(Module):
    """y = value where z <= threshold, else z."""

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input: Tensor) -> Tensor:
        return A.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"threshold={self.threshold}, value={self.value}{inplace}"


class Softshrink(Module):
    """g(z) = z - lambd if z > lambd, z + lambd if z < -lambd, else 0 (lambd = 0.5)."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return A.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Softshrink):
    """g(z) = z where |z| > lambd, else 0 (lambd = 0.5)."""

    def forward(self, input: Tensor) -> Tensor:
        return A.hardshrink(input, self.lambd)


class RReLU(Module):
    """g(z) = z if z > 0 else a z: a ~ U(lower, upper) per element in training mode, the
    mean (lower + upper) / 2 in eval mode."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False) -> None:
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input: Tensor) -> Tensor:
        return A.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"lower={self.lower}, upper={self.upper}{inplace}"


class PReLU(Module):
    """g(z) = max(0, z) + a min(0, z) with a learned slope a: one shared (``num_parameters=1``)
    or one per channel (dim 1 of the input), each starting at ``init`` (0.25).

    Attributes: weight, the (num_parameters,) slopes (a Parameter, state-dict key 'weight').
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25,
                 device: Optional[DeviceLike] = None, dtype: Optional[DType] = None) -> None:
        devices.check(device, "PReLU")
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = allocate("PReLU", num_parameters, backend.as_dtype(dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """weight = init everywhere."""
        _init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        return A.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
