"""transformer: one full training step (forward, backward, SGD update) of a Transformer encoder
layer with a linear head, float32.

    input (N=32, L=64, E=128), batch_first; TransformerEncoderLayer(d_model 128, 4 heads,
    feed-forward 512, ReLU, dropout 0, post-norm); Linear(128, 10) on every position;
    cross-entropy over the N*L tokens; SGD step

Contenders: gradsheet (nn.TransformerEncoderLayer: the attention one fused node), PyTorch, and
a hand-written NumPy forward/backward of the same network (one GEMM per projection on the
(N*L, E) rows, the heads as strided views of the packed Q|K|V projection, batched GEMMs for
the scores, the softmax-Jacobian product by hand, LayerNorm's backward by its formula).

Usage: python benchmarks/transformer.py [--threads 1 2] [--rounds N]
       python benchmarks/transformer.py --check (the contenders agree after 3 steps)
       python benchmarks/transformer.py --alone {gradsheet,pytorch,numpy} [--alone-threads N]
           (that contender alone in this process: its ms/step and peak RSS in MB)
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

BATCH, SEQ, D, HEADS, FF, CLASSES = 32, 64, 128, 4, 512, 10
LR, EPS, STEPS = 0.01, 1e-5, 5
HD = D // HEADS


def make_batch(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, SEQ, D), dtype=np.float32)
    return x, rng.integers(0, CLASSES, size=BATCH * SEQ)


def init_weights(seed=0):
    """PyTorch's init (Xavier uniform in-projection, zero attention biases, U(+-1/sqrt(fan_in))
    Linears, LayerNorm 1 and 0), by PyTorch's parameter names, shared by every contender."""
    rng = np.random.default_rng(seed)

    def uniform(bound, shape):
        return rng.uniform(-bound, bound, shape).astype(np.float32)

    weights = {"layer.self_attn.in_proj_weight": uniform(math.sqrt(6 / (D + 3 * D)), (3 * D, D)),
               "layer.self_attn.in_proj_bias": np.zeros(3 * D, np.float32),
               "layer.self_attn.out_proj.weight": uniform(1 / math.sqrt(D), (D, D)),
               "layer.self_attn.out_proj.bias": np.zeros(D, np.float32)}
    for name, fan_in, fan_out in (("layer.linear1", D, FF), ("layer.linear2", FF, D),
                                  ("head", D, CLASSES)):
        weights[f"{name}.weight"] = uniform(1 / math.sqrt(fan_in), (fan_out, fan_in))
        weights[f"{name}.bias"] = uniform(1 / math.sqrt(fan_in), fan_out)
    for name in ("layer.norm1", "layer.norm2"):
        weights[f"{name}.weight"] = np.ones(D, np.float32)
        weights[f"{name}.bias"] = np.zeros(D, np.float32)
    return weights


