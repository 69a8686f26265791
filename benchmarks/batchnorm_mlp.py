"""batchnorm_mlp: one training step of 784-512 (BatchNorm1d, ReLU)-10, float32, batch 128.

Linear(784, 512) -> BatchNorm1d(512) in training mode (batch statistics, running estimates
updated) -> ReLU -> Linear(512, 10) -> cross-entropy -> backward -> SGD step.

Contenders: gradsheet, PyTorch, and a hand-written NumPy forward/backward of the same network
(batch norm's closed-form backward written out), all from the same initial weights, timed in
alternation (see common.py).

Usage: python benchmarks/batchnorm_mlp.py [--threads 1 2] [--rounds N] [--json FILE]
       python benchmarks/batchnorm_mlp.py --alone {gradsheet,pytorch,numpy} [--alone-threads N]
           (that contender alone in this process: its ms/step and peak RSS in MB)
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

SIZES = (784, 512, 10)
BATCH = 128
STEPS = 20
LR = 0.01
MOMENTUM = 0.1
EPS = 1e-5


def make_batch(seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((BATCH, SIZES[0]), dtype=np.float32),
            rng.integers(0, SIZES[-1], size=BATCH))


def init_weights(seed=0):
    """PyTorch's default Linear init, shared by all contenders so they train the same net."""
    rng = np.random.default_rng(seed)
    weights = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(fan_in)
        weights.append((rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32),
                        rng.uniform(-bound, bound, fan_out).astype(np.float32)))
    return weights


def gradsheet_step():
    import gradsheet as gs
    import gradsheet.nn as nn
    import gradsheet.nn.functional as F
    (w1, b1), (w2, b2) = init_weights()
    first, last = nn.Linear(SIZES[0], SIZES[1]), nn.Linear(SIZES[1], SIZES[2])
    for layer, (w, b) in ((first, (w1, b1)), (last, (w2, b2))):
        layer.weight.array[...] = w
        layer.bias.array[...] = b
    model = nn.Sequential(first, nn.BatchNorm1d(SIZES[1]), nn.ReLU(), last)
    optimizer = gs.optim.SGD(model.parameters(), lr=LR)
    x, y = make_batch()
    x, y = gs.tensor(x), gs.tensor(y)

    return common.training_step(model, F.cross_entropy, optimizer, x, y)


def pytorch_step():
    import torch
    (w1, b1), (w2, b2) = init_weights()
    first, last = torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.Linear(SIZES[1], SIZES[2])
    with torch.no_grad():
        for layer, (w, b) in ((first, (w1, b1)), (last, (w2, b2))):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
    model = torch.nn.Sequential(first, torch.nn.BatchNorm1d(SIZES[1]), torch.nn.ReLU(), last)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = make_batch()
    x, y = torch.from_numpy(x), torch.from_numpy(y)

    return common.training_step(model, torch.nn.functional.cross_entropy, optimizer, x, y)


def numpy_step():
    """The same step by hand: no graph, no objects."""
    (w1, b1), (w2, b2) = init_weights()
    gamma, beta = np.ones(SIZES[1], np.float32), np.zeros(SIZES[1], np.float32)
    running_mean, running_var = np.zeros(SIZES[1], np.float32), np.ones(SIZES[1], np.float32)
    x, y = make_batch()
    n = x.shape[0]
    rows = np.arange(n)

    def step():
        z = x @ w1.T
        z += b1
        mean = z.mean(axis=0)
        z -= mean
        var = np.square(z).mean(axis=0)
        invstd = 1 / np.sqrt(var + EPS)
        xhat = z
        xhat *= invstd
        h = xhat * gamma
        h += beta
        np.maximum(h, 0, out=h)
        out = h @ w2.T
        out += b2
        running_mean[...] *= 1 - MOMENTUM  # ([...]: the closure's array, not a new local)
        running_mean[...] += MOMENTUM * mean
        running_var[...] *= 1 - MOMENTUM
        running_var[...] += (MOMENTUM * n / (n - 1)) * var
        # softmax cross-entropy: dL/dout = (softmax - onehot) / n
        out -= out.max(axis=1, keepdims=True)
        np.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)
        out[rows, y] -= 1
        out /= n
        grad_w2, grad_b2 = out.T @ h, out.sum(axis=0)
        g = out @ w2
        g *= h > 0
        grad_beta = g.sum(axis=0)
        grad_gamma = (g * xhat).sum(axis=0)
        # dx = (gamma / sigma) (g - dbeta / n - xhat dgamma / n)
        dz = xhat * (grad_gamma / n)
        dz += grad_beta / n
        np.subtract(g, dz, out=dz)
        dz *= gamma * invstd
        grad_w1, grad_b1 = dz.T @ x, dz.sum(axis=0)
        for param, grad in ((w1, grad_w1), (b1, grad_b1), (gamma, grad_gamma),
                            (beta, grad_beta), (w2, grad_w2), (b2, grad_b2)):
            param -= LR * grad
    return step


CASES = {"batchnorm_mlp": (STEPS, {"gradsheet": gradsheet_step, "pytorch": pytorch_step,
                                   "numpy": numpy_step})}


if __name__ == "__main__":
    common.benchmark_main(__file__, __doc__.splitlines()[0], CASES, "batchnorm_mlp")
