"""Recurrent layers: the cells (one step) and the sequence modules RNN, LSTM and GRU.

The LSTM's gates: input gate i (write to the cell or not?), forget gate f (erase the cell or
not?), gate g (how much to write to the cell?), output gate o (how much of the cell to reveal?):

    c_t = f * c_{t-1} + i * g,      h_t = o * tanh(c_t)

Names, shapes, gate order and initialisation are PyTorch's, so a PyTorch state_dict loads
unchanged. Each layer and direction is one fused node (``gradsheet.ops.recurrent``).
"""
from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Optional, Union, cast, overload

import numpy as np

from .. import backend
from .. import devices
from ..ops._checks import as_tensor_arg
from ..ops import recurrent
from ..ops import shape as shape_ops
from ..ops.dropout import dropout as _dropout
from . import init
from .module import Module
from .parameter import allocate
from .utils.rnn import PackedSequence, _pack_like, pad_packed_sequence

if TYPE_CHECKING:
    from .._typing import DeviceLike, DType, Tensor
    from ..ops.recurrent import _Lengths

    # a sequence module's states: h (RNN, GRU) or (h, c) (LSTM)
    _HX = Union[Tensor, tuple[Tensor, Tensor]]
    # a layer's parameters: weight_ih, weight_hh, bias_ih, bias_hh
    _Weights = tuple[Tensor, Tensor, Optional[Tensor], Optional[Tensor]]


def _check_size(layer: str, name: str, value: int, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{layer}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_state(layer: str, name: str, state: Tensor, expected: tuple[int, ...]) -> None:
    if tuple(state.shape) != expected:
        raise ValueError(f"{layer}: {name} must have shape {expected}, got {tuple(state.shape)}")


class _Uniform(Module):
    """Every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), PyTorch's RNN init."""

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for param in self.parameters():
            init.uniform_(param, -bound, bound)


# ------------------------------------------------------------------ cells
class RNNCellBase(_Uniform):
    """One step of a recurrent layer. Parameters: weight_ih (G*H, I), weight_hh (G*H, H),
    bias_ih and bias_hh (G*H,), with G gate blocks (1 for RNN, 4 for LSTM, 3 for GRU)."""

    gates = 1
    bias_ih: Optional[Tensor]
    bias_hh: Optional[Tensor]

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Optional[DeviceLike] = None, dtype: Optional[DType] = None) -> None:
        super().__init__()
        devices.check(device, type(self).__name__)
        name = type(self).__name__
        self.input_size = _check_size(name, "input_size", input_size, 0)
        self.hidden_size = _check_size(name, "hidden_size", hidden_size)
        self.bias = bias
        dtype = backend.as_dtype(dtype)
        G, H = self.gates, self.hidden_size
        self.weight_ih = allocate(name, (G * H, self.input_size), dtype)
        self.weight_hh = allocate(name, (G * H, H), dtype)
        if bias:
            self.bias_ih = allocate(name, G * H, dtype)
            self.bias_hh = allocate(name, G * H, dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def _prepare(self, input: Tensor, states: dict[str, Optional[Tensor]]
                 ) -> tuple[Tensor, list[Optional[Tensor]], bool]:
        """Check input (I,) or (B, I) and each state (H,) or (B, H); batch the unbatched."""
        name = type(self).__name__
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input must have shape (input_size,) or (batch, input_size) "
                             f"with input_size={self.input_size}, got {tuple(input.shape)}")
        batched = input.ndim == 2
        expected = (input.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        for state_name, state in states.items():
            if state is not None:
                _check_state(name, state_name, state, expected)
        if batched:
            return input, list(states.values()), True
        return (input[None], [None if s is None else s[None] for s in states.values()], False)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text

    def _weights(self) -> _Weights:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh


class RNNCell(RNNCellBase):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu), one fused node.

    Args: input_size, hidden_size, bias (default True), nonlinearity ('tanh' or 'relu').
    Shapes: input (B, I) or (I,), hx (B, H) or (H,) or None (zeros) -> h' like hx.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Optional[DeviceLike] = None,
                 dtype: Optional[DType] = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r}; use 'tanh' or "
                             "'relu'")
        self.__dict__["nonlinearity"] = nonlinearity
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        as_tensor_arg(type(self).__name__, "input", input)
        x, (h,), batched = self._prepare(input, {"hx": hx})
        cell = recurrent.rnn_tanh_cell if self.nonlinearity == "tanh" else recurrent.rnn_relu_cell
        out = cell(x, h, *self._weights())
        return out if batched else out[0]


