"""Recurrent layers as fused ops: one node runs a whole sequence, with hand-written BPTT.

Notation: x_t input at step t (B, I), h_t hidden state (B, H), c_t the LSTM's cell (B, H);
W_ih (G*H, I) and W_hh (G*H, H) hold the G gate blocks stacked in PyTorch's order
(LSTM i, f, g, o; GRU r, z, n), sigma the sigmoid, * the elementwise product.

    RNN:   h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)              (or relu)
    LSTM:  i, f, g, o = sigma, sigma, tanh, sigma of (W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
           c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)
    GRU:   r, z = sigma of (W_i{r,z} x_t + b_i{r,z} + W_h{r,z} h_{t-1} + b_h{r,z})
           n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn)),  h_t = (1 - z) * n + z * h_{t-1}

How the node is fast: the input projection of all T steps is one GEMM per gate block,
(T*B, I) @ (I, H); each step's gates are one small GEMM per block on h_{t-1}. Backpropagation
through time runs the steps in reverse, writing each step's gate gradient dA_t into one
(G, T, B, H) array, so that dW_ih = dA^T X, dW_hh = dA^T H_prev, db = sum dA and dX = dA W_ih
are again one GEMM per block over all steps. The elementwise work is done step by step in
scratch buffers reused across steps (that stays in cache; vectorising it over the whole
sequence was slower), float32 kept float32.

Variable lengths (``lengths``): sequences are sorted longest first, so at step t the sequences
still running are a prefix of n_t rows (PyTorch's PackedSequence ``batch_sizes``); a step
updates only those rows. A padded step therefore leaves the state unchanged, gets no
gradient, and outputs 0, as ``pad_packed_sequence`` does; the reverse direction starts each
sequence at its own last step.

The node's output packs [y_1 .. y_T, h_T, (c_T)] along the first axis; ``rnn_layer`` and its
siblings slice it into the tensors they return.
"""
import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor

_GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


def _sigmoid_(a):
    """a <- 1 / (1 + e^-a) in place, as 0.5 + 0.5 tanh(a / 2): the same function, it never
    overflows, and tanh is the faster ufunc."""
    np.multiply(a, 0.5, out=a)
    np.tanh(a, out=a)
    np.multiply(a, 0.5, out=a)
    np.add(a, 0.5, out=a)


def _batch_order(lengths, T):
    """(order, sizes): the longest-first permutation of the batch (None if already sorted) and
    sizes[t] = number of sequences longer than t (None when every sequence has length T)."""
    if lengths is None:
        return None, None
    order = np.argsort(-lengths, kind="stable")
    if np.all(order == np.arange(len(lengths))):
        order = None
    sizes = np.count_nonzero(lengths[None, :] > np.arange(T)[:, None], axis=1).tolist()
    return order, sizes


def _transposed(w):
    """Each gate block of w (G, H, K) transposed, contiguous: NumPy's matmul is several times
    slower with a transposed view as its right operand (measured with OpenBLAS)."""
    return np.ascontiguousarray(w.transpose(0, 2, 1))


def _gate_matmul(a, w, out):
    """out[k] = a @ w[k] for every gate block k: separate 2-D GEMMs, which beat one batched
    matmul and one (B, G*H) product for these sizes (measured with OpenBLAS)."""
    for k in range(len(w)):
        np.matmul(a, w[k], out=out[k])


def _weight_grad(d, a):
    """d[k]^T @ a for every gate block, summing over all steps at once: (G, N, H), (N, K) ->
    (G, H, K). 2-D products: a batched matmul of transposed views ran up to 20x slower."""
    return np.stack([np.matmul(d[k].T, a) for k in range(len(d))])


def _back_matmul(d, w, scratch, out):
    """out = sum over gate blocks k of d[k] @ w[k]: dL/dh_{t-1} from the gate gradients."""
    for k in range(len(w)):
        np.matmul(d[k], w[k], out=scratch[k])
    np.add.reduce(scratch, axis=0, out=out)


