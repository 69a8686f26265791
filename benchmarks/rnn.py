"""lstm, gru and rnn: one full training step (forward, BPTT, SGD update) of a one-layer
recurrent classifier, float32.

    input (T=50, B=32, I=32) -> LSTM, GRU or tanh RNN (H=128) -> Linear(128, 10) on h_T
    -> cross-entropy

Contenders: gradsheet (nn.LSTM / nn.GRU / nn.RNN, fused), PyTorch, and a hand-written NumPy
forward/BPTT of the same network (buffers reused across steps).

Usage: python benchmarks/rnn.py [--threads 1 2] [--rounds N] [--only lstm gru rnn]
       python benchmarks/rnn.py --check (the contenders agree after 3 steps)
       python benchmarks/rnn.py --alone {gradsheet,pytorch,numpy} [--alone-threads N]
           (that contender alone in this process: its ms/step and peak RSS in MB)
"""
import functools
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

SHAPES = dict(T=50, B=32, I=32, H=128, classes=10)
CONFIGS = {"lstm": dict(gates=4, steps=10, **SHAPES), "gru": dict(gates=3, steps=10, **SHAPES),
           "rnn": dict(gates=1, steps=20, **SHAPES)}
LAYERS = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}  # the layer's class, in either library
LR = 0.01


