"""The affine layer z = x W^T + b, and the two shape-only layers Identity and Flatten."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from .. import backend
from .. import devices
from ..ops import shape as shape_ops
from ..ops._checks import as_tensor_arg
from ..ops.linalg import linear
from . import init
from .module import Module
from .parameter import Parameter, allocate

if TYPE_CHECKING:
    from .._typing import DeviceLike, DType, Tensor


def _check_features(layer: str, **sizes: Any) -> None:
    for name, size in sizes.items():
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
            raise ValueError(f"{layer}: {name} must be a non-negative integer, got {size!r}")


class Linear(Module):
    """z = x W^T + b: for each output unit j, z_j = w_j^T x + b_j (one fused node).

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: learn the additive bias b (default True).
        dtype: dtype of the parameters (default: ``gradsheet.get_default_dtype()``).

    Shapes: input (*, in_features) -> output (*, out_features).

    Attributes:
        weight: (out_features, in_features), initialised from U(-1/sqrt(in), 1/sqrt(in))
            (kaiming_uniform_ with a = sqrt(5), PyTorch's default).
        bias: (out_features,), from U(-1/sqrt(in), 1/sqrt(in)); None when ``bias=False``.

    Example: ``Linear(8, 64)(gs.randn(32, 8)).shape == (32, 64)``.
    """

    in_features: int
    out_features: int
    weight: Parameter
    bias: Optional[Parameter]

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Optional[DeviceLike] = None, dtype: Optional[DType] = None) -> None:
        super().__init__()
        devices.check(device, "Linear")
        _check_features("Linear", in_features=in_features, out_features=out_features)
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        dtype = backend.as_dtype(dtype)
        self.weight = allocate("Linear", (self.out_features, self.in_features), dtype)
        if bias:
            self.bias = allocate("Linear", self.out_features, dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's init: weight ~ U(-1/sqrt(in_features), 1/sqrt(in_features)) (Kaiming uniform
        with a = sqrt(5)), and bias ~ the same U.
        """
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """y = x. Accepts and ignores any constructor arguments, as in PyTorch."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Flatten(Module):
    """Merge dims start_dim..end_dim into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        as_tensor_arg("Flatten", "input", input)
        return shape_ops.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