class _Recurrence(Function):
    """One layer, one direction, all T steps in one node (see the module docstring).

    Inputs: x (T, B, I), h0 (B, H) or None (zeros), c0 (B, H) or None (LSTM only),
    W_ih (G*H, I), W_hh (G*H, H), b_ih and b_hh (G*H,) or None.
    Output: [y (T, B, H) if ``sequence``, h_T, c_T (LSTM)] stacked on the first axis; a single
    (B, H) state when ``sequence`` is False and there is one state (the cells).

    Inside, the gates are kept gate-major, (G, T, B, H), so that every gate of a step is a
    contiguous (B, H) block: NumPy runs an elementwise op on a strided column block of a
    (B, G*H) array about 4x slower. The GEMMs run per gate block. The blocks
    are reordered so that the sigmoid gates come first (``gate_order``), and their weights are
    halved: one tanh over all G blocks then gives sigma(a) = 0.5 + 0.5 tanh(a / 2) for those
    (halving is exact in binary floating point). Subclasses write the step loop (``_steps``)
    and its reverse (``_steps_back``).
    """

    states = 1  # number of state tensors: h (and c for the LSTM)
    gate_order = (0,)  # PyTorch's gate blocks in the order the loop keeps them
    sigmoid_gates = 0  # the first ones in that order go through a sigmoid

    def forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=False, lengths=None,
                sequence=True):
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
        # one GEMM per gate block for the input projection of all steps; it becomes the gates
        xw = np.empty((G, T * B, H), dtype=x.dtype)
        _gate_matmul(x.reshape(T * B, n_in), _transposed(self.w_ih * scale), xw)
        if b_ih is not None:
            xw += self._input_bias(b_ih, b_hh, H, gates) * scale
        xw = xw.reshape(G, T, B, H)
        whh_t = _transposed(self.w_hh * scale)
        first = T if sequence else 0
        alloc = np.empty if sizes is None else np.zeros  # padded outputs stay 0
        out = alloc((first + self.states, B, H), dtype=x.dtype)
        out[first] = 0 if h0 is None else h0
        if self.states == 2:
            out[first + 1] = 0 if c0 is None else c0
        steps = range(T - 1, -1, -1) if reverse else range(T)
        self.hprev = np.empty((T, B, H), dtype=x.dtype)
        self.b_hh = b_hh
        self._steps(xw, out[first:], whh_t, steps, sizes, out[:T] if sequence else None)
        self.x, self.gates = x, xw
        self.order, self.sizes, self.steps, self.sequence = order, sizes, steps, sequence
        if order is not None:
            out = out[:, np.argsort(order)]
        return out if sequence or self.states == 2 else out[0]

    def _input_bias(self, b_ih, b_hh, H, gates):
        """The biases that sit outside any product, folded into the input projection (G, 1, H)."""
        return (b_ih + b_hh).reshape(-1, 1, H)[gates]

    def backward(self, g):
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
        grads = [None] * 7
        if self.needs_grad(0):
            grads[0] = np.matmul(dx_flat, self.w_ih).sum(axis=0).reshape(T, B, self.w_ih.shape[-1])
        for i in (1, 2):
            if i <= self.states and self.needs_grad(i):
                grads[i] = state[i - 1]
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
                if grads[i] is not None:
                    grads[i] = grads[i][:, inverse] if i == 0 else grads[i][inverse]
        return tuple(grads)

    def _zeros_or_empty(self, shape, dtype):
        # rows of padded steps must read as 0 in the weight-gradient GEMMs
        return (np.empty if self.sizes is None else np.zeros)(shape, dtype=dtype)


class RNNTanh(_Recurrence):
    """h_t = tanh(a_t), a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh.

    BPTT: dL/da_t = (dL/dy_t + dL/dh_t from step t+1) * (1 - h_t**2);
    dL/dh_{t-1} = dL/da_t @ W_hh.
    """

    def _activate(self, a):
        np.tanh(a, out=a)

    def _derivative(self, h, out):
        """g'(a) written with the output h = g(a): 1 - h**2."""
        np.multiply(h, h, out=out)
        np.subtract(1, out, out=out)

    def _steps(self, xw, state, whh_t, steps, sizes, y):
        h, whh_t, hprev, xw = state[0], whh_t[0], self.hprev, xw[0]  # one gate block
        hh = np.empty_like(h)
        B = h.shape[0]
        for t in steps:
            hprev[t] = h
            n = B if sizes is None else sizes[t]
            if n == 0:
                continue
            a = xw[t, :n]
            np.matmul(h[:n], whh_t, out=hh[:n])
            a += hh[:n]
            self._activate(a)
            h[:n] = a
            if y is not None:
                y[t, :n] = a

    def _steps_back(self, gy, state):
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

    def _activate(self, a):
        np.maximum(a, 0, out=a)

    def _derivative(self, h, out):
        np.greater(h, 0, out=out)


