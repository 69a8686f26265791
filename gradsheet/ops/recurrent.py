"""Recurrent layers as fused ops: one node runs a whole sequence, with hand-written BPTT.

Notation: x_t input at step t (B, I), h_t hidden state (B, H), c_t the LSTM's cell (B, H);
W_ih (G*H, I) and W_hh (G*H, H) hold the G gate blocks stacked in PyTorch's order
(LSTM i, f, g, o; GRU r, z, n), sigma the sigmoid, * the elementwise product.

    RNN:   h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)              (or relu)
    LSTM:  i, f, g, o = sigma, sigma, tanh, sigma of (W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
           c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)
    GRU:   r, z = sigma of (W_i{r,z} x_t + b_i{r,z} + W_h{r,z} h_{t-1} + b_h{r,z})
           n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn)),  h_t = (1 - z) * n + z * h_{t-1}

How the node is fast (RNN, GRU): the input projection of all T steps is one GEMM per gate block,
(T*B, I) @ (I, H); each step's gates are one small GEMM per block on h_{t-1}. Backpropagation
through time runs the steps in reverse, writing each step's gate gradient dA_t into one
(G, T, B, H) array, so that dW_ih = dA^T X, dW_hh = dA^T H_prev, db = sum dA and dX = dA W_ih
are again one GEMM per block over all steps. The elementwise work is done step by step in
scratch buffers reused across steps (that stays in cache; vectorising it over the whole
sequence was slower), float32 kept float32. The LSTM, the layer most used, goes further: it keeps
everything feature-major (the state as h^T, a step's gates as one (4H, B) block), so that a step
is a single GEMM each way (see ``LSTM``).

Variable lengths (``lengths``): sequences are sorted longest first, so at step t the sequences
still running are a prefix of n_t rows (PyTorch's PackedSequence ``batch_sizes``); a step
updates only those rows. A padded step therefore leaves the state unchanged, gets no
gradient, and outputs 0, as ``pad_packed_sequence`` does; the reverse direction starts each
sequence at its own last step.

The node's output packs [y_1 .. y_T, h_T, (c_T)] along the first axis; ``rnn_layer`` and its
siblings slice it into the tensors they return.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional, Union

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from .. import threads

# a padded batch's lengths: B ints (a sequence, an integer array or Tensor), or None
_Lengths = Union[Sequence[int], np.ndarray, Tensor, None]

_GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


def _batch_order(lengths: Optional[np.ndarray], T: int
                 ) -> tuple[Optional[np.ndarray], Optional[list[int]]]:
    """(order, sizes): the longest-first permutation of the batch (None if already sorted) and
    sizes[t] = number of sequences longer than t (None when every sequence has length T)."""
    if lengths is None:
        return None, None
    order: Optional[np.ndarray] = np.argsort(-lengths, kind="stable")
    if np.all(order == np.arange(len(lengths))):
        order = None
    sizes = np.count_nonzero(lengths[None, :] > np.arange(T)[:, None], axis=1).tolist()
    return order, sizes


def _zero_padded(y: np.ndarray, sizes: list[int]) -> None:
    """Zero, in place, the outputs y (T, B, H) of the steps a sequence did not run: row b of
    step t when b >= sizes[t] (as ``pad_packed_sequence`` pads)."""
    B = y.shape[1]
    y *= np.arange(B)[None, :, None] < np.asarray(sizes)[:, None, None]


def _transposed(w: np.ndarray) -> np.ndarray:
    """Each gate block of w (G, H, K) transposed, contiguous: NumPy's matmul is several times
    slower with a transposed view as its right operand (measured with OpenBLAS)."""
    return np.ascontiguousarray(w.transpose(0, 2, 1))


def _gate_matmul(a: np.ndarray, w: np.ndarray, out: np.ndarray) -> None:
    """out[k] = a @ w[k] for every gate block k: separate 2-D GEMMs, which beat one batched
    matmul and one (B, G*H) product for these sizes (measured with OpenBLAS)."""
    for k in range(len(w)):
        np.matmul(a, w[k], out=out[k])


def _weight_grad(d: np.ndarray, a: np.ndarray) -> np.ndarray:
    """d[k]^T @ a for every gate block, summing over all steps at once: (G, N, H), (N, K) ->
    (G, H, K). 2-D products: a batched matmul of transposed views ran up to 20x slower."""
    return np.stack([np.matmul(d[k].T, a) for k in range(len(d))])


def _back_matmul(d: np.ndarray, w: np.ndarray, scratch: np.ndarray, out: np.ndarray) -> None:
    """out = sum over gate blocks k of d[k] @ w[k]: dL/dh_{t-1} from the gate gradients."""
    for k in range(len(w)):
        np.matmul(d[k], w[k], out=scratch[k])
    np.add.reduce(scratch, axis=0, out=out)


class _Recurrence(Function):
    """One layer, one direction, all T steps in one node (see the module docstring).

    Inputs: x (T, B, I), h0 (B, H) or None (zeros), c0 (None: the LSTM's slot, unused here),
    W_ih (G*H, I), W_hh (G*H, H), b_ih and b_hh (G*H,) or None.
    Output: [y (T, B, H) if ``sequence``, h_T] stacked on the first axis; the (B, H) state alone
    when ``sequence`` is False (the cells).

    Inside, the gates are kept gate-major, (G, T, B, H), so that every gate of a step is a
    contiguous (B, H) block: NumPy runs an elementwise op on a strided column block of a
    (B, G*H) array about 4x slower. The GEMMs run per gate block. The blocks
    are reordered so that the sigmoid gates come first (``gate_order``), and their weights are
    halved: one tanh over all G blocks then gives sigma(a) = 0.5 + 0.5 tanh(a / 2) for those
    (halving is exact in binary floating point). The states live in one (T+1, B, H) array in
    time order with h_0 in the extra slot (first, or last for a reverse layer), so that the
    states before and after the steps, ``self.hprev`` and ``self.hcur``, are contiguous (T, B, H)
    views of it: a step reads hprev[t] and writes hcur[t], nothing is copied step by step, and
    dW_hh's GEMM reads hprev as it is. Subclasses write the step loop (``_steps``) and its
    reverse (``_steps_back``).
    """

    states = 1  # number of state tensors: h
    gate_order: tuple[int, ...] = (0,)  # PyTorch's gate blocks in the order the loop keeps them
    sigmoid_gates = 0  # the first ones in that order go through a sigmoid
    gates_are_states = False  # the one gate's activation is h_t (RNN): hcur holds the gates

    def forward(self, x: np.ndarray, h0: Optional[np.ndarray], c0: Optional[np.ndarray], w_ih: np.ndarray,
                w_hh: np.ndarray, b_ih: Optional[np.ndarray], b_hh: Optional[np.ndarray],
                reverse: bool = False, lengths: Optional[np.ndarray] = None,
                sequence: bool = True) -> np.ndarray:
        if x.ndim == 2:  # a cell: one step (the engine sums dL/dx back over the added axis)
            x = x[None]
        T, B, n_in = x.shape
        H = w_hh.shape[1]
        order, sizes = _batch_order(lengths, T)
        if order is not None:
            x = x[:, order]
            h0 = None if h0 is None else h0[order]
            c0 = None if c0 is None else c0[order]
        G, gates = len(self.gate_order), list(self.gate_order)
        scale = np.ones((G, 1, 1), dtype=x.dtype)
        scale[:self.sigmoid_gates] = 0.5
        self.w_ih, self.w_hh = w_ih.reshape(G, H, n_in)[gates], w_hh.reshape(G, H, H)[gates]
        hs = np.empty((T + 1, B, H), dtype=x.dtype)  # h_0 and h_1 .. h_T (see the class docstring)
        hs[T if reverse else 0] = 0 if h0 is None else h0
        self.hprev, self.hcur = (hs[1:], hs[:T]) if reverse else (hs[:T], hs[1:])
        # one GEMM per gate block for the input projection of all steps; it becomes the gates
        xw = self.hcur[None] if self.gates_are_states else np.empty((G, T, B, H), dtype=x.dtype)
        rows = xw.reshape(G, T * B, H)  # (a view: both are contiguous)
        _gate_matmul(x.reshape(T * B, n_in), _transposed(self.w_ih * scale), rows)
        if b_ih is not None:
            assert b_hh is not None  # both biases or neither (_check_layer)
            rows += self._input_bias(b_ih, b_hh, H, gates) * scale
        whh_t = _transposed(self.w_hh * scale)
        steps = range(T - 1, -1, -1) if reverse else range(T)
        self.b_hh = b_hh
        self._steps(xw, whh_t, steps, sizes, h0 is None)
        first = T if sequence else 0
        out = np.empty((first + 1, B, H), dtype=x.dtype)
        if sequence:
            out[:T] = self.hcur
            if sizes is not None:
                _zero_padded(out[:T], sizes)
        # the last step run's state (a finished sequence's rows carry its last state); h_0 if none
        out[first] = self.hcur[steps[-1]] if T else hs[0]
        self.x, self.gates = x, xw
        self.order, self.sizes, self.steps, self.sequence = order, sizes, steps, sequence
        if order is not None:
            out = out[:, np.argsort(order)]
        return out if sequence else out[0]

    def _input_bias(self, b_ih: np.ndarray, b_hh: np.ndarray, H: int, gates: list[int]
                    ) -> np.ndarray:
        """The biases that sit outside any product, folded into the input projection (G, 1, H)."""
        return (b_ih + b_hh).reshape(-1, 1, H)[gates]

    def _steps(self, xw: np.ndarray, whh_t: np.ndarray, steps: range,
               sizes: Optional[list[int]], zero_h0: bool) -> None:
        """The loop over ``steps``: the gates (G, T, B, H) computed in place from the input
        projection ``xw``, each step reading ``self.hprev[t]`` and writing ``self.hcur[t]``
        (the rows of finished sequences copied over unchanged; ``zero_h0``: h_0 = 0, so the
        first step's W_hh h_0 is 0)."""
        raise NotImplementedError

    def _carry(self, t: int, n: int) -> None:
        """Rows n: of step t belong to sequences not running at t: their state passes through."""
        self.hcur[t, n:] = self.hprev[t, n:]

    def _steps_back(self, gy: Optional[np.ndarray], state: np.ndarray
                    ) -> tuple[Optional[np.ndarray], np.ndarray]:
        """BPTT, the steps in reverse from dL/dy (``gy``, None when only the final state has a
        gradient) and dL/d(final state) ``state`` (updated to dL/d(initial state)): the gate
        gradients (G, T, B, H) of the input side (None when they equal the hidden side's) and
        of the hidden side."""
        raise NotImplementedError

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], ...]:
        if g.ndim == 2:
            g = g[None]
        if self.order is not None:
            g = g[:, self.order]
        T, B, H = self.hprev.shape
        first = T if self.sequence else 0
        state = g[first:].copy()  # dL/dh_T (and dL/dc_T), carried back step by step
        dx_gates, dh_gates = self._steps_back(g[:T] if self.sequence else None, state)
        G = dh_gates.shape[0]
        back = np.argsort(self.gate_order)  # to PyTorch's block order
        dh_flat = dh_gates.reshape(G, T * B, H)
        dx_flat = dh_flat if dx_gates is None else dx_gates.reshape(G, T * B, H)
        grads: list[Optional[np.ndarray]] = [None] * 7
        if self.needs_grad(0):
            grads[0] = np.matmul(dx_flat, self.w_ih).sum(axis=0).reshape(T, B, self.w_ih.shape[-1])
        if self.needs_grad(1):
            grads[1] = state[0]
        if self.needs_grad(3):
            x_flat = self.x.reshape(T * B, self.x.shape[-1])
            grads[3] = _weight_grad(dx_flat, x_flat)[back].reshape(G * H, self.x.shape[-1])
        if self.needs_grad(4):
            grads[4] = _weight_grad(dh_flat, self.hprev.reshape(T * B, H))[back].reshape(G * H, H)
        if self.needs_grad(5):
            grads[5] = dx_flat.sum(axis=1)[back].reshape(G * H)
        if self.needs_grad(6):
            same = dx_gates is None and grads[5] is not None
            grads[6] = grads[5] if same else dh_flat.sum(axis=1)[back].reshape(G * H)
        if self.order is not None:
            inverse = np.argsort(self.order)
            for i in (0, 1, 2):
                grad = grads[i]
                if grad is not None:
                    grads[i] = grad[:, inverse] if i == 0 else grad[inverse]
        return tuple(grads)

    def _zeros_or_empty(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> np.ndarray:
        # rows of padded steps must read as 0 in the weight-gradient GEMMs
        return (np.empty if self.sizes is None else np.zeros)(shape, dtype=dtype)


class RNNTanh(_Recurrence):
    """h_t = tanh(a_t), a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh.

    BPTT: dL/da_t = (dL/dy_t + dL/dh_t from step t+1) * (1 - h_t**2);
    dL/dh_{t-1} = dL/da_t @ W_hh.
    """

    def _activate(self, a: np.ndarray) -> None:
        np.tanh(a, out=a)

    def _derivative(self, h: np.ndarray, out: np.ndarray) -> None:
        """g'(a) written with the output h = g(a): 1 - h**2."""
        np.multiply(h, h, out=out)
        np.subtract(1, out, out=out)

    gates_are_states = True

    def _steps(self, xw: np.ndarray, whh_t: np.ndarray, steps: range,
               sizes: Optional[list[int]], zero_h0: bool) -> None:
        whh_t, hprev, hcur = whh_t[0], self.hprev, self.hcur  # one gate block; xw[0] is hcur
        B, H = hcur.shape[1:]
        hh = np.empty((B, H), dtype=hcur.dtype)
        for k, t in enumerate(steps):
            n = B if sizes is None else sizes[t]
            if n < B:
                self._carry(t, n)
                if n == 0:
                    continue
            a = hcur[t, :n]
            if k or not zero_h0:
                np.dot(hprev[t, :n], whh_t, out=hh[:n])
                a += hh[:n]
            self._activate(a)

    def _steps_back(self, gy: Optional[np.ndarray], state: np.ndarray
                    ) -> tuple[Optional[np.ndarray], np.ndarray]:
        dh, hs, w_hh = state[0], self.gates[0], self.w_hh[0]
        T, B, H = hs.shape
        da = self._zeros_or_empty((1, T, B, H), hs.dtype)
        slope = np.empty((B, H), dtype=hs.dtype)
        for t in reversed(self.steps):
            n = B if self.sizes is None else self.sizes[t]
            if n == 0:
                continue
            dhn = dh[:n]
            if gy is not None:
                dhn += gy[t, :n]
            self._derivative(hs[t, :n], slope[:n])
            np.multiply(dhn, slope[:n], out=da[0, t, :n])
            np.matmul(da[0, t, :n], w_hh, out=dhn)
        return None, da


class RNNReLU(RNNTanh):
    """h_t = relu(a_t), a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh.

    BPTT as for tanh, with relu'(a_t) = 1 where h_t > 0, else 0.
    """

    def _activate(self, a: np.ndarray) -> None:
        np.maximum(a, 0, out=a)

    def _derivative(self, h: np.ndarray, out: np.ndarray) -> None:
        np.greater(h, 0, out=out)


class LSTM(Function):
    """i, f, g, o = sigma(a_i), sigma(a_f), tanh(a_g), sigma(a_o), with
    a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh;   c_t = f * c_{t-1} + i * g;   h_t = o * tanh(c_t).

    BPTT, with dh = dL/dy_t + dL/dh_t (from step t+1) and dc = dL/dc_t (from step t+1):
        dc += dh * o * (1 - tanh(c_t)**2)
        da_i = dc * g * i (1 - i),   da_f = dc * c_{t-1} * f (1 - f),
        da_g = dc * i * (1 - g**2),  da_o = dh * tanh(c_t) * o (1 - o)
        dL/dc_{t-1} = dc * f,        dL/dh_{t-1} = W_hh^T da;
    then over all steps at once: [dW_ih | dW_hh] = dA [X | H_prev], db = dA 1, dX = dA^T W_ih.

    Inputs and output as ``_Recurrence`` (the same node signature). Inside, everything is
    feature-major: the state is h_t^T (H, B) and a step's four gates are one contiguous (4H, B)
    block, so that a step is ONE GEMM each way (W_hh (4H, H) @ h^T and W_hh^T (H, 4H) @ dA_t)
    and every gate is a contiguous (H, B) row block for the elementwise work (NumPy runs a
    ufunc on a strided block several times slower). The gate rows are kept in the order
    o, i, f, g, the sigmoid rows' weights halved: one tanh over the (4H, B) block gives
    sigma(a) = 0.5 + 0.5 tanh(a / 2) on the first 3H rows, and in the backward the rows that
    dc multiplies (i, f, g) are one block. The input projection of all steps, bias included (a
    row of ones under x_t^T), is one batched GEMM into the (T, 4H, B) gates; states and cells
    are written straight into (T+1, H, B) arrays (no copies in the loop). The backward computes
    the factors of dA that do not depend on the running dh, dc (the slopes times their
    partners: g i (1 - i), c_{t-1} f (1 - f), tanh(c) o (1 - o), i (1 - g**2), and
    o (1 - tanh(c)**2)) a few steps at a time, as a handful of calls on blocks that stay in
    cache, leaving five ufuncs and the GEMM per step; each step writes its dA_t straight into
    a (4H, T, B) array, which is dA as one (4H, T*B) matrix for the weight-gradient GEMM. The
    per-step GEMMs run single-threaded (``threads.small_gemms``).
    """

    states = 2
    rows_order = (3, 0, 1, 2)  # PyTorch's gate blocks i, f, g, o as kept inside: o, i, f, g
    chunk = 8  # steps whose dh-independent backward factors are computed together

    def forward(self, x: np.ndarray, h0: Optional[np.ndarray], c0: Optional[np.ndarray], w_ih: np.ndarray,
                w_hh: np.ndarray, b_ih: Optional[np.ndarray], b_hh: Optional[np.ndarray],
                reverse: bool = False, lengths: Optional[np.ndarray] = None,
                sequence: bool = True) -> np.ndarray:
        if x.ndim == 2:  # a cell: one step (the engine sums dL/dx back over the added axis)
            x = x[None]
        T, B, n_in = x.shape
        H, dt = w_hh.shape[1], x.dtype
        H2, H3 = 2 * H, 3 * H
        order, sizes = _batch_order(lengths, T)
        if order is not None:
            x = x[:, order]
            h0 = None if h0 is None else h0[order]
            c0 = None if c0 is None else c0[order]
        rows = np.concatenate([np.arange(k * H, (k + 1) * H) for k in self.rows_order])
        half = np.ones((4 * H, 1), dtype=dt)
        half[:H3] = 0.5
        w_aug = np.empty((4 * H, n_in + 1), dtype=dt)  # [W_ih | b_ih + b_hh], rows reordered
        np.multiply(w_ih[rows], half, out=w_aug[:, :n_in])
        if b_ih is None:
            w_aug[:, n_in] = 0
        else:
            np.multiply((b_ih + b_hh)[rows], half[:, 0], out=w_aug[:, n_in])
        w_hh_half = w_hh[rows] * half
        steps = np.arange(T - 1, -1, -1) if reverse else np.arange(T)
        run = slice(None, None, -1) if reverse else slice(None)  # time <-> run order, a view
        xt = np.empty((T, n_in + 1, B), dtype=dt)  # [x_t^T; 1] in the order the steps run
        xt[:, :n_in] = x[run].transpose(0, 2, 1)
        xt[:, n_in] = 1
        gates = np.matmul(w_aug, xt)  # (T, 4H, B)
        # hs[k], cs[k]: the state before the k-th step run; hs[k + 1] after it
        hs = np.empty((T + 1, H, B), dtype=dt)
        cs = np.empty((T + 1, H, B), dtype=dt)
        tanh_c = (np.empty if sizes is None else np.zeros)((T, H, B), dtype=dt)
        hs[0] = 0 if h0 is None else h0.T
        cs[0] = 0 if c0 is None else c0.T
        u = np.empty((4 * H, B), dtype=dt)
        ig = np.empty((H, B), dtype=dt)
        one_half = dt.type(0.5)
        mul, add, tanh = np.multiply, np.add, np.tanh
        with threads.small_gemms():
            for k in range(T):
                n = B if sizes is None else sizes[steps[k]]
                a, h, c, hn, cn, tc, uk, igk = gates[k], hs[k], cs[k], hs[k + 1], cs[k + 1], \
                    tanh_c[k], u, ig
                if n < B:  # padded: the finished sequences (the last columns) keep their state
                    hn[...] = h
                    cn[...] = c
                    if n == 0:
                        continue
                    a, h, c, hn, cn, tc, uk, igk = (v[:, :n] for v in (a, h, c, hn, cn, tc, uk,
                                                                       igk))
                if k or h0 is not None:  # (W_hh h_0 = 0 when h_0 is)
                    np.matmul(w_hh_half, h, out=uk)
                    add(a, uk, a)
                tanh(a, a)  # tanh(a_g), and tanh(a / 2) on the halved sigmoid rows
                s = a[:H3]
                mul(s, one_half, s)
                add(s, one_half, s)
                mul(a[H2:H3], c, cn)  # f * c
                mul(a[H:H2], a[H3:], igk)  # i * g
                add(cn, igk, cn)
                tanh(cn, tc)
                mul(a[:H], tc, hn)  # o * tanh(c)
        first = T if sequence else 0
        out = np.empty((first + 2, B, H), dtype=dt)
        if sequence:
            out[:T][run] = hs[1:].transpose(0, 2, 1)
            if sizes is not None:
                _zero_padded(out[:T], sizes)
        out[first] = hs[T].T
        out[first + 1] = cs[T].T
        self.x, self.gates, self.hs, self.cs, self.tanh_c = x, gates, hs, cs, tanh_c
        self.w_ih, self.w_hh, self.rows, self.steps, self.run = w_ih, w_hh[rows], rows, steps, run
        self.sizes, self.order, self.sequence = sizes, order, sequence
        if order is not None:
            out = out[:, np.argsort(order)]
        return out

    def _factors(self, k0: int, k1: int, p: np.ndarray, q: np.ndarray) -> None:
        """The dh-independent factors of steps k0 .. k1-1 (run order), into p (k1-k0, 4H, B)
        (rows o, i, f, g: tanh(c) o (1 - o), g i (1 - i), c_{t-1} f (1 - f), i (1 - g**2))
        and q (k1-k0, H, B) = o (1 - tanh(c)**2)."""
        a, tc = self.gates[k0:k1], self.tanh_c[k0:k1]
        H = tc.shape[1]
        H2, H3 = 2 * H, 3 * H
        one = a.dtype.type(1)
        mul, sub = np.multiply, np.subtract
        sub(one, a[:, :H3], p[:, :H3])
        mul(p[:, :H3], a[:, :H3], p[:, :H3])  # sigma' = s (1 - s)
        mul(p[:, :H], tc, p[:, :H])
        mul(p[:, H:H2], a[:, H3:], p[:, H:H2])
        mul(p[:, H2:H3], self.cs[k0:k1], p[:, H2:H3])
        g = a[:, H3:]
        mul(g, g, p[:, H3:])
        sub(one, p[:, H3:], p[:, H3:])
        mul(p[:, H3:], a[:, H:H2], p[:, H3:])
        mul(tc, tc, q)
        sub(one, q, q)
        mul(q, a[:, :H], q)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], ...]:
        if g.ndim == 2:
            g = g[None]
        if self.order is not None:
            g = g[:, self.order]
        gates, steps, sizes = self.gates, self.steps, self.sizes
        T, H4, B = gates.shape
        H = H4 // 4
        H2, H3, dt = 2 * H, 3 * H, gates.dtype
        first = T if self.sequence else 0
        dh = np.ascontiguousarray(g[first].T)  # dL/dh^T and dL/dc^T, carried back step by step
        dc = np.ascontiguousarray(g[first + 1].T)
        gy: dict[int, np.ndarray] = {}  # dL/dy_t^T (H, B) of the steps whose output has a gradient, by time
        if self.sequence:
            live = np.flatnonzero(g[:T].reshape(T, B * H).any(axis=1))
            gy = dict(zip(live.tolist(), np.ascontiguousarray(g[live].transpose(0, 2, 1))))
        w_hh_t = np.ascontiguousarray(self.w_hh.T)  # (H, 4H)
        # dL/da by time, (4H, T, B): a step writes its (4H, B) slice
        da = (np.empty if sizes is None else np.zeros)((H4, T, B), dtype=dt)  # padded: 0
        C = min(self.chunk, T)
        p_all = np.empty((C, H4, B), dtype=dt)
        q_all = np.empty((C, H, B), dtype=dt)
        s = np.empty((H, B), dtype=dt)
        dh0, dc0 = self.needs_grad(1), self.needs_grad(2)
        mul, add = np.multiply, np.add
        k0 = T  # the first step of the current chunk
        with threads.small_gemms():
            for k in range(T - 1, -1, -1):
                if k < k0:
                    k0 = max(k + 1 - C, 0)
                    self._factors(k0, k + 1, p_all[:k + 1 - k0], q_all[:k + 1 - k0])
                j = k - k0
                t = steps[k]
                n = B if sizes is None else sizes[t]
                if n == 0:
                    continue
                p, q, dk, f, dhn, dcn, sn = p_all[j], q_all[j], da[:, t], gates[k, H2:H3], dh, \
                    dc, s
                gk = gy.get(t)
                if n < B:
                    p, q, dk, f, dhn, dcn, sn = (v[:, :n] for v in (p, q, dk, f, dhn, dcn, sn))
                    gk = None if gk is None else gk[:, :n]
                if gk is not None:
                    add(dhn, gk, dhn)
                mul(dhn, q, sn)
                add(dcn, sn, dcn)  # dc += dh * o * (1 - tanh(c)**2)
                mul(p[:H], dhn, dk[:H])  # da_o
                m = p.shape[1]
                mul(p[H:].reshape(3, H, m), dcn, dk[H:].reshape(3, H, m))  # da_i, da_f, da_g
                if k or dc0:
                    mul(dcn, f, dcn)
                if k or dh0:
                    np.matmul(w_hh_t, dk, out=dhn)
        back = np.argsort(self.rows)  # gate rows back to PyTorch's order
        da = da.reshape(H4, T * B)
        grads: list[Optional[np.ndarray]] = [None] * 7
        if self.needs_grad(0):
            grads[0] = np.matmul(da.T, self.w_ih[self.rows]).reshape(T, B, self.x.shape[2])
        if dh0:
            grads[1] = dh.T
        if dc0:
            grads[2] = dc.T
        if any(self.needs_grad(i) for i in (3, 4, 5, 6)):
            n_in = self.x.shape[2]
            z = np.empty((T, B, n_in + H), dtype=dt)  # [X | H_prev], one row per (t, b)
            z[:, :, :n_in] = self.x
            z[:, :, n_in:][self.run] = self.hs[:T].transpose(0, 2, 1)
            dw = np.matmul(da, z.reshape(T * B, n_in + H))[back]
            grads[3] = dw[:, :n_in]
            grads[4] = dw[:, n_in:]
            # (a GEMV: faster than a column of ones in the GEMM, whose odd width costs more)
            db = np.matmul(da, np.ones(T * B, dtype=dt))[back]
            grads[5], grads[6] = db, db.copy()
        if self.order is not None:
            inverse = np.argsort(self.order)
            for i in (0, 1, 2):
                grad = grads[i]
                if grad is not None:
                    grads[i] = grad[:, inverse] if i == 0 else grad[inverse]
        return tuple(grads)


