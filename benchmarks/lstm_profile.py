"""Where the lstm benchmark's step spends its time: each GEMM of the fused LSTM node at its
shape (ms per step, GFLOP/s, NumPy's OpenBLAS beside PyTorch's MKL), the rest of the node
(gate elementwise work, copies, allocations), and the whole step of gradsheet and PyTorch.

Times are CPU time of the calling thread (``time.thread_time``) at 1 BLAS thread, medians of
several rounds: on a shared machine they move less than wall-clock time does.

Usage: python benchmarks/lstm_profile.py [--rounds N]
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402
import rnn  # noqa: E402


def cpu_ms(fn, rounds, calls):
    """Median over ``rounds`` of the CPU ms per call of ``fn`` (one warm-up call first)."""
    fn()
    times = []
    for _ in range(rounds):
        start = time.thread_time()
        for _ in range(calls):
            fn()
        times.append((time.thread_time() - start) / calls)
    return 1e3 * float(np.median(times))


def gemms(cfg):
    """(what, shape (m, k, n), times per step) of every GEMM in one training step of the node,
    as ``ops.recurrent.LSTM`` runs them (x needs no gradient: no dX product)."""
    T, B, n_in, H = cfg["T"], cfg["B"], cfg["I"], cfg["H"]
    return [("input projection [W_ih|b] @ [x_t; 1], batched", (4 * H, n_in + 1, B), T),
            ("forward step W_hh @ h_{t-1}", (4 * H, H, B), T - 1),
            ("backward step W_hh^T @ dA_t", (H, 4 * H, B), T - 1),
            ("weight gradients dA @ [X | H_prev]", (4 * H, T * B, n_in + H), 1),
            ("bias gradient dA @ 1 (a GEMV)", (4 * H, T * B, 1), 1)]


def time_gemm(shape, rounds):
    """CPU ms of one (m, k) @ (k, n) float32 product in NumPy and in PyTorch."""
    import torch
    m, k, n = shape
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    out = np.empty((m, n), dtype=np.float32)
    ta, tb, tout = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(out)
    calls = max(1, int(2e8 / (2 * m * k * n)))
    return (cpu_ms(lambda: np.matmul(a, b, out=out), rounds, calls),
            cpu_ms(lambda: torch.mm(ta, tb, out=tout), rounds, calls))


def time_node(cfg, rounds):
    """CPU ms of the LSTM node's forward and backward at the benchmark's shapes."""
    from gradsheet.ops.recurrent import LSTM
    T, B, H = cfg["T"], cfg["B"], cfg["H"]
    x, _ = rnn.make_batch(cfg)
    w_ih, w_hh, b_ih, b_hh = rnn.init_weights(cfg)[:4]
    nodes = []

    def forward():
        node = LSTM()
        node.parents = None
        out = node.forward(x, None, None, w_ih, w_hh, b_ih, b_hh)
        nodes[:] = [node, out]
    fwd = cpu_ms(forward, rounds, 10)
    node, out = nodes
    node.needs_grad = lambda i: i >= 3  # the benchmark's: weights and biases, not x, h0, c0
    grad = np.zeros_like(out)
    grad[T - 1] = np.random.default_rng(1).standard_normal((B, H), dtype=np.float32)
    return fwd, cpu_ms(lambda: node.backward(grad), rounds, 10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    import torch  # noqa: F401  (imported first: set_threads limits its pool too)
    limiter = common.set_threads(1)  # noqa: F841  (kept alive: the limit lasts while it does)
    cfg = rnn.CONFIGS["lstm"]
    print(f"CPU: {common.cpu_model()}; BLAS: {common.blas_report()}")
    print(f"lstm profile: T {cfg['T']}, B {cfg['B']}, I {cfg['I']}, H {cfg['H']}, float32, "
          f"1 thread, CPU ms per training step (median of {args.rounds} rounds)\n")
    print(f"{'GEMM':50s} {'(m, k, n)':>16s} {'x':>3s} {'NumPy ms':>9s} {'GFLOP/s':>8s} "
          f"{'PyTorch ms':>10s}")
    total_np = total_pt = 0.0
    for what, shape, count in gemms(cfg):
        one_np, one_pt = time_gemm(shape, args.rounds)
        m, k, n = shape
        total_np += count * one_np
        total_pt += count * one_pt
        print(f"{what:50s} {str(shape):>16s} {count:3d} {count * one_np:9.2f} "
              f"{2 * m * k * n / one_np / 1e6:8.0f} {count * one_pt:10.2f}")
    print(f"{'all GEMMs':50s} {'':16s} {'':3s} {total_np:9.2f} {'':8s} {total_pt:10.2f}")
    fwd, bwd = time_node(cfg, args.rounds)
    print(f"\nLSTM node: forward {fwd:.2f} ms + backward {bwd:.2f} ms = {fwd + bwd:.2f} ms, of "
          f"which GEMMs {total_np:.2f} ms and the rest (gate elementwise work, copies, "
          f"allocations) {fwd + bwd - total_np:.2f} ms")
    steps = {"gradsheet": rnn.gradsheet_step("lstm", cfg),
             "pytorch": rnn.pytorch_step("lstm", cfg)}
    for who, step in steps.items():
        print(f"whole training step, {who}: {cpu_ms(step, args.rounds, 10):.2f} ms")


if __name__ == "__main__":
    main()
