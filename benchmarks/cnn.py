"""cnn: one full training step (forward, backward, SGD update) of a small MNIST-shaped CNN, float32.

    input 64x1x28x28; conv 1->16 k5 pad2, ReLU, maxpool2; conv 16->32 k5 pad2, ReLU,
    maxpool2; flatten; linear 1568->10; cross-entropy; SGD step

Contenders: gradsheet (nn.Conv2d, nn.MaxPool2d, ... through autograd), PyTorch, and a
hand-written NumPy forward/backward of the same network as issue #3 describes the careful
one (im2col in (C*K*K, H*W*N) layout, one GEMM per conv, channel-major activations, scratch
buffers reused across steps, col2im as K*K strided adds). gradsheet goes one step further:
it builds the columns a cache-sized block of output rows at a time (gradsheet/ops/im2col.py).

Usage: python benchmarks/cnn.py [--threads 1 2] [--rounds N]
       python benchmarks/cnn.py --check (the contenders agree after 3 steps)
       python benchmarks/cnn.py --alone {gradsheet,pytorch,numpy} [--alone-threads N]
           (that contender alone in this process: its ms/step and peak RSS in MB)
"""
import os
import sys

import numpy as np
from numpy.lib.stride_tricks import as_strided

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

BATCH, CLASSES, LR, STEPS = 64, 10, 0.01, 10
CONVS = ((1, 16), (16, 32))   # (in, out) channels, kernel 5, padding 2, each then ReLU, maxpool2
KERNEL, PAD = 5, 2
FLAT = 32 * 7 * 7


def make_batch(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, 1, 28, 28), dtype=np.float32)
    return x, rng.integers(0, CLASSES, size=BATCH)


def init_weights(seed=0):
    """PyTorch's default init (U(+-1/sqrt(fan_in))), shared so every contender trains the same net."""
    rng = np.random.default_rng(seed)
    shapes = [((o, i, KERNEL, KERNEL), i * KERNEL * KERNEL) for i, o in CONVS]
    shapes.append(((CLASSES, FLAT), FLAT))
    weights = []
    for shape, fan_in in shapes:
        bound = 1 / np.sqrt(fan_in)
        weights.append((rng.uniform(-bound, bound, shape).astype(np.float32),
                        rng.uniform(-bound, bound, shape[0]).astype(np.float32)))
    return weights


def gradsheet_step():
    import gradsheet as gs
    import gradsheet.nn as nn
    import gradsheet.nn.functional as F
    layers = []
    for i, o in CONVS:
        layers += [nn.Conv2d(i, o, KERNEL, padding=PAD), nn.ReLU(), nn.MaxPool2d(2)]
    model = nn.Sequential(*layers, nn.Flatten(), nn.Linear(FLAT, CLASSES))
    params = [m for m in model if isinstance(m, (nn.Conv2d, nn.Linear))]
    for module, (w, b) in zip(params, init_weights()):
        module.weight.array[...] = w
        module.bias.array[...] = b
    optimizer = gs.optim.SGD(model.parameters(), lr=LR)
    x, y = make_batch()
    x, y = gs.tensor(x), gs.tensor(y)

    step = common.training_step(model, F.cross_entropy, optimizer, x, y)
    step.weights = lambda: [p.array for m in params for p in (m.weight, m.bias)]
    return step