class GRU(_Recurrence):
    """r = sigma(a_r), z = sigma(a_z), n = tanh(a_n + r * m), h_t = n + z * (h_{t-1} - n), with
    a = W_ih x_t + b_ih, [u_r, u_z, m] = W_hh h_{t-1} + b_hh, and a_r += u_r, a_z += u_z.

    BPTT, with dh = dL/dy_t + dL/dh_t (from step t+1):
        dn_pre = dh * (1 - z) * (1 - n**2)      (the gradient of a_n, and of m through r)
        da_z = dh * (h_{t-1} - n) * z (1 - z),  da_r = dn_pre * m * r (1 - r),  dm = dn_pre * r
        dL/dh_{t-1} = dh * z + [da_r, da_z, dm] @ W_hh.
    The input side's gate gradient [da_r, da_z, dn_pre] differs from the hidden side's
    [da_r, da_z, dm] in the n block, so the two are kept apart.
    """

    gate_order = (0, 1, 2)
    sigmoid_gates = 2

    def _input_bias(self, b_ih: np.ndarray, b_hh: np.ndarray, H: int, gates: list[int]
                    ) -> np.ndarray:
        bias = b_ih.reshape(3, 1, H).copy()
        bias[:2] += b_hh.reshape(3, 1, H)[:2]  # b_hn stays inside r * (W_hn h + b_hn)
        return bias

    def _steps(self, xw: np.ndarray, whh_t: np.ndarray, steps: range,
               sizes: Optional[list[int]], zero_h0: bool) -> None:
        hprev, hcur, b_hh = self.hprev, self.hcur, self.b_hh
        B, H = hcur.shape[1:]
        b_hn = None if b_hh is None else b_hh[2 * H:]
        self.m = m_saved = np.empty_like(hprev)
        hh = np.empty((3, B, H), dtype=hcur.dtype)
        s = np.empty((B, H), dtype=hcur.dtype)
        for k, t in enumerate(steps):
            n = B if sizes is None else sizes[t]
            if n < B:
                self._carry(t, n)
                if n == 0:
                    continue
            a, u, sn, hp, hn, m = xw[:, t, :n], hh[:, :n], s[:n], hprev[t, :n], hcur[t, :n], \
                m_saved[t, :n]
            if k or not zero_h0:
                _gate_matmul(hp, whh_t, u)
            else:  # W_hh h_0 = 0
                u[...] = 0
            if b_hn is None:
                m[...] = u[2]
            else:
                np.add(u[2], b_hn, out=m)
            rz = a[:2]
            rz += u[:2]
            np.tanh(rz, out=rz)  # tanh(a / 2) on the halved weights: sigma = 0.5 + 0.5 tanh
            np.multiply(rz, 0.5, out=rz)
            np.add(rz, 0.5, out=rz)
            r, z, new = a
            np.multiply(r, m, out=sn)
            new += sn
            np.tanh(new, out=new)
            np.subtract(hp, new, out=sn)
            sn *= z
            np.add(new, sn, out=hn)

    def _steps_back(self, gy: Optional[np.ndarray], state: np.ndarray
                    ) -> tuple[Optional[np.ndarray], np.ndarray]:
        dh, gates, w_hh = state[0], self.gates, self.w_hh
        _, T, B, H = gates.shape
        dx_gates = self._zeros_or_empty((3, T, B, H), gates.dtype)
        dh_gates = self._zeros_or_empty((3, T, B, H), gates.dtype)
        s1 = np.empty((B, H), dtype=gates.dtype)
        s2 = np.empty((B, H), dtype=gates.dtype)
        back = np.empty((3, B, H), dtype=gates.dtype)
        for t in reversed(self.steps):
            n = B if self.sizes is None else self.sizes[t]
            if n == 0:
                continue
            dhn, p, q, dx, dhg = dh[:n], s1[:n], s2[:n], dx_gates[:, t, :n], dh_gates[:, t, :n]
            if gy is not None:
                dhn += gy[t, :n]
            r, z, new = gates[:, t, :n]
            dn_pre = dx[2]
            # dn_pre = dh * (1 - z) * (1 - n**2)
            np.subtract(1, z, out=p)
            p *= dhn
            np.multiply(new, new, out=q)
            np.subtract(1, q, out=q)
            np.multiply(p, q, out=dn_pre)
            # da_z = dh * (h_prev - n) * z (1 - z)
            np.subtract(self.hprev[t, :n], new, out=p)
            p *= dhn
            np.subtract(1, z, out=q)
            q *= z
            np.multiply(p, q, out=dx[1])
            # da_r = dn_pre * m * r (1 - r)
            np.multiply(dn_pre, self.m[t, :n], out=p)
            np.subtract(1, r, out=q)
            q *= r
            np.multiply(p, q, out=dx[0])
            dhg[:2] = dx[:2]
            np.multiply(dn_pre, r, out=dhg[2])
            dhn *= z
            _back_matmul(dhg, w_hh, back[:, :n], p)
            dhn += p
        return dx_gates, dh_gates


