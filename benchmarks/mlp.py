"""mlp_large and mlp_small: one full training step (forward, backward, SGD update), float32.

Contenders: gradsheet, PyTorch, and a hand-written NumPy forward/backward of the
same network (the floor for a NumPy engine: what gradsheet costs beyond it is
the autograd tax).

    mlp_large: 784-512-256-10, ReLU, cross-entropy, batch 128
    mlp_small: 8-64-64-1, tanh, MSE, batch 32   (Python overhead dominates)

Usage: python benchmarks/mlp.py [--threads 1 2] [--rounds N]
       python benchmarks/mlp.py --alone {gradsheet,pytorch} [--alone-threads N]
           (that contender alone in this process: its ms/step and peak RSS in MB)
"""
import functools
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

CONFIGS = {
    "mlp_large": dict(sizes=(784, 512, 256, 10), activation="relu", loss="cross_entropy",
                      batch=128, steps=20),
    "mlp_small": dict(sizes=(8, 64, 64, 1), activation="tanh", loss="mse", batch=32, steps=400),
}
LR = 0.01


def make_batch(cfg, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((cfg["batch"], cfg["sizes"][0]), dtype=np.float32)
    if cfg["loss"] == "cross_entropy":
        y = rng.integers(0, cfg["sizes"][-1], size=cfg["batch"])
    else:
        y = rng.standard_normal((cfg["batch"], cfg["sizes"][-1]), dtype=np.float32)
    return x, y


def init_weights(sizes, seed=0):
    """PyTorch's default Linear init, shared by all contenders so they train the same net."""
    rng = np.random.default_rng(seed)
    weights = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        weights.append((rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32),
                        rng.uniform(-bound, bound, fan_out).astype(np.float32)))
    return weights


def gradsheet_step(cfg):
    import gradsheet as gs
    import gradsheet.nn as nn
    import gradsheet.nn.functional as F
    act = {"relu": nn.ReLU, "tanh": nn.Tanh}[cfg["activation"]]
    layers = []
    for i, (w, b) in enumerate(init_weights(cfg["sizes"])):
        linear = nn.Linear(w.shape[1], w.shape[0])
        linear.weight.array[...] = w
        linear.bias.array[...] = b
        layers += [linear, act()] if i < len(cfg["sizes"]) - 2 else [linear]
    model = nn.Sequential(*layers)
    optimizer = gs.optim.SGD(model.parameters(), lr=LR)
    x, y = make_batch(cfg)
    x, y = gs.tensor(x), gs.tensor(y)
    loss_fn = F.cross_entropy if cfg["loss"] == "cross_entropy" else F.mse_loss

    return common.training_step(model, loss_fn, optimizer, x, y)


def pytorch_step(cfg):
    import torch
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}[cfg["activation"]]
    layers = []
    for i, (w, b) in enumerate(init_weights(cfg["sizes"])):
        linear = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w))
            linear.bias.copy_(torch.from_numpy(b))
        layers += [linear, act()] if i < len(cfg["sizes"]) - 2 else [linear]
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = make_batch(cfg)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    loss_fn = (torch.nn.functional.cross_entropy if cfg["loss"] == "cross_entropy"
               else torch.nn.functional.mse_loss)

    return common.training_step(model, loss_fn, optimizer, x, y)


def numpy_step(cfg):
    """The same step written by hand: no graph, no objects, buffers only where numpy needs them."""
    params = init_weights(cfg["sizes"])
    x, y = make_batch(cfg)
    n = x.shape[0]
    relu = cfg["activation"] == "relu"
    last = len(params) - 1

    def step():
        activations = [x]
        for i, (w, b) in enumerate(params):
            z = activations[-1] @ w.T
            z += b
            if i < last:
                if relu:
                    np.maximum(z, 0, out=z)
                else:
                    np.tanh(z, out=z)
            activations.append(z)
        out = activations[-1]
        if cfg["loss"] == "cross_entropy":
            out -= out.max(axis=1, keepdims=True)
            np.exp(out, out=out)
            out /= out.sum(axis=1, keepdims=True)
            out[np.arange(n), y] -= 1
            out /= n
            g = out
        else:
            g = (out - y) * (2 / out.size)
        for i in range(last, -1, -1):
            w, b = params[i]
            grad_w = g.T @ activations[i]
            grad_b = g.sum(axis=0)
            if i > 0:
                g = g @ w
                h = activations[i]
                if relu:
                    g *= h > 0
                else:
                    g *= 1 - h * h
            w -= LR * grad_w
            b -= LR * grad_b
    return step


STEPS = {"gradsheet": gradsheet_step, "pytorch": pytorch_step, "numpy": numpy_step}
CASES = {name: (cfg["steps"], {who: functools.partial(make, cfg) for who, make in STEPS.items()})
         for name, cfg in CONFIGS.items()}


if __name__ == "__main__":
    results = common.benchmark_main(__file__, __doc__.splitlines()[0], CASES, "mlp_large")
    if results is not None:
        seconds = common.import_time("gradsheet")
        print(f"python -c 'import gradsheet': {seconds:.3f} s (median of 7)")