class LSTM(_Recurrence):
    """i, f, g, o = sigma(a_i), sigma(a_f), tanh(a_g), sigma(a_o), with
    a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh;   c_t = f * c_{t-1} + i * g;   h_t = o * tanh(c_t).

    BPTT, with dh = dL/dy_t + dL/dh_t (from step t+1) and dc = dL/dc_t (from step t+1):
        dc += dh * o * (1 - tanh(c_t)**2)
        da_i = dc * g * i (1 - i),   da_f = dc * c_{t-1} * f (1 - f),
        da_g = dc * i * (1 - g**2),  da_o = dh * tanh(c_t) * o (1 - o)
        dL/dc_{t-1} = dc * f,        dL/dh_{t-1} = da @ W_hh.
    """

    states = 2
    gate_order = (0, 1, 3, 2)  # i, f, o (sigmoids), then g
    sigmoid_gates = 3

    def _steps(self, xw, state, whh_t, steps, sizes, y):
        h, c, hprev = state[0], state[1], self.hprev
        B, H = h.shape
        self.cprev = cprev = np.empty_like(hprev)
        self.tanh_c = tanh_c = np.empty_like(hprev)
        hh = np.empty((4, B, H), dtype=h.dtype)
        ig = np.empty((B, H), dtype=h.dtype)
        for t in steps:
            hprev[t] = h
            cprev[t] = c
            n = B if sizes is None else sizes[t]
            if n == 0:
                continue
            a, u, cn, tc = xw[:, t, :n], hh[:, :n], c[:n], tanh_c[t, :n]
            _gate_matmul(h[:n], whh_t, u)
            a += u
            np.tanh(a, out=a)  # tanh(a_g), and tanh(a / 2) on the halved sigmoid gates
            np.multiply(a[:3], 0.5, out=a[:3])
            np.add(a[:3], 0.5, out=a[:3])
            i, f, o, g = a
            cn *= f
            np.multiply(i, g, out=ig[:n])
            cn += ig[:n]
            np.tanh(cn, out=tc)
            np.multiply(o, tc, out=h[:n])
            if y is not None:
                y[t, :n] = h[:n]

    def _steps_back(self, gy, state):
        dh, dc, gates, w_hh = state[0], state[1], self.gates, self.w_hh
        _, T, B, H = gates.shape
        da = self._zeros_or_empty((4, T, B, H), gates.dtype)
        slope = np.empty((4, B, H), dtype=gates.dtype)
        back = np.empty((4, B, H), dtype=gates.dtype)
        s = np.empty((B, H), dtype=gates.dtype)
        for t in reversed(self.steps):
            n = B if self.sizes is None else self.sizes[t]
            if n == 0:
                continue
            dhn, dcn, sn, d, sl = dh[:n], dc[:n], s[:n], da[:, t, :n], slope[:, :n]
            if gy is not None:
                dhn += gy[t, :n]
            a, tc = gates[:, t, :n], self.tanh_c[t, :n]
            i, f, o, g = a
            # gate slopes: sigma' = s (1 - s) on i, f, o; tanh' = 1 - g**2 on g
            np.subtract(1, a[:3], out=sl[:3])
            sl[:3] *= a[:3]
            np.multiply(g, g, out=sl[3])
            np.subtract(1, sl[3], out=sl[3])
            # dc += dh * o * (1 - tanh(c)**2)
            np.multiply(tc, tc, out=sn)
            np.subtract(1, sn, out=sn)
            sn *= o
            sn *= dhn
            dcn += sn
            np.multiply(dcn, g, out=d[0])
            np.multiply(dcn, self.cprev[t, :n], out=d[1])
            np.multiply(dhn, tc, out=d[2])
            np.multiply(dcn, i, out=d[3])
            d *= sl
            dcn *= f
            _back_matmul(d, w_hh, back[:, :n], dhn)
        return None, da


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

    def _input_bias(self, b_ih, b_hh, H, gates):
        bias = b_ih.reshape(3, 1, H).copy()
        bias[:2] += b_hh.reshape(3, 1, H)[:2]  # b_hn stays inside r * (W_hn h + b_hn)
        return bias

    def _steps(self, xw, state, whh_t, steps, sizes, y):
        h, hprev, b_hh = state[0], self.hprev, self.b_hh
        B, H = h.shape
        b_hn = None if b_hh is None else b_hh[2 * H:]
        self.m = m_saved = np.empty_like(hprev)
        hh = np.empty((3, B, H), dtype=h.dtype)
        s = np.empty((B, H), dtype=h.dtype)
        for t in steps:
            hprev[t] = h
            n = B if sizes is None else sizes[t]
            if n == 0:
                continue
            a, u, sn, hn, m = xw[:, t, :n], hh[:, :n], s[:n], h[:n], m_saved[t, :n]
            _gate_matmul(hn, whh_t, u)
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
            np.subtract(hn, new, out=sn)
            sn *= z
            np.add(new, sn, out=hn)
            if y is not None:
                y[t, :n] = hn

    def _steps_back(self, gy, state):
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