_FUNCTIONS: dict[str, Union[type[_Recurrence], type[LSTM]]] = {
    "rnn_tanh": RNNTanh, "rnn_relu": RNNReLU, "lstm": LSTM, "gru": GRU}


# ------------------------------------------------------------------ validation
def _data(x: object) -> np.ndarray:
    return x.array if isinstance(x, Tensor) else np.asarray(x)


def as_lengths(lengths: _Lengths, T: int, B: int, op: str) -> Optional[np.ndarray]:
    """``lengths`` (ints, an array or an integer Tensor) as an int64 array, checked against a
    batch of B sequences of at most T steps."""
    if lengths is None:
        return None
    array = np.asarray(_data(lengths))
    if array.dtype.kind not in "iu" and not (array.size == 0 or np.all(array == np.round(array))):
        raise TypeError(f"{op}: lengths must be integers, got {array.tolist()}")
    array = array.astype(np.int64)
    if array.shape != (B,):
        raise ValueError(f"{op}: lengths must hold one length per sequence, shape ({B},), "
                         f"got shape {array.shape}")
    if B and (array.min() < 1 or array.max() > T):
        bad = array.max() if array.max() > T else array.min()
        raise ValueError(f"{op}: every length must lie in [1, T={T}] (the sequence length), "
                         f"got {int(bad)} in lengths {array.tolist()}")
    return array