class LSTMCell(RNNCellBase):
    """i, f, g, o = sigma, sigma, tanh, sigma of (W_ih x + b_ih + W_hh h + b_hh) (torch's order);
    c' = f * c + i * g,  h' = o * tanh(c'). One fused node.

    Shapes: input (B, I) or (I,), hx = (h, c) each (B, H) or (H,), or None -> (h', c').
    """

    gates = 4

    def forward(self, input: Tensor, hx: Optional[tuple[Tensor, Tensor]] = None
                ) -> tuple[Tensor, Tensor]:
        as_tensor_arg(type(self).__name__, "input", input)
        h: Optional[Tensor]
        c: Optional[Tensor]
        h, c = (None, None) if hx is None else hx
        x, (h, c), batched = self._prepare(input, {"h_0": h, "c_0": c})
        h, c = recurrent.lstm_cell(x, (h, c), *self._weights())
        return (h, c) if batched else (h[0], c[0])


class GRUCell(RNNCellBase):
    """r, z = sigma(W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z}),
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h. One fused node.

    Shapes: input (B, I) or (I,), hx (B, H) or (H,) or None -> h'.
    """

    gates = 3

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        as_tensor_arg(type(self).__name__, "input", input)
        x, (h,), batched = self._prepare(input, {"hx": hx})
        out = recurrent.gru_cell(x, h, *self._weights())
        return out if batched else out[0]


