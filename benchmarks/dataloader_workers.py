"""dataloader_workers: samples/s that a DataLoader feeds a training loop, num_workers 0 vs 2.

Each sample costs 1 ms to load (time.sleep, standing for disk or decoding: the workers wait
in parallel), batches of 8 go through one SGD step of a small MLP (8-32-1). With two workers
the loading of the next batches overlaps the other's and the step, so the loop should run at
close to twice the samples/s of num_workers=0 (issue 11, item 3 asks for at least 1.6x).

Usage: python benchmarks/dataloader_workers.py [--samples N] [--rounds R] [--json FILE]
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import gradsheet as gs  # noqa: E402
from gradsheet import nn  # noqa: E402
from gradsheet.data import DataLoader, Dataset  # noqa: E402

LOAD_SECONDS = 0.001


class SlowSamples(Dataset):
    """Sample i: 8 features and a target, after 1 ms of 'loading'."""

    def __init__(self, n):
        rng = np.random.default_rng(0)
        self.x = rng.standard_normal((n, 8)).astype(np.float32)
        self.y = self.x.sum(axis=1, keepdims=True)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        time.sleep(LOAD_SECONDS)
        return self.x[i], self.y[i]


def samples_per_second(num_workers, samples=800, batch_size=8):
    """Samples/s of one epoch of training (workers' start-up included)."""
    gs.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))
    optimizer = gs.optim.SGD(model.parameters(), lr=0.01)
    loader = DataLoader(SlowSamples(samples), batch_size=batch_size, shuffle=True,
                        num_workers=num_workers, timeout=60 if num_workers else 0)
    start = time.perf_counter()
    seen = 0
    for x, y in loader:
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        seen += len(y)
    return seen / (time.perf_counter() - start)


def measure(samples=800, rounds=3):
    """(median samples/s with 0 workers, with 2 workers, median per-round ratio)."""
    zero, two, ratios = [], [], []
    for _ in range(rounds):  # alternate, so that load on the machine hits both alike
        a = samples_per_second(0, samples)
        b = samples_per_second(2, samples)
        zero.append(a)
        two.append(b)
        ratios.append(b / a)
    return float(np.median(zero)), float(np.median(two)), float(np.median(ratios))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=800)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    zero, two, ratio = measure(args.samples, args.rounds)
    print(f"num_workers=0: {zero:8.0f} samples/s")
    print(f"num_workers=2: {two:8.0f} samples/s")
    print(f"speed-up:      {ratio:8.2f}x  (1 ms per sample, batch 8, {args.samples} samples, "
          f"median of {args.rounds} rounds; {os.cpu_count()} CPUs)")
    sys.path.insert(0, os.path.dirname(__file__))
    import common
    common.write_json(args.json, {"dataloader_workers": {
        "samples_per_s_0_workers": zero, "samples_per_s_2_workers": two, "speed_up": ratio,
        "samples": args.samples, "rounds": args.rounds, "load_ms_per_sample": LOAD_SECONDS * 1e3}})


if __name__ == "__main__":
    main()
