"""Converters for the normalization layers: BatchNorm1d/2d (eval: running statistics) ->
BatchNormalization, LayerNorm -> LayerNormalization, GroupNorm -> GroupNormalization (opset
21, per-channel scale) or, before it, the same computation through InstanceNormalization."""
from __future__ import annotations

from typing import TYPE_CHECKING, Union

import numpy as np

from ..nn import normalization as N
from .graph import converts

if TYPE_CHECKING:
    from .._typing import ShapeLike
    from .basic import Shape
    from .graph import Graph


def _affine(g: Graph, m: Union[N._BatchNorm, N.LayerNorm, N.GroupNorm], size: ShapeLike,
            path: str) -> tuple[str, str]:
    """The names of gamma and beta, with 1 and 0 standing in for the ones the layer lacks."""
    dtype = g.dtype
    weight = m.weight.array if m.weight is not None else np.ones(size, dtype)
    bias = m.bias.array if m.bias is not None else np.zeros(size, dtype)
    return g.const(weight, f"{path}.weight"), g.const(bias, f"{path}.bias")


@converts(N.BatchNorm1d, N.BatchNorm2d)
def batch_norm(g: Graph, m: N._BatchNorm, x: str, shape: Shape, path: str) -> str:
    """y = gamma (x - running_mean) / sqrt(running_var + eps) + beta, per channel (axis 1)."""
    if m.running_mean is None:
        raise NotImplementedError(
            f"onnx.export: {type(m).__name__} at {path!r} has track_running_stats=False, so "
            "it normalizes with each batch's statistics even in eval mode; ONNX's "
            "BatchNormalization needs running statistics")
    scale, bias = _affine(g, m, m.num_features, path)
    mean = g.const(m.running_mean.array, f"{path}.running_mean")
    var = g.const(m.running_var.array, f"{path}.running_var")
    return g.add("BatchNormalization", [x, scale, bias, mean, var], path, epsilon=float(m.eps))


@converts(N.LayerNorm)
def layer_norm(g: Graph, m: N.LayerNorm, x: str, shape: Shape, path: str) -> str:
    """Normalize over the last len(normalized_shape) axes, then gamma * x_hat + beta."""
    scale, bias = _affine(g, m, m.normalized_shape, path)
    return g.add("LayerNormalization", [x, scale, bias], path,
                 axis=-len(m.normalized_shape), epsilon=float(m.eps))


@converts(N.GroupNorm)
def group_norm(g: Graph, m: N.GroupNorm, x: str, shape: Shape, path: str) -> str:
    """GroupNormalization from opset 21. Before it: x as (N, G, C/G * spatial), each (n, g)
    row normalized by InstanceNormalization (scale 1, bias 0), back to x's shape, then the
    per-channel gamma and beta broadcast as (C, 1, ...)."""
    if g.opset >= 21:
        scale, bias = _affine(g, m, m.num_channels, path)
        return g.add("GroupNormalization", [x, scale, bias], path, epsilon=float(m.eps),
                     num_groups=m.num_groups)
    G = m.num_groups
    groups = g.add("Reshape", [x, g.const([0, G, -1], f"{path}.groups")], path)
    normed = g.add("InstanceNormalization", [groups, g.const(np.ones(G), f"{path}.ones"),
                                             g.const(np.zeros(G), f"{path}.zeros")],
                   path, epsilon=float(m.eps))
    y = g.add("Reshape", [normed, g.add("Shape", [x], path)], path)
    if not m.affine:
        return y
    per_channel = (m.num_channels,) + (1,) * (len(shape) - 2)
    y = g.add("Mul", [y, g.const(m.weight.array.reshape(per_channel), f"{path}.weight")], path)
    if m.bias is None:
        return y
    return g.add("Add", [y, g.const(m.bias.array.reshape(per_channel), f"{path}.bias")], path)
