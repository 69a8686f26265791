"""Converters for the pooling layers: MaxPool1d/2d -> MaxPool, AvgPool1d/2d -> AveragePool,
AdaptiveAvgPool1d/2d -> GlobalAveragePool (output size 1) or AveragePool (input sizes that
the output sizes divide, where the adaptive windows are the plain kernel = stride = in / out)."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Union

from ..nn import pooling as layers
from ..ops.pool import pool_output_size
from .graph import converts, ntuple, spatial_input

if TYPE_CHECKING:
    from .._typing import ShapeLike
    from .basic import Shape
    from .graph import Graph


def _window(m: Union[layers._MaxPool, layers.AvgPool1d, layers.AvgPool2d], shape: Shape,
            dims: int, dilation: ShapeLike = 1) -> tuple[dict[str, Any], list[int], list[int]]:
    """kernel_shape, strides and pads (begin..., end...) of a pooling layer, with
    ceil_mode spelled out as extra end padding.

    PyTorch's ceil_mode adds a last, partial window unless it would start past the input and
    its left padding; ONNX's ceil_mode (and its shape inference) differ on that rule across
    versions. So the window count N comes from PyTorch's rule and the end padding grows by
    what the last window needs, extra = S(N - 1) + D(F - 1) + 1 - (W + 2P), with ceil_mode 0.
    """
    kernel, padding = ntuple(m.kernel_size, dims), ntuple(m.padding, dims)
    stride = ntuple(m.stride if m.stride not in (None, (), []) else m.kernel_size, dims)
    dilation = ntuple(dilation, dims)
    extra = []
    for W, F, S, P, D in zip(shape[2:], kernel, stride, padding, dilation):
        N = pool_output_size(W, F, P, S, D, m.ceil_mode)
        extra.append(max(0, S * (N - 1) + D * (F - 1) + 1 - (W + 2 * P)))
    return dict(kernel_shape=kernel, strides=stride,
                pads=padding + [P + e for P, e in zip(padding, extra)]), padding, extra


@converts(layers.MaxPool1d, layers.MaxPool2d)
def max_pool(g: Graph, m: layers._MaxPool, x: str, shape: Shape, path: str) -> str:
    """y = max over each window (padding counts as -inf)."""
    if m.return_indices:
        raise NotImplementedError(f"onnx.export: {type(m).__name__} at {path!r} has "
                                  "return_indices=True; export the pooling without indices")
    spatial_input(m, shape, m._spatial, path)
    window, _, _ = _window(m, shape, m._spatial, m.dilation)
    return g.add("MaxPool", [x], path, dilations=ntuple(m.dilation, m._spatial), **window)


@converts(layers.AvgPool1d, layers.AvgPool2d)
def avg_pool(g: Graph, m: Union[layers.AvgPool1d, layers.AvgPool2d], x: str, shape: Shape,
             path: str) -> str:
    """y = sum over each window / d, d as in AvgPool2d's docstring.

    count_include_pad=False is AveragePool's count_include_pad=0. With count_include_pad=True
    PyTorch counts the P padded zeros but not ceil_mode's extra positions past them: where
    there are such, the P zeros become real input (a Pad) and only the extra is excluded.
    divisor_override d: the mean counting every position in the kernel, times prod(F) / d.
    """
    dims = 1 if isinstance(m, layers.AvgPool1d) else 2
    spatial_input(m, shape, dims, path)
    window, padding, extra = _window(m, shape, dims)
    divisor = getattr(m, "divisor_override", None)
    if divisor is not None:
        y = g.add("AveragePool", [x], path, count_include_pad=1, **window)
        scale = math.prod(window["kernel_shape"]) / divisor
        return g.add("Mul", [y, g.scalar(scale, f"{path}.divisor")], path)
    if not m.count_include_pad or not any(extra):
        return g.add("AveragePool", [x], path, count_include_pad=int(bool(m.count_include_pad)),
                     **window)
    pads = g.const([0, 0] + padding + [0, 0] + padding, f"{path}.pads")
    x = g.add("Pad", [x, pads], path)
    window["pads"] = [0] * dims + extra
    return g.add("AveragePool", [x], path, count_include_pad=0, **window)


@converts(layers.AdaptiveAvgPool1d, layers.AdaptiveAvgPool2d)
def adaptive_avg_pool(g: Graph, m: layers._AdaptiveAvgPool, x: str, shape: Shape, path: str
                      ) -> str:
    """The mean over PyTorch's adaptive windows, which are the plain windows kernel = stride =
    in / out when out divides in (and the whole map when out is 1)."""
    dims = m._spatial
    spatial_input(m, shape, dims, path)
    sizes = list(shape[2:])
    out = [size if o is None else o for size, o in zip(sizes, ntuple(m.output_size, dims))]
    if out == [1] * dims:
        return g.add("GlobalAveragePool", [x], path)
    if any(size % o for size, o in zip(sizes, out)):
        raise NotImplementedError(
            f"onnx.export: {type(m).__name__} at {path!r}: output size {tuple(out)} does not "
            f"divide the input size {tuple(sizes)}, so its windows differ in size; ONNX has no "
            "adaptive pooling (choose an output size that divides the input's)")
    kernel = [size // o for size, o in zip(sizes, out)]
    return g.add("AveragePool", [x], path, kernel_shape=kernel, strides=kernel)
