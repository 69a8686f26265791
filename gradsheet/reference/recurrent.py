"""The recurrent cells as the cheat sheet writes them, one gate a line, and a loop over time.

Notation: x_t input (B, I), h_{t-1} previous hidden state (B, H), c_{t-1} previous cell (B, H);
W_ih (G*H, I) and W_hh (G*H, H) stack the G gate blocks in PyTorch's order (LSTM i, f, g, o;
GRU r, z, n), σ the sigmoid, ⊙ the elementwise product (``*``). Row vectors, so W x is written
``x @ W.T``. Every line is a primitive differentiable op: autograd derives the BPTT that
``gradsheet.ops.recurrent`` writes by hand.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

import gradsheet as gs
from gradsheet.ops import recurrent as fused

from .registry import mirrors

if TYPE_CHECKING:
    from gradsheet.autograd.tensor import Tensor

# a padded batch's lengths: B ints (a sequence or an integer array), or None
_Lengths = Optional[Union[Sequence[int], np.ndarray]]


def _biases(b_ih: Optional[Tensor], b_hh: Optional[Tensor], gates: int
            ) -> tuple[Sequence[Union[Tensor, float]], Sequence[Union[Tensor, float]]]:
    """The gate blocks of b_ih and b_hh (zeros when there are no biases)."""
    if b_ih is None:
        return (0.0,) * gates, (0.0,) * gates
    assert b_hh is not None  # the biases come in pairs
    return b_ih.chunk(gates), b_hh.chunk(gates)


def _zeros_if_none(h: Optional[Tensor], x: Tensor, W_hh: Tensor) -> Tensor:
    return gs.zeros(x.shape[0], W_hh.shape[1], dtype=x.dtype) if h is None else h


@mirrors(fused.LSTM, "the fused node computes all T steps' input projections as one GEMM, "
         "halves the sigmoid gates' weights so that one tanh serves all four gates, and writes "
         "BPTT by hand into preallocated buffers: no graph of ~20 nodes per step to build and walk")
def lstm_cell(x_t: Tensor, hx: tuple[Tensor, Tensor], W_ih: Tensor, W_hh: Tensor,
              b_ih: Optional[Tensor] = None, b_hh: Optional[Tensor] = None
              ) -> tuple[Tensor, Tensor]:
    """c_t = Γ_f ⊙ c_{t−1} + Γ_i ⊙ g_t,  h_t = Γ_o ⊙ tanh(c_t): one LSTM step.

        Γ_i = σ(W_ii x_t + W_hi h_{t−1} + b_i)     input gate: write to the cell or not?
        Γ_f = σ(W_if x_t + W_hf h_{t−1} + b_f)     forget gate: erase the cell or not?
        Γ_o = σ(W_io x_t + W_ho h_{t−1} + b_o)     output gate: how much to reveal the cell?
        g_t = tanh(W_ig x_t + W_hg h_{t−1} + b_g)  how much to write to the cell?

    with b = b_ih + b_hh per gate. hx = (h_{t−1}, c_{t−1}); returns (h_t, c_t).
    Fused: ``gradsheet.ops.recurrent.lstm_cell`` (the Function ``recurrent.LSTM``).
    """
    h_prev, c_prev = hx
    W_ii, W_if, W_ig, W_io = W_ih.chunk(4)  # PyTorch's block order: i, f, g, o
    W_hi, W_hf, W_hg, W_ho = W_hh.chunk(4)
    (b_ii, b_if, b_ig, b_io), (b_hi, b_hf, b_hg, b_ho) = _biases(b_ih, b_hh, 4)
    gamma_i = gs.sigmoid(x_t @ W_ii.T + h_prev @ W_hi.T + (b_ii + b_hi))
    gamma_f = gs.sigmoid(x_t @ W_if.T + h_prev @ W_hf.T + (b_if + b_hf))
    gamma_o = gs.sigmoid(x_t @ W_io.T + h_prev @ W_ho.T + (b_io + b_ho))
    g = gs.tanh(x_t @ W_ig.T + h_prev @ W_hg.T + (b_ig + b_hg))
    c_t = gamma_f * c_prev + gamma_i * g
    h_t = gamma_o * gs.tanh(c_t)
    return h_t, c_t


@mirrors(fused.GRU, "the fused node runs the input projection of all steps as one GEMM and "
         "a hand-written BPTT over preallocated buffers, instead of a graph of nodes per step")
def gru_cell(x_t: Tensor, h_prev: Optional[Tensor], W_ih: Tensor, W_hh: Tensor,
             b_ih: Optional[Tensor] = None, b_hh: Optional[Tensor] = None) -> Tensor:
    """h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}: one GRU step.

        r = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)        reset gate
        z = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)        update gate
        n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t−1} + b_hn))  candidate state

    h_prev None means zeros. Fused: ``gradsheet.ops.recurrent.gru_cell`` (``recurrent.GRU``).
    """
    h_prev = _zeros_if_none(h_prev, x_t, W_hh)
    W_ir, W_iz, W_in = W_ih.chunk(3)  # PyTorch's block order: r, z, n
    W_hr, W_hz, W_hn = W_hh.chunk(3)
    (b_ir, b_iz, b_in), (b_hr, b_hz, b_hn) = _biases(b_ih, b_hh, 3)
    r = gs.sigmoid(x_t @ W_ir.T + b_ir + h_prev @ W_hr.T + b_hr)
    z = gs.sigmoid(x_t @ W_iz.T + b_iz + h_prev @ W_hz.T + b_hz)
    n = gs.tanh(x_t @ W_in.T + b_in + r * (h_prev @ W_hn.T + b_hn))
    h_t = (1 - z) * n + z * h_prev
    return h_t


@mirrors(fused.RNNTanh, "the fused node runs the input projection of all steps as one GEMM "
         "and a hand-written BPTT, instead of a graph of nodes per step")
def rnn_cell(x_t: Tensor, h_prev: Optional[Tensor], W_ih: Tensor, W_hh: Tensor,
             b_ih: Optional[Tensor] = None, b_hh: Optional[Tensor] = None,
             nonlinearity: str = "tanh") -> Tensor:
    """h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh) (or relu): one Elman RNN step.

    h_prev None means zeros. Fused: ``gradsheet.ops.recurrent.rnn_tanh_cell`` /
    ``rnn_relu_cell`` (``recurrent.RNNTanh`` / ``RNNReLU``).
    """
    h_prev = _zeros_if_none(h_prev, x_t, W_hh)
    g = gs.tanh if nonlinearity == "tanh" else gs.relu
    a = x_t @ W_ih.T + h_prev @ W_hh.T
    if b_ih is not None:
        a = a + b_ih
    if b_hh is not None:
        a = a + b_hh
    return g(a)


def over_time(cell: Callable[[Tensor, Any], Any], x: Tensor, state: Any, reverse: bool = False,
              lengths: _Lengths = None) -> tuple[Tensor, Any]:
    """y_t, state_t = cell(x_t, state_{t−1}) for t = 1 .. T (T .. 1 when ``reverse``).

    x (T, B, I); ``state`` is what ``cell`` takes and returns (h, or the pair (h, c)).
    ``lengths`` (B ints): sequence b runs for lengths[b] steps; on its padded steps the state
    stays as it was and the output is 0 (so in reverse each sequence starts at its own last
    step), as a PackedSequence does. Returns (outputs (T, B, H), final state).
    """
    T = x.shape[0]
    outputs: list[Any] = [None] * T  # each step's h_t, filled in below
    for t in (reversed(range(T)) if reverse else range(T)):
        new = cell(x[t], state)
        h_t = new[0] if isinstance(new, tuple) else new
        if lengths is None:
            state, outputs[t] = new, h_t
            continue
        running = gs.tensor([[t < n] for n in lengths])  # (B, 1): sequence still running?
        if isinstance(new, tuple):
            state = tuple(gs.where(running, s_new, s) for s_new, s in zip(new, state))
        else:
            state = gs.where(running, new, state)
        outputs[t] = gs.where(running, h_t, gs.zeros_like(h_t))
    return gs.stack(outputs), state


@mirrors(fused.LSTM, "the fused node runs all T steps at once: one GEMM for every step's input "
         "projection, one small GEMM per step on h_{t-1}, and a hand-written BPTT in place")
def lstm_layer(x: Tensor, h0: Optional[Tensor], c0: Optional[Tensor], W_ih: Tensor,
               W_hh: Tensor, b_ih: Optional[Tensor] = None, b_hh: Optional[Tensor] = None,
               reverse: bool = False, lengths: _Lengths = None
               ) -> tuple[Tensor, Tensor, Tensor]:
    """The LSTM cell over a sequence: (output (T, B, H), h_T, c_T); h0, c0 None mean zeros.

    Fused: ``gradsheet.ops.recurrent.lstm_layer`` (one node for all T steps).
    """
    h0, c0 = _zeros_if_none(h0, x[0], W_hh), _zeros_if_none(c0, x[0], W_hh)
    output, (h_T, c_T) = over_time(lambda x_t, hx: lstm_cell(x_t, hx, W_ih, W_hh, b_ih, b_hh),
                                   x, (h0, c0), reverse, lengths)
    return output, h_T, c_T


@mirrors(fused.GRU, "the fused node runs all T steps at once: one GEMM for every step's input "
         "projection and a hand-written BPTT in preallocated buffers")
def gru_layer(x: Tensor, h0: Optional[Tensor], W_ih: Tensor, W_hh: Tensor,
              b_ih: Optional[Tensor] = None, b_hh: Optional[Tensor] = None,
              reverse: bool = False, lengths: _Lengths = None) -> tuple[Tensor, Tensor]:
    """The GRU cell over a sequence: (output (T, B, H), h_T).

    Fused: ``gradsheet.ops.recurrent.gru_layer`` (one node for all T steps).
    """
    h0 = _zeros_if_none(h0, x[0], W_hh)
    return over_time(lambda x_t, h: gru_cell(x_t, h, W_ih, W_hh, b_ih, b_hh), x, h0, reverse,
                     lengths)


@mirrors(fused.RNNTanh, "the fused node runs all T steps at once: one GEMM for every step's "
         "input projection and a hand-written BPTT in preallocated buffers")
def rnn_layer(x: Tensor, h0: Optional[Tensor], W_ih: Tensor, W_hh: Tensor,
              b_ih: Optional[Tensor] = None, b_hh: Optional[Tensor] = None,
              nonlinearity: str = "tanh", reverse: bool = False, lengths: _Lengths = None
              ) -> tuple[Tensor, Tensor]:
    """The RNN cell over a sequence: (output (T, B, H), h_T).

    Fused: ``gradsheet.ops.recurrent.rnn_layer`` (one node for all T steps).
    """
    h0 = _zeros_if_none(h0, x[0], W_hh)
    return over_time(lambda x_t, h: rnn_cell(x_t, h, W_ih, W_hh, b_ih, b_hh, nonlinearity), x,
                     h0, reverse, lengths)
