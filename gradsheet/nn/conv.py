"""Convolution layers: Conv1d, Conv2d, ConvTranspose1d and ConvTranspose2d, as in ``torch.nn``.

    y[n, o] = b[o] + sum over c in o's group of  W[o, c] (cross-correlated with) x[n, c]

Each layer checks its input against the cheat sheet's size formula
N = floor((W + 2P - D(F-1) - 1)/S) + 1 and names itself, W, F, P, S and N when
the input is too small; the math is one fused node in ``gradsheet.ops.conv``.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Optional, Union

from .. import backend
from .. import devices
from ..ops._checks import as_tensor_arg
from ..ops.conv import convolution, convolution_transpose
from ..ops.geometry import ints, is_int, transposed_output_size
from . import init
from .module import Module
from .parameter import Parameter, allocate

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._typing import DeviceLike, DType, ShapeLike, Tensor


class _ConvNd(Module):
    """What Conv1d, Conv2d and ConvTranspose2d share: arguments, parameters, init, repr."""

    _spatial = 2
    weight: Parameter
    bias: Optional[Parameter]
    padding: Union[tuple[int, ...], str]

    def __init__(self, in_channels: int, out_channels: int, kernel_size: ShapeLike,
                 stride: ShapeLike, padding: Union[ShapeLike, str], dilation: ShapeLike,
                 transposed: bool, output_padding: ShapeLike, groups: int, bias: bool,
                 padding_mode: str, device: Optional[DeviceLike], dtype: Optional[DType]) -> None:
        super().__init__()
        devices.check(device, type(self).__name__)
        layer, n = type(self).__name__, self._spatial
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not is_int(value) or value < 1:
                raise ValueError(f"{layer}: {name} must be a positive integer, got {value!r}")
        if not is_int(groups) or groups < 1:
            raise ValueError(f"{layer}: groups must be a positive integer, got {groups!r}")
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if value % groups:
                raise ValueError(f"{layer}: {name}={value} must be divisible by groups={groups}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = ints(layer, "kernel_size", kernel_size, n, 1)
        self.stride = ints(layer, "stride", stride, n, 1)
        self.dilation = ints(layer, "dilation", dilation, n, 1)
        self.padding = self._check_padding(layer, padding)
        self.transposed = transposed
        self.output_padding = ints(layer, "output_padding", output_padding, n, 0)
        self.groups = int(groups)
        if padding_mode != "zeros":
            raise ValueError(f"{layer}: padding_mode={padding_mode!r} is not supported; "
                             "only 'zeros' is")
        self.padding_mode = padding_mode
        dtype = backend.as_dtype(dtype)
        if transposed:
            shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        else:
            shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self.weight = allocate(layer, shape, dtype)
        if bias:
            self.bias = allocate(layer, self.out_channels, dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _check_padding(self, layer: str, padding: Union[ShapeLike, str]) -> Union[tuple[int, ...], str]:
        if not isinstance(padding, str):
            return ints(layer, "padding", padding, self._spatial, 0)
        if padding not in ("same", "valid"):
            raise ValueError(f"{layer}: invalid padding string {padding!r}, should be one of "
                             "'same', 'valid'")
        if padding == "same" and any(s != 1 for s in self.stride):
            raise ValueError(f"{layer}: padding='same' is not supported for strided "
                             f"convolutions (stride={self.stride})")
        return padding

    def reset_parameters(self) -> None:
        """W ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform_ with a = sqrt(5)), and the
        bias from the same law; fan_in = weight.shape[1] * kh * kw, as in PyTorch."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        n = self._spatial
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * n:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text

    def forward(self, input: Tensor) -> Tensor:
        as_tensor_arg(type(self).__name__, "input", input)
        return convolution(input, self.weight, self.bias, self.stride, self.padding,
                           self.dilation, self.groups, self._spatial, self)