_FUNCTIONS = {"rnn_tanh": RNNTanh, "rnn_relu": RNNReLU, "lstm": LSTM, "gru": GRU}


# ------------------------------------------------------------------ validation
def _data(x):
    return x.array if isinstance(x, Tensor) else np.asarray(x)


def as_lengths(lengths, T, B, op):
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


def _check_layer(op, x, states, w_ih, w_hh, b_ih, b_hh, gates):
    x_, wi, wh = _data(x), _data(w_ih), _data(w_hh)
    H = wh.shape[-1] if wh.ndim == 2 else None
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


def _layer(kind, op, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, lengths):
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
def rnn_layer(input, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh", reverse=False,
              lengths=None):
    """One Elman RNN layer over a sequence: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).

    Shapes: input (T, B, I), h0 (B, H) or None (zeros) -> (output (T, B, H), h_T (B, H)).
    ``reverse`` runs t = T-1 .. 0; ``lengths`` (B ints in [1, T]) for a padded batch.
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_layer: unknown nonlinearity {nonlinearity!r}; use 'tanh' or 'relu'")
    return _layer("rnn_" + nonlinearity, "rnn_layer", input, h0, None, w_ih, w_hh, b_ih, b_hh,
                  reverse, lengths)


def lstm_layer(input, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False, lengths=None):
    """One LSTM layer over a sequence: c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t).

    Shapes: input (T, B, I), h0 and c0 (B, H) or None -> (output (T, B, H), h_T, c_T (B, H)).
    """
    return _layer("lstm", "lstm_layer", input, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, lengths)


def gru_layer(input, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False, lengths=None):
    """One GRU layer over a sequence: h_t = (1 - z) * n + z * h_{t-1}.

    Shapes: input (T, B, I), h0 (B, H) or None -> (output (T, B, H), h_T (B, H)).
    """
    return _layer("gru", "gru_layer", input, h0, None, w_ih, w_hh, b_ih, b_hh, reverse, lengths)


# ------------------------------------------------------------------ cells
def _cell(kind, op, input, hx, w_ih, w_hh, b_ih, b_hh):
    x_ = _data(input)
    if x_.ndim != 2:
        raise ValueError(f"{op}: input must be 2-D (batch, input_size), got shape {x_.shape}")
    h0, c0 = hx if kind == "lstm" else (hx, None)
    states = {"h": h0, "c": c0} if kind == "lstm" else {"hx": h0}
    _check_layer(op, input, states, w_ih, w_hh, b_ih, b_hh, _GATES[kind])
    out = _FUNCTIONS[kind].apply(input, h0, c0, w_ih, w_hh, b_ih, b_hh, sequence=False)
    return (out[0], out[1]) if kind == "lstm" else out


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One RNN step, one node: h' = tanh(W_ih x + b_ih + W_hh h + b_hh); (B, I) -> (B, H)."""
    return _cell("rnn_tanh", "rnn_tanh_cell", input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One RNN step, one node: h' = relu(W_ih x + b_ih + W_hh h + b_hh)."""
    return _cell("rnn_relu", "rnn_relu_cell", input, hx, w_ih, w_hh, b_ih, b_hh)


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step, one node: hx = (h, c) -> (h', c'), c' = f * c + i * g, h' = o * tanh(c')."""
    return _cell("lstm", "lstm_cell", input, hx, w_ih, w_hh, b_ih, b_hh)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step, one node: h' = (1 - z) * n + z * h."""
    return _cell("gru", "gru_cell", input, hx, w_ih, w_hh, b_ih, b_hh)