def make_batch(cfg, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((cfg["T"], cfg["B"], cfg["I"]), dtype=np.float32)
    y = rng.integers(0, cfg["classes"], size=cfg["B"])
    return x, y


def init_weights(cfg, seed=0):
    """PyTorch's init (U(+-1/sqrt(H)) for the recurrent layer, Linear's for the head), shared by
    all contenders so they train the same network. Order: w_ih, w_hh, b_ih, b_hh, w_out, b_out."""
    rng = np.random.default_rng(seed)
    G, n_in, H, C = cfg["gates"], cfg["I"], cfg["H"], cfg["classes"]
    k = 1 / np.sqrt(H)
    shapes = [(G * H, n_in), (G * H, H), (G * H,), (G * H,), (C, H), (C,)]
    return [rng.uniform(-k, k, s).astype(np.float32) for s in shapes]


def gradsheet_step(name, cfg):
    import gradsheet as gs
    import gradsheet.nn as nn
    import gradsheet.nn.functional as F
    rnn = getattr(nn, LAYERS[name])(cfg["I"], cfg["H"])
    head = nn.Linear(cfg["H"], cfg["classes"])
    for p, w in zip(list(rnn.parameters()) + list(head.parameters()), init_weights(cfg)):
        p.array[...] = w
    optimizer = gs.optim.SGD(list(rnn.parameters()) + list(head.parameters()), lr=LR)
    x, y = make_batch(cfg)
    x, y = gs.tensor(x), gs.tensor(y)

    def step():
        optimizer.zero_grad()
        output, _ = rnn(x)
        loss = F.cross_entropy(head(output[-1]), y)
        loss.backward()
        optimizer.step()
    step.weights = lambda: [p.array for p in list(rnn.parameters()) + list(head.parameters())]
    return step


def pytorch_step(name, cfg):
    import torch
    rnn = getattr(torch.nn, LAYERS[name])(cfg["I"], cfg["H"])
    head = torch.nn.Linear(cfg["H"], cfg["classes"])
    params = list(rnn.parameters()) + list(head.parameters())
    with torch.no_grad():
        for p, w in zip(params, init_weights(cfg)):
            p.copy_(torch.from_numpy(w))
    optimizer = torch.optim.SGD(params, lr=LR)
    x, y = make_batch(cfg)
    x, y = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        optimizer.zero_grad()
        output, _ = rnn(x)
        loss = torch.nn.functional.cross_entropy(head(output[-1]), y)
        loss.backward()
        optimizer.step()
    step.weights = lambda: [p.detach().numpy() for p in params]
    return step


def _sigmoid(a):
    np.multiply(a, 0.5, out=a)
    np.tanh(a, out=a)
    np.multiply(a, 0.5, out=a)
    np.add(a, 0.5, out=a)


def _head_backward(h, w_out, b_out, y):
    """Cross-entropy of the linear head on h_T: its parameter gradients and dL/dh_T."""
    logits = h @ w_out.T + b_out
    logits -= logits.max(axis=1, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=1, keepdims=True)
    logits[np.arange(len(y)), y] -= 1
    logits /= len(y)
    return logits.T @ h, logits.sum(axis=0), logits @ w_out


def numpy_lstm_step(cfg):
    """LSTM forward and BPTT by hand: one input GEMM, one GEMM per step each way."""
    params = init_weights(cfg)
    w_ih, w_hh, b_ih, b_hh, w_out, b_out = params
    x, y = make_batch(cfg)
    T, B, n_in, H = cfg["T"], cfg["B"], cfg["I"], cfg["H"]
    gates = np.empty((T, B, 4 * H), np.float32)
    cs = np.empty((T + 1, B, H), np.float32)
    hs = np.empty((T + 1, B, H), np.float32)
    tanh_c = np.empty((T, B, H), np.float32)
    dgates = np.empty((T, B, 4 * H), np.float32)
    scratch = (np.empty((B, 4 * H), np.float32), np.empty((B, 4 * H), np.float32),
               np.empty((B, H), np.float32))

    def step():
        hh, slope, tmp = scratch
        np.matmul(x.reshape(T * B, n_in), w_ih.T, out=gates.reshape(T * B, 4 * H))
        np.add(gates, b_ih + b_hh, out=gates)
        hs[0] = 0
        cs[0] = 0
        for t in range(T):
            a = gates[t]
            np.matmul(hs[t], w_hh.T, out=hh)
            a += hh
            _sigmoid(a[:, :2 * H])
            np.tanh(a[:, 2 * H:3 * H], out=a[:, 2 * H:3 * H])
            _sigmoid(a[:, 3 * H:])
            np.multiply(a[:, H:2 * H], cs[t], out=cs[t + 1])
            np.multiply(a[:, :H], a[:, 2 * H:3 * H], out=tmp)
            cs[t + 1] += tmp
            np.tanh(cs[t + 1], out=tanh_c[t])
            np.multiply(a[:, 3 * H:], tanh_c[t], out=hs[t + 1])
        grad_w_out, grad_b_out, dh = _head_backward(hs[T], w_out, b_out, y)
        dc = np.zeros((B, H), np.float32)
        for t in range(T - 1, -1, -1):
            a, tc, d = gates[t], tanh_c[t], dgates[t]
            np.subtract(1, a, out=slope)
            slope *= a
            np.multiply(a[:, 2 * H:3 * H], a[:, 2 * H:3 * H], out=slope[:, 2 * H:3 * H])
            np.subtract(1, slope[:, 2 * H:3 * H], out=slope[:, 2 * H:3 * H])
            np.multiply(tc, tc, out=tmp)
            np.subtract(1, tmp, out=tmp)
            tmp *= a[:, 3 * H:]
            tmp *= dh
            dc += tmp
            np.multiply(dc, a[:, 2 * H:3 * H], out=d[:, :H])
            np.multiply(dc, cs[t], out=d[:, H:2 * H])
            np.multiply(dc, a[:, :H], out=d[:, 2 * H:3 * H])
            np.multiply(dh, tc, out=d[:, 3 * H:])
            d *= slope
            dc *= a[:, H:2 * H]
            dh = d @ w_hh
        flat = dgates.reshape(T * B, 4 * H)
        grads = [flat.T @ x.reshape(T * B, n_in), flat.T @ hs[:T].reshape(T * B, H),
                 flat.sum(axis=0)]
        grads.append(grads[2])
        for p, g in zip(params, grads + [grad_w_out, grad_b_out]):
            p -= LR * g
    step.weights = lambda: params
    return step


def numpy_gru_step(cfg):
    """GRU forward and BPTT by hand (torch's n = tanh(W_in x + b_in + r * (W_hn h + b_hn)))."""
    params = init_weights(cfg)
    w_ih, w_hh, b_ih, b_hh, w_out, b_out = params
    x, y = make_batch(cfg)
    T, B, n_in, H = cfg["T"], cfg["B"], cfg["I"], cfg["H"]
    gates = np.empty((T, B, 3 * H), np.float32)
    hs = np.empty((T + 1, B, H), np.float32)
    ms = np.empty((T, B, H), np.float32)
    dx_gates = np.empty((T, B, 3 * H), np.float32)
    dh_gates = np.empty((T, B, 3 * H), np.float32)
    scratch = (np.empty((B, 3 * H), np.float32), np.empty((B, H), np.float32),
               np.empty((B, H), np.float32))

    def step():
        hh, p, q = scratch
        np.matmul(x.reshape(T * B, n_in), w_ih.T, out=gates.reshape(T * B, 3 * H))
        np.add(gates, b_ih, out=gates)
        gates[..., :2 * H] += b_hh[:2 * H]
        hs[0] = 0
        for t in range(T):
            a = gates[t]
            np.matmul(hs[t], w_hh.T, out=hh)
            np.add(hh[:, 2 * H:], b_hh[2 * H:], out=ms[t])
            a[:, :2 * H] += hh[:, :2 * H]
            _sigmoid(a[:, :2 * H])
            np.multiply(a[:, :H], ms[t], out=p)
            a[:, 2 * H:] += p
            np.tanh(a[:, 2 * H:], out=a[:, 2 * H:])
            np.subtract(hs[t], a[:, 2 * H:], out=p)
            p *= a[:, H:2 * H]
            np.add(a[:, 2 * H:], p, out=hs[t + 1])
        grad_w_out, grad_b_out, dh = _head_backward(hs[T], w_out, b_out, y)
        for t in range(T - 1, -1, -1):
            a, dx, dhg = gates[t], dx_gates[t], dh_gates[t]
            r, z, n = a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
            np.subtract(1, z, out=p)
            p *= dh
            np.multiply(n, n, out=q)
            np.subtract(1, q, out=q)
            np.multiply(p, q, out=dx[:, 2 * H:])
            np.subtract(hs[t], n, out=p)
            p *= dh
            np.subtract(1, z, out=q)
            q *= z
            np.multiply(p, q, out=dx[:, H:2 * H])
            np.multiply(dx[:, 2 * H:], ms[t], out=p)
            np.subtract(1, r, out=q)
            q *= r
            np.multiply(p, q, out=dx[:, :H])
            dhg[:, :2 * H] = dx[:, :2 * H]
            np.multiply(dx[:, 2 * H:], r, out=dhg[:, 2 * H:])
            dh = dh * z + dhg @ w_hh
        fx, fh = dx_gates.reshape(T * B, 3 * H), dh_gates.reshape(T * B, 3 * H)
        grads = [fx.T @ x.reshape(T * B, n_in), fh.T @ hs[:T].reshape(T * B, H), fx.sum(axis=0),
                 fh.sum(axis=0), grad_w_out, grad_b_out]
        for param, g in zip(params, grads):
            param -= LR * g
    step.weights = lambda: params
    return step


def numpy_rnn_step(cfg):
    """tanh RNN forward and BPTT by hand: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),
    dL/da_t = (dL/dh_t) (1 - h_t^2), dL/dh_{t-1} = dL/da_t W_hh."""
    params = init_weights(cfg)
    w_ih, w_hh, b_ih, b_hh, w_out, b_out = params
    x, y = make_batch(cfg)
    T, B, n_in, H = cfg["T"], cfg["B"], cfg["I"], cfg["H"]
    hs = np.empty((T + 1, B, H), np.float32)
    da = np.empty((T, B, H), np.float32)
    hh = np.empty((B, H), np.float32)

    def step():
        a = hs[1:]
        np.matmul(x.reshape(T * B, n_in), w_ih.T, out=a.reshape(T * B, H))
        np.add(a, b_ih + b_hh, out=a)
        hs[0] = 0
        for t in range(T):
            np.matmul(hs[t], w_hh.T, out=hh)
            np.add(hs[t + 1], hh, out=hs[t + 1])
            np.tanh(hs[t + 1], out=hs[t + 1])
        grad_w_out, grad_b_out, dh = _head_backward(hs[T], w_out, b_out, y)
        for t in range(T - 1, -1, -1):
            d = da[t]
            np.multiply(hs[t + 1], hs[t + 1], out=d)
            np.subtract(1, d, out=d)
            d *= dh
            dh = d @ w_hh
        flat = da.reshape(T * B, H)
        grads = [flat.T @ x.reshape(T * B, n_in), flat.T @ hs[:T].reshape(T * B, H),
                 flat.sum(axis=0)]
        grads += [grads[2], grad_w_out, grad_b_out]
        for param, g in zip(params, grads):
            param -= LR * g
    step.weights = lambda: params
    return step


NUMPY_STEPS = {"lstm": numpy_lstm_step, "gru": numpy_gru_step, "rnn": numpy_rnn_step}
CASES = {name: (cfg["steps"], {"gradsheet": functools.partial(gradsheet_step, name, cfg),
                               "pytorch": functools.partial(pytorch_step, name, cfg),
                               "numpy": functools.partial(NUMPY_STEPS[name], cfg)})
         for name, cfg in CONFIGS.items()}


def check(n_steps=3):
    """Each case's contenders train the same network: equal weights after a few steps."""
    for name, (_, makers) in CASES.items():
        steps = {who: make() for who, make in makers.items()}
        for step in steps.values():
            for _ in range(n_steps):
                step()
        reference = steps["pytorch"].weights()
        for who in ("gradsheet", "numpy"):
            for a, b in zip(steps[who].weights(), reference, strict=True):
                np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5, err_msg=f"{name}: {who}")
    print(f"check: gradsheet, numpy and pytorch agree after {n_steps} steps ({', '.join(CASES)})")


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        check()
    else:
        common.benchmark_main(__file__, __doc__.splitlines()[0], CASES, "lstm", before=check)
