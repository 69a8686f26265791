"""ops_small: a chain of 20 small mixed ops on 32x64 tensors, forward and backward.

The per-op cost of the autograd engine, where Python overhead dominates: gather,
masked_fill, cumsum, where, comparisons, slicing and elementwise math, then one
backward. The same function runs on gradsheet and on PyTorch (their APIs match); the
third contender is the same forward and backward written by hand in NumPy, the floor
for any NumPy engine. Target: gradsheet <= 0.5x PyTorch's time.

Usage: python benchmarks/ops_small.py [--threads 1 2] [--rounds N]
"""
import functools
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

ROWS, COLS = 32, 64


def chain(lib, x, w, index, mask):
    """Twenty ops, each a node of the graph; returns the scalar loss."""
    a = x * w                                  # 1
    b = lib.gather(a, 1, index)                # 2
    c = b.masked_fill(mask, 0.0)               # 3
    d = c.cumsum(dim=1)                        # 4
    e = lib.where(d > 0, d, d * 0.1)           # 5 (>), 6 (*), 7 (where)
    f = e[:, 1:] - e[:, :-1]                   # 8, 9 (slices), 10 (-)
    g = f.tanh()                               # 11
    h = g * x[:, :COLS - 1]                    # 12 (slice), 13 (*)
    i = h.exp()                                # 14
    j = i.sum(dim=1, keepdim=True)             # 15
    k = (h - j).abs()                          # 16, 17
    m = k[:, ::2]                              # 18
    n = (m + 1).log()                          # 19, 20
    return n.mean()


def inputs(lib):
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((ROWS, COLS), dtype=np.float32), requires_grad=True)
    w = lib.tensor(rng.standard_normal((ROWS, COLS), dtype=np.float32), requires_grad=True)
    index = lib.tensor(rng.integers(0, COLS, (ROWS, COLS)))
    mask = lib.tensor(rng.random((ROWS, COLS)) < 0.2)
    return x, w, index, mask


def step_for(module):
    """One forward + backward of the chain in ``module`` (gradsheet or torch)."""
    lib = __import__(module)
    x, w, index, mask = inputs(lib)

    def step():
        x.grad = w.grad = None
        chain(lib, x, w, index, mask).backward()
    return step


def numpy_step():
    """The chain and its backward by hand: no graph, no objects (what the engine costs beyond)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((ROWS, COLS), dtype=np.float32)
    w = rng.standard_normal((ROWS, COLS), dtype=np.float32)
    index = rng.integers(0, COLS, (ROWS, COLS))
    mask = rng.random((ROWS, COLS)) < 0.2
    rows = np.arange(ROWS)[:, None]

    def step():
        a = x * w
        b = np.take_along_axis(a, index, 1)
        c = np.where(mask, np.float32(0), b)
        d = c.cumsum(1)
        positive = d > 0
        e = np.where(positive, d, d * np.float32(0.1))
        f = e[:, 1:] - e[:, :-1]
        g = np.tanh(f)
        xs = x[:, :COLS - 1]
        h = g * xs
        i = np.exp(h)
        j = i.sum(1, keepdims=True)
        k0 = h - j
        m = np.abs(k0)[:, ::2]
        n = np.log(m + 1)
        n.mean()
        grad_m = np.float32(1 / n.size) / (m + 1)
        grad_k = np.zeros_like(k0)
        grad_k[:, ::2] = grad_m
        grad_k *= np.sign(k0)
        grad_h = grad_k - grad_k.sum(1, keepdims=True) * i
        grad_f = grad_h * xs * (1 - g * g)
        grad_e = np.zeros_like(e)
        grad_e[:, 1:] += grad_f
        grad_e[:, :-1] -= grad_f
        grad_d = np.where(positive, grad_e, grad_e * np.float32(0.1))
        grad_b = np.where(mask, np.float32(0), grad_d[:, ::-1].cumsum(1)[:, ::-1])
        grad_a = np.zeros_like(a)
        np.add.at(grad_a, (rows, index), grad_b)
        grad_x, grad_w = grad_a * w, grad_a * x
        grad_x[:, :COLS - 1] += grad_h * g
        return grad_x, grad_w
    return step


def check_agreement():
    """Both libraries give the same loss and gradients (else the timing compares nothing)."""
    import gradsheet
    import torch
    results = []
    for lib in (gradsheet, torch):
        x, w, index, mask = inputs(lib)
        loss = chain(lib, x, w, index, mask)
        loss.backward()
        results.append([float(loss.detach()), np.array(x.grad.tolist()), np.array(w.grad.tolist())])
    grads_numpy = numpy_step()()
    (loss_a, *grads_a), (loss_b, *grads_b) = results
    for a, b in zip(grads_numpy, grads_b):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    assert abs(loss_a - loss_b) < 1e-5 * max(1.0, abs(loss_b)), (loss_a, loss_b)
    for a, b in zip(grads_a, grads_b):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    print("check: gradsheet, PyTorch and the NumPy step agree on the gradients")


CASES = {"ops_small": (400, {"gradsheet": functools.partial(step_for, "gradsheet"),
                             "pytorch": functools.partial(step_for, "torch"),
                             "numpy": numpy_step})}


if __name__ == "__main__":
    common.benchmark_main(__file__, __doc__.splitlines()[0], CASES, "ops_small",
                          before=check_agreement)
