"""Converters for Embedding and the recurrent layers RNN, LSTM, GRU (ONNX's own RNN, LSTM and
GRU ops), and SequenceOutput, the wrapper that lets a recurrent layer sit inside a Sequential.

ONNX orders the gate blocks of W, R and B differently from PyTorch (and gradsheet):
    LSTM: PyTorch i, f, g, o  ->  ONNX i, o, f, c (c is PyTorch's g)
    GRU:  PyTorch r, z, n     ->  ONNX z, r, h, with linear_before_reset=1, which is
          PyTorch's n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
ONNX's layers read (T, B, I) and write Y as (T, D, B, H); a Transpose and a Reshape give
PyTorch's (T, B, D*H), and Transposes around the stack handle batch_first. Initial states
(initial_h, initial_c) and final states (Y_h, Y_c) are (D, B, H) per layer, PyTorch's
(num_layers * D, B, H) sliced and concatenated along axis 0.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Union

import numpy as np

from ..nn.module import Module
from ..nn.rnn import GRU, LSTM, RNN, RNNBase
from ..nn.sparse import Embedding
from .graph import converts, require_converter

if TYPE_CHECKING:
    from ..autograd.tensor import Tensor
    from .basic import Shape
    from .graph import Graph

_GATE_ORDER = {RNN: [0], LSTM: [0, 3, 1, 2], GRU: [1, 0, 2]}


class SequenceOutput(Module):
    """y = rnn(x)[0], the sequence output of a recurrent layer (its last time step with
    ``last=True``), so the layer can feed the next one in a Sequential, here and in ONNX.

    Shapes: as the rnn's output, (B, T, D*H) or (T, B, D*H); with last=True (B, D*H).

    Example: ``Sequential(Embedding(100, 16), SequenceOutput(LSTM(16, 32, batch_first=True),
    last=True), Linear(32, 2))`` classifies token sequences from the LSTM's final output.
    """

    def __init__(self, rnn: RNNBase, last: bool = False) -> None:
        super().__init__()
        self.rnn = rnn
        self.last = last

    def forward(self, input: Tensor) -> Tensor:
        output = self.rnn(input)[0]
        if not self.last:
            return output
        if output.ndim == 3 and self.rnn.batch_first:
            return output[:, -1]
        return output[-1]

    def extra_repr(self) -> str:
        return f"last={self.last}"


@converts(Embedding)
def embedding(g: Graph, m: Embedding, x: str, shape: Shape, path: str) -> str:
    """y = W[x]: Gather rows of the weight."""
    return g.add("Gather", [g.const(m.weight.array, f"{path}.weight"), x], path, axis=0)


def _stacked(g: Graph, m: RNNBase, layer: int, kind: str, path: str) -> str:
    """The ONNX W, R or B input of one layer: (D, G*H, ...) with the gates in ONNX order."""
    H, order = m.hidden_size, _GATE_ORDER[type(m)]
    directions = []
    for suffix in ("", "_reverse")[:2 if m.bidirectional else 1]:
        if kind == "B":
            blocks = [getattr(m, f"{name}_l{layer}{suffix}").array
                      for name in ("bias_ih", "bias_hh")]
        else:
            name = "weight_ih" if kind == "W" else "weight_hh"
            blocks = [getattr(m, f"{name}_l{layer}{suffix}").array]
        directions.append(np.concatenate(
            [b.reshape(len(order), H, *b.shape[1:])[order].reshape(b.shape) for b in blocks]))
    return g.const(np.stack(directions), f"{path}.{kind}_l{layer}")


@converts(RNN, LSTM, GRU, extra_inputs=("hx",))
def recurrent(g: Graph, m: RNNBase, x: str, shape: Shape, path: str,
              hx: Union[str, tuple[str, str], None] = None
              ) -> Union[tuple[str, str], tuple[str, tuple[str, ...]]]:
    """One ONNX RNN/LSTM/GRU node per layer (both directions in one). Returns the names of
    (output, h_n), or (output, (h_n, c_n)) for an LSTM: Y in PyTorch's layout, and every
    layer's Y_h (Y_c) concatenated to (num_layers * D, B, H).

    ``hx``: the names of the initial states, h_0 (or (h_0, c_0) for an LSTM), each
    (num_layers * D, B, H) as PyTorch lays them out (index layer * D + direction); layer k's
    rows k*D .. k*D + D - 1 are ONNX's initial_h (initial_c), (D, B, H)."""
    batched = len(shape) == 3
    squeeze_axes = g.const([1], f"{path}.axes")
    if not batched:
        if g.batch_axis is not None:
            raise ValueError(f"onnx.export: {type(m).__name__} at {path!r} got unbatched input "
                             f"of shape {tuple(shape)}; export it with dynamic_batch=False or "
                             "pass a batched example")
        x = g.add("Unsqueeze", [x, squeeze_axes], path)
    elif m.batch_first:
        x = g.add("Transpose", [x], path, perm=[1, 0, 2])
    lstm = isinstance(m, LSTM)
    states: list[str] = []
    if isinstance(hx, tuple):  # an LSTM's (h_0, c_0)
        states = list(hx)
    elif hx is not None:
        states = [hx]
    if not batched:
        states = [g.add("Unsqueeze", [s, squeeze_axes], path) for s in states]
    op_type = type(m).__name__
    attrs: dict[str, Any] = {}
    D = 2 if m.bidirectional else 1
    if isinstance(m, RNN):
        attrs["activations"] = [m.nonlinearity.capitalize()] * D
    elif isinstance(m, GRU):
        attrs["linear_before_reset"] = 1
    merge = g.const([0, 0, -1], f"{path}.merge_directions")
    ends: list[list[str]] = [[] for _ in range(2 if lstm else 1)]  # the layers' Y_h (and Y_c)
    for layer in range(m.num_layers):
        inputs = [x, _stacked(g, m, layer, "W", path), _stacked(g, m, layer, "R", path)]
        if m.bias or states:
            inputs.append(_stacked(g, m, layer, "B", path) if m.bias else "")
        if states:
            rows = [g.const([layer * D], f"{path}.start"), g.const([layer * D + D], f"{path}.end"),
                    g.const([0], f"{path}.axis0")]
            inputs.append("")  # sequence_lens: every sequence has the full length
            inputs += [g.add("Slice", [s] + rows, f"{path}.l{layer}") for s in states]
        y, *finals = g.add_multi(op_type, inputs, f"{path}.l{layer}", 3 if lstm else 2,
                                 hidden_size=m.hidden_size,
                                 direction="bidirectional" if m.bidirectional else "forward",
                                 **attrs)
        for collected, final in zip(ends, finals):
            collected.append(final)
        y = g.add("Transpose", [y], path, perm=[0, 2, 1, 3])  # (T, D, B, H) -> (T, B, D, H)
        x = g.add("Reshape", [y, merge], path)
    finals = [c[0] if len(c) == 1 else g.add("Concat", c, path, axis=0) for c in ends]
    if not batched:
        x = g.add("Squeeze", [x, squeeze_axes], path)
        finals = [g.add("Squeeze", [f, squeeze_axes], path) for f in finals]
    elif m.batch_first:
        x = g.add("Transpose", [x], path, perm=[1, 0, 2])
    return (x, tuple(finals)) if lstm else (x, finals[0])


@converts(SequenceOutput)
def sequence_output(g: Graph, m: SequenceOutput, x: str, shape: Shape, path: str) -> str:
    """The rnn's output, or its last time step: Gather index -1 along the time axis."""
    y = require_converter(m.rnn, f"{path}.rnn")(g, m.rnn, x, shape, f"{path}.rnn")
    if isinstance(y, tuple):
        y = y[0]
    if not m.last:
        return y
    time_axis = 1 if len(shape) == 3 and m.rnn.batch_first else 0
    return g.add("Gather", [y, g.const(np.array(-1), f"{path}.last")], path, axis=time_axis)