def pytorch_step():
    import torch
    layers = []
    for i, o in CONVS:
        layers += [torch.nn.Conv2d(i, o, KERNEL, padding=PAD), torch.nn.ReLU(),
                   torch.nn.MaxPool2d(2)]
    model = torch.nn.Sequential(*layers, torch.nn.Flatten(), torch.nn.Linear(FLAT, CLASSES))
    params = [m for m in model if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        for module, (w, b) in zip(params, init_weights()):
            module.weight.copy_(torch.from_numpy(w))
            module.bias.copy_(torch.from_numpy(b))
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = make_batch()
    x, y = torch.from_numpy(x), torch.from_numpy(y)

    step = common.training_step(model, torch.nn.functional.cross_entropy, optimizer, x, y)
    step.weights = lambda: [p.detach().numpy() for m in params for p in (m.weight, m.bias)]
    return step


class _HandConv:
    """conv k5 pad2 -> ReLU -> maxpool2 on (C, H, W, N) arrays, forward and backward by hand."""

    def __init__(self, w, b, size):
        self.w, self.b = w, b
        out_c, in_c = w.shape[:2]
        self.size = size
        self.xpad = np.zeros((in_c, size + 2 * PAD, size + 2 * PAD, BATCH), np.float32)
        self.cols = np.empty((in_c * KERNEL * KERNEL, size * size * BATCH), np.float32)
        self.dcols = np.empty_like(self.cols) if in_c > 1 else None

    def forward(self, x):
        """x (C, H, W, N) -> pooled (O, H/2, W/2, N)."""
        n, k = self.size, KERNEL
        self.xpad[:, PAD:PAD + n, PAD:PAD + n] = x
        c, s = self.xpad.shape[0], self.xpad.strides
        windows = as_strided(self.xpad, (c, k, k, n, n, BATCH), s[:3] + s[1:])
        np.copyto(self.cols.reshape(c, k, k, n, n, BATCH), windows)
        z = self.w.reshape(len(self.w), -1) @ self.cols
        z += self.b[:, None]
        np.maximum(z, 0, out=z)
        quads = z.reshape(-1, n // 2, 2, n // 2, 2, BATCH)
        pooled = np.maximum(np.maximum(quads[:, :, 0, :, 0], quads[:, :, 0, :, 1]),
                            np.maximum(quads[:, :, 1, :, 0], quads[:, :, 1, :, 1]))
        self.quads, self.pooled = quads, pooled
        return pooled

    def backward(self, g):
        """g = dL/dpooled (O, H/2, W/2, N) -> dL/dx (C, H, W, N) (None for the first layer);
        updates the weights."""
        # the max's position gets g; ReLU's zeros (also ties of the max) get nothing
        q = self.quads
        dz = ((q == self.pooled[:, :, None, :, None]) & (q > 0)) * g[:, :, None, :, None]
        dz = dz.reshape(len(self.w), -1)
        grad_w = (self.cols @ dz.T).T.reshape(self.w.shape)
        grad_b = dz.sum(axis=1)
        dx = None
        if self.dcols is not None:
            np.matmul(self.w.reshape(len(self.w), -1).T, dz, out=self.dcols)
            n, k, c = self.size, KERNEL, self.xpad.shape[0]
            dcols = self.dcols.reshape(c, k, k, n, n, BATCH)
            dxpad = np.zeros_like(self.xpad)
            for i in range(k):
                for j in range(k):
                    dxpad[:, i:i + n, j:j + n] += dcols[:, i, j]
            dx = dxpad[:, PAD:PAD + n, PAD:PAD + n]
        self.w -= LR * grad_w
        self.b -= LR * grad_b
        return dx


def numpy_step():
    """The same step written by hand: no graph, no objects beyond two conv blocks."""
    (w1, b1), (w2, b2), (w3, b3) = init_weights()
    convs = [_HandConv(w1, b1, 28), _HandConv(w2, b2, 14)]
    x, y = make_batch()
    x_chwn = x.transpose(1, 2, 3, 0)
    rows = np.arange(BATCH)

    def step():
        nonlocal w3, b3  # updated in place
        h = x_chwn
        for conv in convs:
            h = conv.forward(h)
        flat = h.transpose(3, 0, 1, 2).reshape(BATCH, FLAT)
        logits = flat @ w3.T + b3
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        logits[rows, y] -= 1
        logits /= BATCH
        g = (logits @ w3).reshape(BATCH, 32, 7, 7).transpose(1, 2, 3, 0)
        w3 -= LR * (logits.T @ flat)
        b3 -= LR * logits.sum(axis=0)
        for conv in reversed(convs):
            g = conv.backward(g)
    step.weights = lambda: [w1, b1, w2, b2, w3, b3]
    return step


STEPS_OF = {"gradsheet": gradsheet_step, "pytorch": pytorch_step, "numpy": numpy_step}
CASES = {"cnn": (STEPS, STEPS_OF)}


def check(n_steps=3):
    """The contenders train the same network: equal weights after a few steps."""
    steps = {who: make() for who, make in STEPS_OF.items()}
    for step in steps.values():
        for _ in range(n_steps):
            step()
    reference = steps["pytorch"].weights()
    for who in ("gradsheet", "numpy"):
        for a, b in zip(steps[who].weights(), reference):
            np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5, err_msg=who)
    print(f"check: gradsheet, numpy and pytorch agree after {n_steps} steps")



if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        check()
    else:
        common.benchmark_main(__file__, __doc__.splitlines()[0], CASES, "cnn", before=check)