def _model(nn):
    """The network in ``nn`` (gradsheet.nn or torch.nn: the same code builds both)."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, batch_first=True)
            self.head = nn.Linear(D, CLASSES)

        def forward(self, x):
            return self.head(self.layer(x)).reshape(-1, CLASSES)

    return Net()


def gradsheet_step():
    import gradsheet as gs
    import gradsheet.nn.functional as F
    model = _model(gs.nn)
    params = dict(model.named_parameters())
    for name, w in init_weights().items():
        params[name].array[...] = w
    optimizer = gs.optim.SGD(model.parameters(), lr=LR)
    x, y = make_batch()
    step = common.training_step(model, F.cross_entropy, optimizer, gs.tensor(x), gs.tensor(y))
    step.weights = lambda: {name: p.array for name, p in params.items()}
    return step


def pytorch_step():
    import torch
    model = _model(torch.nn)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, w in init_weights().items():
            params[name].copy_(torch.from_numpy(w))
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = make_batch()
    step = common.training_step(model, torch.nn.functional.cross_entropy, optimizer,
                                torch.from_numpy(x), torch.from_numpy(y))
    step.weights = lambda: {name: p.detach().numpy() for name, p in params.items()}
    return step


def _layer_norm(r, gamma, beta):
    """(gamma x_hat + beta, x_hat, 1/sigma) of each row of r."""
    xc = r - r.mean(axis=-1, keepdims=True)
    rstd = 1 / np.sqrt(np.mean(xc * xc, axis=-1, keepdims=True) + EPS)
    xc *= rstd
    y = xc * gamma
    y += beta
    return y, xc, rstd


def _layer_norm_backward(dy, xhat, rstd, gamma):
    """(dx, dgamma, dbeta): dx = (1/sigma)(dx_hat - mean(dx_hat) - x_hat mean(dx_hat x_hat))."""
    dgamma, dbeta = np.einsum("ij,ij->j", dy, xhat), dy.sum(axis=0)
    dxhat = dy * gamma
    dx = dxhat - dxhat.mean(axis=-1, keepdims=True)
    dx -= xhat * np.mean(dxhat * xhat, axis=-1, keepdims=True)
    dx *= rstd
    return dx, dgamma, dbeta


def numpy_step():
    """The same step written by hand: no graph, no objects."""
    w = {name.replace("layer.", "").replace("self_attn.", ""): a
         for name, a in init_weights().items()}
    x, y = make_batch()
    n = BATCH * SEQ
    X = x.reshape(n, D)
    rows, scale = np.arange(n), 1 / math.sqrt(HD)

    def heads(a):  # (n, 3D) -> (3, N, H, L, hd), a view
        return a.reshape(BATCH, SEQ, 3, HEADS, HD).transpose(2, 0, 3, 1, 4)

    def step():
        # ---- forward
        qkv = X @ w["in_proj_weight"].T
        qkv += w["in_proj_bias"]
        q, k, v = heads(qkv)
        p = q @ k.swapaxes(-1, -2)
        p *= scale
        p -= p.max(axis=-1, keepdims=True)
        np.exp(p, out=p)
        p /= p.sum(axis=-1, keepdims=True)
        o = np.empty((BATCH, SEQ, HEADS, HD), np.float32)  # the heads side by side
        np.matmul(p, v, out=o.transpose(0, 2, 1, 3))
        o = o.reshape(n, D)
        r1 = o @ w["out_proj.weight"].T
        r1 += w["out_proj.bias"]
        r1 += X
        h1, xhat1, rstd1 = _layer_norm(r1, w["norm1.weight"], w["norm1.bias"])
        f = h1 @ w["linear1.weight"].T
        f += w["linear1.bias"]
        np.maximum(f, 0, out=f)
        r2 = f @ w["linear2.weight"].T
        r2 += w["linear2.bias"]
        r2 += h1
        h2, xhat2, rstd2 = _layer_norm(r2, w["norm2.weight"], w["norm2.bias"])
        logits = h2 @ w["head.weight"].T
        logits += w["head.bias"]
        # ---- backward: cross-entropy, head, norm2, feed-forward, norm1, attention
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        logits[rows, y] -= 1
        logits /= n
        grads = {"head.weight": logits.T @ h2, "head.bias": logits.sum(axis=0)}
        dr2, grads["norm2.weight"], grads["norm2.bias"] = _layer_norm_backward(
            logits @ w["head.weight"], xhat2, rstd2, w["norm2.weight"])
        grads["linear2.weight"], grads["linear2.bias"] = dr2.T @ f, dr2.sum(axis=0)
        df = dr2 @ w["linear2.weight"]
        df *= f > 0
        grads["linear1.weight"], grads["linear1.bias"] = df.T @ h1, df.sum(axis=0)
        dh1 = df @ w["linear1.weight"]
        dh1 += dr2
        dr1, grads["norm1.weight"], grads["norm1.bias"] = _layer_norm_backward(
            dh1, xhat1, rstd1, w["norm1.weight"])
        grads["out_proj.weight"], grads["out_proj.bias"] = dr1.T @ o, dr1.sum(axis=0)
        do = (dr1 @ w["out_proj.weight"]).reshape(BATCH, SEQ, HEADS, HD).transpose(0, 2, 1, 3)
        dqkv = np.empty((n, 3 * D), np.float32)
        dq, dk, dv = heads(dqkv)
        np.matmul(p.swapaxes(-1, -2), do, out=dv)
        ds = do @ v.swapaxes(-1, -2)  # dP, then dS = P (dP - rowsum(dP P)) scale
        ds -= np.einsum("...ij,...ij->...i", ds, p)[..., None]
        ds *= p
        ds *= scale
        np.matmul(ds, k, out=dq)
        np.matmul(ds.swapaxes(-1, -2), q, out=dk)
        grads["in_proj_weight"], grads["in_proj_bias"] = dqkv.T @ X, dqkv.sum(axis=0)
        # ---- SGD
        for name, g in grads.items():
            g *= LR
            w[name] -= g

    step.weights = lambda: {name: w[name.replace("layer.", "").replace("self_attn.", "")]
                            for name in init_weights()}
    return step


STEPS_OF = {"gradsheet": gradsheet_step, "pytorch": pytorch_step, "numpy": numpy_step}
CASES = {"transformer": (STEPS, STEPS_OF)}


def check(n_steps=3):
    """The contenders train the same network: equal updates of every weight after a few
    steps (within 1% of the largest update of that weight)."""
    start = init_weights()
    steps = {who: make() for who, make in STEPS_OF.items()}
    for step in steps.values():
        for _ in range(n_steps):
            step()
    reference = steps["pytorch"].weights()
    for who in ("gradsheet", "numpy"):
        weights = steps[who].weights()
        for name, want in reference.items():
            update = want - start[name]
            np.testing.assert_allclose(weights[name] - start[name], update, rtol=0,
                                       atol=1e-2 * np.abs(update).max() + 1e-9,
                                       err_msg=f"{who}: {name}")
    print(f"check: gradsheet, numpy and pytorch make the same updates over {n_steps} steps")


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        check()
    else:
        common.benchmark_main(__file__, __doc__.splitlines()[0], CASES, "transformer",
                              before=check)
