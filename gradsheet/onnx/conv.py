"""Converters for Conv1d, Conv2d (-> Conv) and ConvTranspose2d (-> ConvTranspose): the
weights keep their layout, (O, C/groups, k...) and (C, O/groups, k...), which is ONNX's."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..nn.conv import Conv1d, Conv2d, ConvTranspose2d, _ConvNd
from .graph import converts, spatial_input

if TYPE_CHECKING:
    from .basic import Shape
    from .graph import Graph


def _inputs(g: Graph, m: _ConvNd, x: str, path: str) -> list[str]:
    inputs = [x, g.const(m.weight.array, f"{path}.weight")]
    if m.bias is not None:
        inputs.append(g.const(m.bias.array, f"{path}.bias"))
    return inputs


def _pads(m: _ConvNd) -> list[int]:
    """ONNX pads (begin..., end...). 'same' pads D(F - 1) in all, the odd one at the end, as
    PyTorch does; 'valid' pads nothing."""
    if m.padding == "valid":
        return [0] * 2 * m._spatial
    if m.padding == "same":
        total = [d * (k - 1) for d, k in zip(m.dilation, m.kernel_size)]
        return [t // 2 for t in total] + [t - t // 2 for t in total]
    assert not isinstance(m.padding, str)  # the strings padding takes: 'valid' and 'same'
    return list(m.padding) * 2


@converts(Conv1d, Conv2d)
def conv(g: Graph, m: _ConvNd, x: str, shape: Shape, path: str) -> str:
    """y[n, o] = b[o] + sum over c in o's group of W[o, c] (cross-correlated with) x[n, c]."""
    spatial_input(m, shape, m._spatial, path)
    return g.add("Conv", _inputs(g, m, x, path), path, kernel_shape=list(m.kernel_size),
                 strides=list(m.stride), dilations=list(m.dilation), pads=_pads(m),
                 group=m.groups)


@converts(ConvTranspose2d)
def conv_transpose(g: Graph, m: ConvTranspose2d, x: str, shape: Shape, path: str) -> str:
    """Output size (W - 1)S - 2P + D(F - 1) + output_padding + 1 per axis, as ONNX computes it
    from the same attributes (``forward(x)`` only: an output_size argument is not exported)."""
    spatial_input(m, shape, 2, path)
    return g.add("ConvTranspose", _inputs(g, m, x, path), path,
                 kernel_shape=list(m.kernel_size), strides=list(m.stride),
                 dilations=list(m.dilation), pads=list(m.padding) * 2,
                 output_padding=list(m.output_padding), group=m.groups)