def _check_layer(op: str, x: Tensor, states: dict[str, Optional[Tensor]], w_ih: Tensor,
                 w_hh: Tensor, b_ih: Optional[Tensor], b_hh: Optional[Tensor], gates: int) -> None:
    x_, wi, wh = _data(x), _data(w_ih), _data(w_hh)
    H = wh.shape[-1] if wh.ndim == 2 else 0  # (0: unused, the check below raises)
    if wi.ndim != 2 or wh.ndim != 2 or wh.shape != (gates * H, H) or wi.shape[0] != gates * H:
        raise ValueError(f"{op}: expects weight_ih of shape ({gates}*H, I) and weight_hh of shape "
                         f"({gates}*H, H), got {wi.shape} and {wh.shape}")
    if x_.shape[-1:] != (wi.shape[1],):
        raise ValueError(f"{op}: input of shape {x_.shape} has {x_.shape[-1] if x_.ndim else 'no'}"
                         f" features, but weight_ih of shape {wi.shape} expects "
                         f"input_size={wi.shape[1]}")
    for name, s in states.items():
        if s is not None and _data(s).shape != (x_.shape[-2], H):
            raise ValueError(f"{op}: {name} must have shape (batch, hidden_size) = "
                             f"{(x_.shape[-2], H)} for input of shape {x_.shape}, got "
                             f"{_data(s).shape}")
    for name, b in (("bias_ih", b_ih), ("bias_hh", b_hh)):
        if b is not None and _data(b).shape != (gates * H,):
            raise ValueError(f"{op}: {name} must have shape ({gates * H},), got {_data(b).shape}")
    if (b_ih is None) != (b_hh is None):
        raise ValueError(f"{op}: pass both biases or neither")
    dtypes = {_data(t).dtype for t in (x, w_ih, w_hh, b_ih, b_hh, *states.values())
              if t is not None}
    if len(dtypes) > 1:
        raise TypeError(f"{op}: input, states and weights must share one dtype, got "
                        f"{sorted(str(d) for d in dtypes)}")