# ------------------------------------------------------------------ sequence modules
class RNNBase(_Uniform):
    """A stack of recurrent layers, each optionally bidirectional, over whole sequences.

    Args:
        input_size, hidden_size: features of x_t and of h_t.
        num_layers: stacked layers; layer k > 0 reads layer k-1's output (default 1).
        bias: learn b_ih and b_hh (default True).
        batch_first: input and output are (B, T, feature) instead of (T, B, feature).
        dropout: dropout probability on every layer's output except the last (training only).
        bidirectional: add a layer running t = T-1 .. 0; outputs are concatenated.

    forward(input, hx=None, lengths=None):
        input (T, B, I), (B, T, I) with batch_first, or unbatched (T, I), or a PackedSequence
        (``nn.utils.rnn.pack_padded_sequence``): then the output is a PackedSequence with the
        input's batch sizes and order, and h_n each sequence's final state, in the original
        batch order (as hx), as in torch;
        hx: initial states (num_layers * D, B, H) (D = 2 if bidirectional), zeros when None;
        lengths: B ints in [1, T] for a padded batch: the padded steps neither change the
        state nor get gradient, their outputs are 0 (PyTorch's pack_padded_sequence +
        pad_packed_sequence(total_length=T)); h_n is each sequence's state at its own end.

    Parameters of layer k: weight_ih_lk (G*H, I or D*H), weight_hh_lk (G*H, H), bias_ih_lk,
    bias_hh_lk (G*H,), and the same with the suffix _reverse for the reverse direction.
    """

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: Optional[DeviceLike] = None, dtype: Optional[DType] = None) -> None:
        super().__init__()
        devices.check(device, type(self).__name__)
        name = type(self).__name__
        self.input_size = _check_size(name, "input_size", input_size, 0)
        self.hidden_size = _check_size(name, "hidden_size", hidden_size)
        self.num_layers = _check_size(name, "num_layers", num_layers)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or \
                not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] representing "
                             f"the probability of an element being zeroed, got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout={dropout} acts between layers, so with "
                          "num_layers=1 it does nothing", UserWarning, stacklevel=2)
        self.bias, self.batch_first = bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        dtype = backend.as_dtype(dtype)
        G, H, D = self.gates, self.hidden_size, 2 if bidirectional else 1
        self._flat_weights_names: list[str] = []
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else D * H
            for suffix in ("", "_reverse")[:D]:
                shapes: dict[str, tuple[int, ...]] = {"weight_ih": (G * H, layer_input),
                                                      "weight_hh": (G * H, H)}
                if bias:
                    shapes.update(bias_ih=(G * H,), bias_hh=(G * H,))
                for kind, shape in shapes.items():
                    param_name = f"{kind}_l{layer}{suffix}"
                    setattr(self, param_name, allocate(name, shape, dtype))
                    self._flat_weights_names.append(param_name)
        self.reset_parameters()

    def flatten_parameters(self) -> None:
        """Does nothing: PyTorch packs cuDNN weights here; gradsheet's are always ready."""

    def _layer_weights(self, layer: int, reverse: bool) -> _Weights:
        suffix = f"_l{layer}" + ("_reverse" if reverse else "")
        d = self.__dict__
        if self.bias:
            return (d["weight_ih" + suffix], d["weight_hh" + suffix], d["bias_ih" + suffix],
                    d["bias_hh" + suffix])
        return d["weight_ih" + suffix], d["weight_hh" + suffix], None, None

    def _state_names(self) -> tuple[str, ...]:
        return ("h_0",)

    def _split_hx(self, hx: _HX) -> tuple[Tensor, ...]:
        return (cast("Tensor", hx),)

    def _run_layer(self, x: Tensor, states: list[Optional[Tensor]], weights: _Weights,
                   reverse: bool, lengths: Optional[np.ndarray]) -> tuple[Tensor, ...]:
        """One layer in one direction: (its output, its final states)."""
        raise NotImplementedError

    @overload
    def forward(self, input: Tensor, hx: Optional[_HX] = None,
                lengths: _Lengths = None) -> tuple[Tensor, _HX]: ...

    @overload
    def forward(self, input: PackedSequence, hx: Optional[_HX] = None,
                lengths: None = None) -> tuple[PackedSequence, _HX]: ...

    def forward(self, input: Union[Tensor, PackedSequence], hx: Optional[_HX] = None,
                lengths: _Lengths = None) -> tuple[Union[Tensor, PackedSequence], _HX]:
        if not isinstance(input, PackedSequence):
            as_tensor_arg(type(self).__name__, "input", input)
        name = type(self).__name__
        if isinstance(input, PackedSequence):
            if lengths is not None:
                raise ValueError(f"{name}: lengths= is for a padded input; a PackedSequence "
                                 "carries its own lengths")
            if input.data.ndim != 2:
                raise ValueError(f"{name}: a PackedSequence input needs data of shape (N, "
                                 f"input_size), got {tuple(input.data.shape)}")
            padded, seq_lengths = pad_packed_sequence(input)
            output, states = self._forward(padded, hx, seq_lengths.array, False)
            return _pack_like(output, input), states
        return self._forward(input, hx, lengths, self.batch_first)

    def _forward(self, input: Tensor, hx: Optional[_HX], lengths: _Lengths,
                 batch_first: bool) -> tuple[Tensor, _HX]:
        """forward on a padded (or full-length) batch, time-major unless ``batch_first``."""
        name = type(self).__name__
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input must be 3-D (T, batch, input_size) (batch first with "
                             f"batch_first=True) or unbatched 2-D (T, input_size), with "
                             f"input_size={self.input_size}; got shape {tuple(input.shape)}")
        batched = input.ndim == 3
        if not batched:
            x = shape_ops.unsqueeze(input, 1)
        else:
            x = shape_ops.transpose(input, 0, 1) if batch_first else input
        T, B = x.shape[0], x.shape[1]
        D = 2 if self.bidirectional else 1
        states = self._initial_states(hx, B, batched, D)
        steps = recurrent.as_lengths(lengths, T, B, name)

        finals: list[list[Tensor]] = [[] for _ in states]
        for layer in range(self.num_layers):
            outputs: list[Tensor] = []
            for direction in range(D):
                k = layer * D + direction
                init_states = [None if s is None else s[k] for s in states]
                output, *ends = self._run_layer(x, init_states, self._layer_weights(
                    layer, direction == 1), direction == 1, steps)
                outputs.append(output)
                for collected, end in zip(finals, ends):
                    collected.append(end)
            x = outputs[0] if D == 1 else shape_ops.cat(outputs, dim=2)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout, True)

        ends = [shape_ops.stack(collected, 0) for collected in finals]
        if not batched:
            x = x[:, 0]
            ends = [end[:, 0] for end in ends]
        elif batch_first:
            x = shape_ops.transpose(x, 0, 1)
        return x, (ends[0] if len(ends) == 1 else (ends[0], ends[1]))

    def _initial_states(self, hx: Optional[_HX], B: int, batched: bool, D: int
                        ) -> list[Optional[Tensor]]:
        """The initial states, each checked and batched to (num_layers * D, B, H), or None."""
        name = type(self).__name__
        parts: tuple[Optional[Tensor], ...] = (self._split_hx(hx) if hx is not None else
                                               (None,) * len(self._state_names()))
        expected = (self.num_layers * D, B, self.hidden_size)
        states: list[Optional[Tensor]] = []
        for state_name, state in zip(self._state_names(), parts):
            if state is not None:
                _check_state(name, f"{state_name} (num_layers * num_directions, "
                             f"{'batch, ' if batched else ''}hidden_size)", state,
                             expected if batched else (expected[0], expected[2]))
                if not batched:
                    state = shape_ops.unsqueeze(state, 1)
            states.append(state)
        return states

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        for key, default in (("bias", True), ("batch_first", False), ("dropout", 0.0),
                             ("bidirectional", False)):
            if getattr(self, key) != default:
                text += f", {key}={getattr(self, key)}"
        return text


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) (or relu), per layer.

    Args: as ``RNNBase``, plus nonlinearity ('tanh' or 'relu') after num_layers, as in torch.
    Returns (output, h_n): output (T, B, D*H) holds the last layer's h_t for every t;
    h_n (num_layers * D, B, H) every layer's final state.

    Example: ``RNN(4, 8, batch_first=True)(gs.randn(2, 5, 4))[0].shape == (2, 5, 8)``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False,
                 device: Optional[DeviceLike] = None, dtype: Optional[DType] = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r}; use 'tanh' or 'relu'")
        self.__dict__["nonlinearity"] = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)

    def _run_layer(self, x: Tensor, states: list[Optional[Tensor]], weights: _Weights,
                   reverse: bool, lengths: Optional[np.ndarray]) -> tuple[Tensor, ...]:
        return recurrent.rnn_layer(x, states[0], *weights, nonlinearity=self.nonlinearity,
                                   reverse=reverse, lengths=lengths)


