"""Converters for Linear, the shape-only layers (Identity, Dropout in eval mode, Flatten)
and the activations."""
from __future__ import annotations

import math
from collections.abc import Callable
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Union

from ..nn import activation as act
from ..nn.dropout import Dropout
from ..nn.linear import Flatten, Identity, Linear
from .graph import converts

if TYPE_CHECKING:
    from ..nn.module import Module
    from .graph import Graph

# A layer converter takes the Graph, the layer (or a SimpleNamespace of its attributes, for
# the op converters of gradsheet.onnx.ops that reuse one), the input's graph name, the
# input's example shape (a Shape) and the layer's path in the model
Shape = tuple[int, ...]


@converts(Linear)
def linear(g: Graph, m: Linear, x: str, shape: Shape, path: str) -> str:
    """z = x W^T + b: Gemm for a batch of vectors, MatMul + Add for any other rank."""
    w = m.weight.array
    if len(shape) == 2:
        inputs = [x, g.const(w, f"{path}.weight")]
        if m.bias is not None:
            inputs.append(g.const(m.bias.array, f"{path}.bias"))
        return g.add("Gemm", inputs, path, transB=1)
    z = g.add("MatMul", [x, g.const(w.T, f"{path}.weight_t")], path)
    if m.bias is None:
        return z
    return g.add("Add", [z, g.const(m.bias.array, f"{path}.bias")], path)


@converts(Identity, Dropout)
def identity(g: Graph, m: Module, x: str, shape: Shape, path: str) -> str:
    """y = x (Dropout is the identity in eval mode, which export uses)."""
    return g.add("Identity", [x], path)


@converts(Flatten)
def flatten(g: Graph, m: Flatten, x: str, shape: Shape, path: str) -> str:
    """Merge dims start_dim..end_dim: ONNX Flatten when they run to the end and leave one
    leading dim, else Reshape that copies the leading dims (0) and infers the merged one (-1),
    so a symbolic batch stays symbolic."""
    ndim = len(shape)
    start, end = m.start_dim % max(ndim, 1), m.end_dim % max(ndim, 1)
    if start == 1 and end == ndim - 1:
        return g.add("Flatten", [x], path, axis=1)
    target = [0] * start + [-1] + list(shape[end + 1:])
    return g.add("Reshape", [x, g.const(target, f"{path}.shape")], path)


def _unary(op_type: str, **attrs: Any) -> Callable[[Graph, Module, str, Shape, str], str]:
    def convert(g: Graph, m: Module, x: str, shape: Shape, path: str) -> str:
        return g.add(op_type, [x], path, **attrs)
    return convert


converts(act.ReLU)(_unary("Relu"))
converts(act.Sigmoid)(_unary("Sigmoid"))
converts(act.Tanh)(_unary("Tanh"))


@converts(act.LeakyReLU)
def leaky_relu(g: Graph, m: act.LeakyReLU, x: str, shape: Shape, path: str) -> str:
    """max(eps z, z), eps = negative_slope."""
    return g.add("LeakyRelu", [x], path, alpha=float(m.negative_slope))


@converts(act.ELU)
def elu(g: Graph, m: act.ELU, x: str, shape: Shape, path: str) -> str:
    """z if z > 0 else alpha (e^z - 1)."""
    return g.add("Elu", [x], path, alpha=float(m.alpha))


@converts(act.SiLU)
def silu(g: Graph, m: Union[act.SiLU, SimpleNamespace], x: str, shape: Shape, path: str
         ) -> str:
    """z sigmoid(z)."""
    return g.add("Mul", [x, g.add("Sigmoid", [x], path)], path)


@converts(act.Softplus)
def softplus(g: Graph, m: Union[act.Softplus, SimpleNamespace], x: str, shape: Shape,
             path: str) -> str:
    """log(1 + e^(beta z)) / beta, and z itself where beta z > threshold. The two branches
    differ there by log(1 + e^-(beta z)) / beta < e^-threshold / beta, invisible in float32
    and float64 next to z > threshold / beta once threshold >= 20 (the default): then no
    switch is emitted."""
    bz = x
    if m.beta != 1:
        beta = g.scalar(float(m.beta), f"{path}.beta")
        bz = g.add("Mul", [x, beta], path)
    y = g.add("Softplus", [bz], path)
    if m.beta != 1:
        y = g.add("Div", [y, beta], path)
    if m.threshold >= 20:
        return y
    above = g.add("Greater", [bz, g.scalar(float(m.threshold), f"{path}.threshold")], path)
    return g.add("Where", [above, x, y], path)


@converts(act.GELU)
def gelu(g: Graph, m: Union[act.GELU, SimpleNamespace], x: str, shape: Shape, path: str
         ) -> str:
    """z Phi(z): the Gelu op from opset 20; before that its definition,
    0.5 z (1 + erf(z / sqrt 2)), or with approximate='tanh'
    0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))."""
    if g.opset >= 20:
        return g.add("Gelu", [x], path, approximate=m.approximate)
    if m.approximate == "tanh":
        cube = g.add("Mul", [x, g.add("Mul", [x, x], path)], path)
        inner = g.add("Add", [x, g.add("Mul", [cube, g.scalar(0.044715)], path)], path)
        phi = g.add("Tanh", [g.add("Mul", [inner, g.scalar(math.sqrt(2 / math.pi))], path)],
                    path)
    else:
        phi = g.add("Erf", [g.add("Mul", [x, g.scalar(1 / math.sqrt(2))], path)], path)
    half_x = g.add("Mul", [x, g.scalar(0.5)], path)
    return g.add("Mul", [half_x, g.add("Add", [phi, g.scalar(1.0)], path)], path)


@converts(act.Softmax)
def softmax(g: Graph, m: Union[act.Softmax, SimpleNamespace], x: str, shape: Shape,
            path: str) -> str:
    """e^(z_i) / sum_j e^(z_j) along dim."""
    assert m.dim is not None  # the forward refused dim=None (ops.activation.softmax)
    return g.add("Softmax", [x], path, axis=m.dim % len(shape))


@converts(act.LogSoftmax)
def log_softmax(g: Graph, m: Union[act.LogSoftmax, SimpleNamespace], x: str, shape: Shape,
                path: str) -> str:
    """z_i - log sum_j e^(z_j) along dim."""
    assert m.dim is not None  # the forward refused dim=None (ops.activation.log_softmax)
    return g.add("LogSoftmax", [x], path, axis=m.dim % len(shape))