def _layer(kind: str, op: str, x: Tensor, h0: Optional[Tensor], c0: Optional[Tensor],
           w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor], b_hh: Optional[Tensor],
           reverse: bool, lengths: _Lengths) -> tuple[Tensor, ...]:
    """(output, h_T) or, for the LSTM, (output, h_T, c_T): the node's output sliced."""
    x_ = _data(x)
    if x_.ndim != 3:
        raise ValueError(f"{op}: input must be 3-D (T, batch, input_size), got shape {x_.shape}")
    states = {"h0": h0, "c0": c0} if kind == "lstm" else {"h0": h0}
    _check_layer(op, x, states, w_ih, w_hh, b_ih, b_hh, _GATES[kind])
    lengths = as_lengths(lengths, x_.shape[0], x_.shape[1], op)
    out = _FUNCTIONS[kind].apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=bool(reverse),
                                 lengths=lengths)
    T = x_.shape[0]
    return (out[:T],) + tuple(out[T + k] for k in range(_FUNCTIONS[kind].states))


# ------------------------------------------------------------------ layers
def rnn_layer(input: Tensor, h0: Optional[Tensor], w_ih: Tensor, w_hh: Tensor,
              b_ih: Optional[Tensor] = None, b_hh: Optional[Tensor] = None,
              nonlinearity: str = "tanh", reverse: bool = False,
              lengths: _Lengths = None) -> tuple[Tensor, Tensor]:
    """One Elman RNN layer over a sequence: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).

    Shapes: input (T, B, I), h0 (B, H) or None (zeros) -> (output (T, B, H), h_T (B, H)).
    ``reverse`` runs t = T-1 .. 0; ``lengths`` (B ints in [1, T]) for a padded batch.
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_layer: unknown nonlinearity {nonlinearity!r}; use 'tanh' or 'relu'")
    output, h = _layer("rnn_" + nonlinearity, "rnn_layer", input, h0, None, w_ih, w_hh, b_ih,
                       b_hh, reverse, lengths)
    return output, h


def lstm_layer(input: Tensor, h0: Optional[Tensor], c0: Optional[Tensor], w_ih: Tensor,
               w_hh: Tensor, b_ih: Optional[Tensor] = None, b_hh: Optional[Tensor] = None,
               reverse: bool = False, lengths: _Lengths = None
               ) -> tuple[Tensor, Tensor, Tensor]:
    """One LSTM layer over a sequence: c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t).

    Shapes: input (T, B, I), h0 and c0 (B, H) or None -> (output (T, B, H), h_T, c_T (B, H)).
    """
    output, h, c = _layer("lstm", "lstm_layer", input, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse,
                          lengths)
    return output, h, c


def gru_layer(input: Tensor, h0: Optional[Tensor], w_ih: Tensor, w_hh: Tensor,
              b_ih: Optional[Tensor] = None, b_hh: Optional[Tensor] = None, reverse: bool = False,
              lengths: _Lengths = None) -> tuple[Tensor, Tensor]:
    """One GRU layer over a sequence: h_t = (1 - z) * n + z * h_{t-1}.

    Shapes: input (T, B, I), h0 (B, H) or None -> (output (T, B, H), h_T (B, H)).
    """
    output, h = _layer("gru", "gru_layer", input, h0, None, w_ih, w_hh, b_ih, b_hh, reverse,
                       lengths)
    return output, h


# ------------------------------------------------------------------ cells
def _cell(kind: str, op: str, input: Tensor, hx: Any, w_ih: Tensor, w_hh: Tensor,
          b_ih: Optional[Tensor], b_hh: Optional[Tensor]) -> Tensor:
    """The node's output: h' (the LSTM's, whose ``hx`` is the pair (h, c): h' and c' stacked)."""
    x_ = _data(input)
    if x_.ndim != 2:
        raise ValueError(f"{op}: input must be 2-D (batch, input_size), got shape {x_.shape}")
    h0, c0 = hx if kind == "lstm" else (hx, None)
    states = {"h": h0, "c": c0} if kind == "lstm" else {"hx": h0}
    _check_layer(op, input, states, w_ih, w_hh, b_ih, b_hh, _GATES[kind])
    out = _FUNCTIONS[kind].apply(input, h0, c0, w_ih, w_hh, b_ih, b_hh, sequence=False)
    return out


def rnn_tanh_cell(input: Tensor, hx: Optional[Tensor], w_ih: Tensor, w_hh: Tensor,
                  b_ih: Optional[Tensor] = None, b_hh: Optional[Tensor] = None) -> Tensor:
    """One RNN step, one node: h' = tanh(W_ih x + b_ih + W_hh h + b_hh); (B, I) -> (B, H)."""
    return _cell("rnn_tanh", "rnn_tanh_cell", input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input: Tensor, hx: Optional[Tensor], w_ih: Tensor, w_hh: Tensor,
                  b_ih: Optional[Tensor] = None, b_hh: Optional[Tensor] = None) -> Tensor:
    """One RNN step, one node: h' = relu(W_ih x + b_ih + W_hh h + b_hh)."""
    return _cell("rnn_relu", "rnn_relu_cell", input, hx, w_ih, w_hh, b_ih, b_hh)


def lstm_cell(input: Tensor, hx: tuple[Optional[Tensor], Optional[Tensor]], w_ih: Tensor,
              w_hh: Tensor, b_ih: Optional[Tensor] = None, b_hh: Optional[Tensor] = None
              ) -> tuple[Tensor, Tensor]:
    """One LSTM step, one node: hx = (h, c) -> (h', c'), c' = f * c + i * g, h' = o * tanh(c')."""
    out = _cell("lstm", "lstm_cell", input, hx, w_ih, w_hh, b_ih, b_hh)
    return out[0], out[1]


def gru_cell(input: Tensor, hx: Optional[Tensor], w_ih: Tensor, w_hh: Tensor,
             b_ih: Optional[Tensor] = None, b_hh: Optional[Tensor] = None) -> Tensor:
    """One GRU step, one node: h' = (1 - z) * n + z * h."""
    return _cell("gru", "gru_cell", input, hx, w_ih, w_hh, b_ih, b_hh)