class Conv2d(_ConvNd):
    """y[n, o] = b[o] + sum over c of W[o, c] (cross-correlated with) x[n, c], 2-D.

    Args:
        in_channels, out_channels: C and O (both divisible by ``groups``).
        kernel_size, stride, dilation: int or (height, width) pair.
        padding: zeros on each side (int or pair), 'valid' (none) or 'same' (output size =
            input size; stride 1 only).
        groups: split channels into this many independent convolutions.
        bias: learn b (default True). padding_mode: 'zeros' only.
        dtype: parameters' dtype (default ``gradsheet.get_default_dtype()``).

    Shapes: input (N, C, H, W) or (C, H, W) -> output (N, O, OH, OW), each output size
    N = floor((W + 2P - D(F-1) - 1)/S) + 1 (``nn.conv_output_size``).

    Attributes:
        weight: (O, C/groups, kh, kw) from U(-k, k), k = 1/sqrt(C/groups * kh * kw)
            (kaiming_uniform_ with a = sqrt(5), PyTorch's default).
        bias: (O,) from U(-k, k); None when ``bias=False``.

    Example: ``Conv2d(1, 16, 5, padding=2)(gs.randn(64, 1, 28, 28)).shape == (64, 16, 28, 28)``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: ShapeLike,
                 stride: ShapeLike = 1, padding: Union[ShapeLike, str] = 0,
                 dilation: ShapeLike = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Optional[DeviceLike] = None,
                 dtype: Optional[DType] = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, device, dtype)


class Conv1d(_ConvNd):
    """Conv2d's formula in 1-D: input (N, C, L) or (C, L), weight (O, C/groups, k), output
    (N, O, L_out) with L_out = floor((L + 2P - D(k-1) - 1)/S) + 1. Same arguments and init.
    """

    _spatial = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: ShapeLike,
                 stride: ShapeLike = 1, padding: Union[ShapeLike, str] = 0,
                 dilation: ShapeLike = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Optional[DeviceLike] = None,
                 dtype: Optional[DType] = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, device, dtype)


class ConvTranspose2d(_ConvNd):
    """y = the transposed convolution of x: each input pixel adds W[c] times its value into the
    output, S apart (the gradient of Conv2d with respect to its input; upsamples by S).

    Args: as Conv2d (padding an int or pair), plus ``output_padding``: extra rows/columns on
    one side of the output (smaller than stride or dilation) to pick among the sizes that
    a strided Conv2d maps to the same input size.

    Shapes: input (N, C, H, W) or (C, H, W) -> output (N, O, OH, OW), each output size
    (W - 1)S - 2P + D(F - 1) + output_padding + 1. ``forward(input, output_size)`` may ask
    for a size instead of output_padding.

    Attributes:
        weight: (C, O/groups, kh, kw) from U(-k, k), k = 1/sqrt(O/groups * kh * kw).
        bias: (O,) from U(-k, k); None when ``bias=False``.

    Example: ``ConvTranspose2d(16, 8, 2, stride=2)(gs.randn(1, 16, 7, 7)).shape == (1, 8, 14, 14)``.
    """

    padding: tuple[int, ...]  # no padding string: the constructor refuses one

    def __init__(self, in_channels: int, out_channels: int, kernel_size: ShapeLike,
                 stride: ShapeLike = 1, padding: ShapeLike = 0, output_padding: ShapeLike = 0,
                 groups: int = 1, bias: bool = True, dilation: ShapeLike = 1,
                 padding_mode: str = "zeros", device: Optional[DeviceLike] = None,
                 dtype: Optional[DType] = None) -> None:
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding={padding!r} is not supported; "
                             "give an int or a tuple of ints")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         True, output_padding, groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input: Tensor,
                        output_size: Optional[Sequence[int]]) -> tuple[int, ...]:
        """The output_padding that gives ``output_size`` ((H, W), or with N and C in front)."""
        if output_size is None:
            return self.output_padding
        n = self._spatial
        size = tuple(int(s) for s in output_size)[-n:]
        if len(size) != n or len(tuple(output_size)) not in (n, input.ndim):
            raise ValueError(f"{self}: output_size {tuple(output_size)} must have {n} or "
                             f"{input.ndim} elements")
        extra = []
        for d, (h, target) in enumerate(zip(input.shape[-n:], size)):
            smallest = transposed_output_size(h, self.kernel_size[d], self.padding[d],
                                              self.stride[d], self.dilation[d])
            if not smallest <= target < smallest + self.stride[d]:
                raise ValueError(f"{self}: requested output_size {size} is not reachable from "
                                 f"input {tuple(input.shape)}: dimension {d} must lie in "
                                 f"[{smallest}, {smallest + self.stride[d] - 1}]")
            extra.append(target - smallest)
        return tuple(extra)

    def forward(self, input: Tensor, output_size: Optional[Sequence[int]] = None) -> Tensor:
        as_tensor_arg(type(self).__name__, "input", input)
        return convolution_transpose(input, self.weight, self.bias, self.stride, self.padding,
                                     self._output_padding(input, output_size), self.groups,
                                     self.dilation, self._spatial, self)


class ConvTranspose1d(ConvTranspose2d):
    """ConvTranspose2d's formula in 1-D: input (N, C, L) or (C, L), weight (C, O/groups, k),
    output (N, O, L_out) with L_out = (L - 1)S - 2P + D(k - 1) + output_padding + 1;
    ``forward(input, output_size)`` may ask for a length instead of output_padding. Same
    arguments and init as ConvTranspose2d.
    """

    _spatial = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: ShapeLike,
                 stride: ShapeLike = 1, padding: ShapeLike = 0, output_padding: ShapeLike = 0,
                 groups: int = 1, bias: bool = True, dilation: ShapeLike = 1,
                 padding_mode: str = "zeros", device: Optional[DeviceLike] = None,
                 dtype: Optional[DType] = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         output_padding, groups, bias, dilation, padding_mode, device, dtype)