class LSTM(RNNBase):
    """Long short-term memory, per layer: i, f, g, o = sigma, sigma, tanh, sigma of
    (W_ih x_t + b_ih + W_hh h_{t-1} + b_hh);  c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t).

    The forget gate lets dL/dc flow back through c_t = f * c_{t-1} + ... multiplied only by f,
    not by a squashing derivative and W_hh at every step: the LSTM avoids the vanishing gradient.

    Args: as ``RNNBase``, and ``proj_size`` (only 0: gradsheet's LSTM has no projection).
    forward(input, hx=(h_0, c_0) or None, lengths=None).
    Returns (output, (h_n, c_n)), each state (num_layers * D, B, H).

    Reference: Hochreiter and Schmidhuber, "Long Short-Term Memory", Neural Computation 1997;
    the forget gate: Gers, Schmidhuber and Cummins, 2000.
    """

    gates = 4

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device: Optional[DeviceLike] = None,
                 dtype: Optional[DType] = None) -> None:
        if proj_size != 0:
            raise NotImplementedError(f"LSTM: proj_size={proj_size} (a projected hidden state) is "
                                      "not implemented in gradsheet; use proj_size=0")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)

    def _state_names(self) -> tuple[str, ...]:
        return ("h_0", "c_0")

    def _split_hx(self, hx: _HX) -> tuple[Tensor, ...]:
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"LSTM: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
        return tuple(hx)

    def _run_layer(self, x: Tensor, states: list[Optional[Tensor]], weights: _Weights,
                   reverse: bool, lengths: Optional[np.ndarray]) -> tuple[Tensor, ...]:
        return recurrent.lstm_layer(x, states[0], states[1], *weights, reverse=reverse,
                                    lengths=lengths)


class GRU(RNNBase):
    """Gated recurrent unit, per layer:
    r, z = sigma(W_i{r,z} x_t + b_i{r,z} + W_h{r,z} h_{t-1} + b_h{r,z}),
    n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn)),  h_t = (1 - z) * n + z * h_{t-1}.

    Args: as ``RNNBase``. Returns (output, h_n) as ``RNN``.

    Reference: Cho et al., "Learning Phrase Representations using RNN Encoder-Decoder", 2014.
    """

    gates = 3

    def _run_layer(self, x: Tensor, states: list[Optional[Tensor]], weights: _Weights,
                   reverse: bool, lengths: Optional[np.ndarray]) -> tuple[Tensor, ...]:
        return recurrent.gru_layer(x, states[0], *weights, reverse=reverse, lengths=lengths)
