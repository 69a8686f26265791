"""op_overhead: the fixed cost of one Tensor op, where the arithmetic is nothing.

Each case runs one op on 1-element float32 tensors, as a loop of ``--calls`` calls, in
gradsheet and in PyTorch (same code: their APIs match), rounds alternating:

    add, mul by a number, exp, sum     forward only, on tensors that do not require grad
    the same, requires_grad=True       forward only, each call recording its graph node
    add + backward                     z = x + y, then z.backward(): the node, the engine
                                       and the two leaf gradients

and a NumPy row for the no-grad ops (the same call on 1-element arrays): the floor for an
engine that wraps NumPy. Reported in microseconds per call: the median over rounds, and the
median of the per-round ratios to PyTorch. 1 thread.

Usage: python benchmarks/op_overhead.py [--rounds 7] [--calls 20000] [--json out.json]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

OPS = {
    "add": lambda lib, x, y: x + y,
    "mul by a number": lambda lib, x, y: x * 2.0,
    "exp": lambda lib, x, y: lib.exp(x),
    "sum": lambda lib, x, y: x.sum(),
}


def _loop(fn, lib, x, y, calls):
    def step():
        for _ in range(calls):
            fn(lib, x, y)
    return step


def _backward_loop(lib, x, y, calls):
    def step():
        for _ in range(calls):
            (x + y).sum().backward()
    return step


def cases(calls):
    """{case: {contender: step}}, each step ``calls`` calls of the case's op."""
    import numpy as np
    import torch

    import gradsheet as gs
    libs = {"gradsheet": gs, "pytorch": torch}
    out = {}
    for requires_grad in (False, True):
        tensors = {name: (lib.ones(1, requires_grad=requires_grad),
                          lib.ones(1, requires_grad=requires_grad)) for name, lib in libs.items()}
        for op, fn in OPS.items():
            steps = {name: _loop(fn, libs[name], *tensors[name], calls) for name in libs}
            if not requires_grad:
                a = np.ones(1, dtype=np.float32)
                steps["numpy"] = _loop(fn, np, a, a, calls)
            out[f"{op}{', requires_grad' if requires_grad else ''}"] = steps
    grads = {name: (lib.ones(1, requires_grad=True), lib.ones(1, requires_grad=True))
             for name, lib in libs.items()}
    out["(x + y).sum().backward()"] = {name: _backward_loop(libs[name], *grads[name], calls)
                                       for name in libs}
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    import torch  # noqa: F401  (loaded before the limiter, so that it is limited too)
    limiter = common.set_threads(1)
    print("BLAS:", common.blas_report())
    print(f"\nfixed cost per op, 1-element float32 tensors, us per call (median of {args.rounds} "
          f"rounds of {args.calls:,} calls)")
    print(f"  {'op':<34} {'gradsheet':>9} {'pytorch':>8} {'numpy':>7} {'gs/pytorch':>10}")
    results = {}
    for case, steps in cases(args.calls).items():
        times = common.interleaved(steps, 1, args.rounds, warmup=1)
        rows = common.summarise(times)
        us = {name: 1e3 * row["ms"] / args.calls for name, row in rows.items()}
        results[case] = {"us_per_call": us, "gradsheet_vs_pytorch": rows["gradsheet"]["vs_pytorch"]}
        numpy = f"{us['numpy']:>7.2f}" if "numpy" in us else f"{'':>7}"
        print(f"  {case:<34} {us['gradsheet']:>9.2f} {us['pytorch']:>8.2f} {numpy} "
              f"{rows['gradsheet']['vs_pytorch']:>9.2f}x", flush=True)
    del limiter
    common.write_json(args.json, results, {"calls": args.calls, "rounds": args.rounds})


if __name__ == "__main__":
    main()
