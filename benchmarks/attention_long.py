"""attention_long: scaled dot-product attention forward and backward on long sequences, float32.

    query, key, value (N=8, H=4, L=S=512, d=64); O = softmax(Q K^T / sqrt(d)) V; the
    gradients of Q, K and V for a fixed upstream gradient dO

Contenders: gradsheet (F.scaled_dot_product_attention: one fused node, the scores held whole,
transposed; at n threads the batch in n parts, one per thread), PyTorch (its CPU kernel for
F.scaled_dot_product_attention), and a hand-written NumPy forward/backward (the scores
materialised, the softmax-Jacobian product dS = P (dP - rowsum(dP P))). The alone-in-a-process
run reports each one's peak resident memory: the (N, H, L, S) weights are 32 MiB here, and
PyTorch's kernel works on blocks of them.

Usage: python benchmarks/attention_long.py [--threads 1 2] [--rounds N]
       python benchmarks/attention_long.py --check (the contenders' gradients agree)
       python benchmarks/attention_long.py --alone {gradsheet,pytorch,numpy} [--alone-threads N]
           (that contender alone in this process: its ms/step and peak RSS in MB)
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

N, H, L, S, DIM, STEPS = 8, 4, 512, 512, 64, 3


def make_inputs(seed=0):
    """q, k, v and the upstream gradient dO."""
    rng = np.random.default_rng(seed)
    shapes = [(N, H, L, DIM), (N, H, S, DIM), (N, H, S, DIM), (N, H, L, DIM)]
    return [rng.standard_normal(shape, dtype=np.float32) for shape in shapes]


def gradsheet_step():
    import gradsheet as gs
    import gradsheet.nn.functional as F
    q, k, v, g = make_inputs()
    q, k, v = (gs.tensor(a, requires_grad=True) for a in (q, k, v))
    g = gs.tensor(g)

    def step():
        for t in (q, k, v):
            t.grad = None
        F.scaled_dot_product_attention(q, k, v).backward(g)
    step.grads = lambda: [t.grad.array for t in (q, k, v)]
    return step


def pytorch_step():
    import torch
    q, k, v, g = make_inputs()
    q, k, v = (torch.from_numpy(a).requires_grad_() for a in (q, k, v))
    g = torch.from_numpy(g)

    def step():
        for t in (q, k, v):
            t.grad = None
        torch.nn.functional.scaled_dot_product_attention(q, k, v).backward(g)
    step.grads = lambda: [t.grad.numpy() for t in (q, k, v)]
    return step


def numpy_step():
    """The same computation written by hand."""
    q, k, v, g = make_inputs()
    scale = 1 / math.sqrt(DIM)
    grads = []

    def step():
        p = q @ k.swapaxes(-1, -2)
        p *= scale
        p -= p.max(axis=-1, keepdims=True)
        np.exp(p, out=p)
        p /= p.sum(axis=-1, keepdims=True)
        out = p @ v  # the forward's output, which a caller would use
        dv = p.swapaxes(-1, -2) @ g
        ds = g @ v.swapaxes(-1, -2)
        ds -= np.einsum("...ij,...ij->...i", ds, p)[..., None]
        ds *= p
        ds *= scale
        grads[:] = [ds @ k, ds.swapaxes(-1, -2) @ q, dv]
        return out
    step.grads = lambda: grads
    return step


STEPS_OF = {"gradsheet": gradsheet_step, "pytorch": pytorch_step, "numpy": numpy_step}
CASES = {"attention_long": (STEPS, STEPS_OF)}


def check():
    """The contenders compute the same gradients."""
    steps = {who: make() for who, make in STEPS_OF.items()}
    for step in steps.values():
        step()
    reference = steps["pytorch"].grads()
    for who in ("gradsheet", "numpy"):
        for name, got, want in zip("qkv", steps[who].grads(), reference):
            np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-5 * np.abs(want).max(),
                                       err_msg=f"{who}: d{name}")
    print("check: gradsheet, numpy and pytorch compute the same gradients")


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        check()
    else:
        common.benchmark_main(__file__, __doc__.splitlines()[0], CASES, "attention_long",
                              before=check)
