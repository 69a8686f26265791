"""distributed: data-parallel training throughput, 1 process vs N processes under mpiexec, float32.

    mlp_large: 784-512-256-10, ReLU, cross-entropy, SGD, batch 128 per rank (benchmarks/mlp.py)
    cnn: benchmarks/cnn.py's network, batch 64 per rank

Each configuration is one launch of ``mpiexec -n N python benchmarks/distributed.py --worker``
with one BLAS thread per process (OPENBLAS_NUM_THREADS=1 and threadpoolctl): N = 1 trains the
bare model (the baseline), N = 2 the model wrapped in nn.parallel.DistributedDataParallel
(default buckets: bucket_cap_mb=25, first bucket 1 MiB), each rank on its own batch of the
same size (weak scaling: the samples of a step grow with N). Launches alternate (1, 2, 1, 2,
...) so that the machine's load falls on both alike. Reported per configuration:

    samples/s   = N * batch / step time (the median over rounds of the slowest rank's)
    efficiency  = samples/s(N) / (N * samples/s(1))                     (target >= 0.85)
    wait        = time inside the final wait for the buckets' allreduces / step time
                  (Work.wait of every bucket, timed by wrapping nn.parallel._comm's
                  all_reduce_sum; target < 10%)

and the ring-allreduce cost model's prediction for the same run (README, "Scaling out"):
t(N) = t(1) + 2 (N-1)/N * G / bandwidth + 2 (N-1) * latency * buckets, with G the gradient
bytes and bandwidth and latency fitted from a blocking MPI Allreduce timed here over 8 B to
8 MiB (``allreduce`` section: t(bytes) = 2 (N-1) latency + 2 (N-1)/N * bytes / bandwidth).

Usage: python benchmarks/distributed.py [--nproc 1 2] [--launches 3] [--rounds 5]
           [--bucket-cap-mb MB ...] [--only mlp_large cnn] [--json PATH]
       mpiexec -n N python benchmarks/distributed.py --worker ...   (one launch; what the
           driver runs; prints one RESULT line of JSON on rank 0)
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = {"mlp_large": dict(batch=128, steps=20), "cnn": dict(batch=64, steps=8)}
ALLREDUCE_BYTES = [8, 64, 512, 4096, 32768, 131072, 524288, 2097152, 8388608]


# ---------------------------------------------------------------- the models (as mlp.py, cnn.py)
def build(name, seed=0):
    """(model, loss_fn, x, y) of benchmark ``name`` with its shared initial weights."""
    import gradsheet as gs
    import gradsheet.nn as nn
    import gradsheet.nn.functional as F
    rng = np.random.default_rng(seed)
    if name == "mlp_large":
        import mlp
        cfg = mlp.CONFIGS["mlp_large"]
        layers = []
        for i, (w, b) in enumerate(mlp.init_weights(cfg["sizes"])):
            linear = nn.Linear(w.shape[1], w.shape[0])
            linear.weight.array[...] = w
            linear.bias.array[...] = b
            layers += [linear, nn.ReLU()] if i < len(cfg["sizes"]) - 2 else [linear]
        model = nn.Sequential(*layers)
        x = rng.standard_normal((MODELS[name]["batch"], cfg["sizes"][0]), dtype=np.float32)
        y = rng.integers(0, cfg["sizes"][-1], size=MODELS[name]["batch"])
    else:
        import cnn
        layers = []
        for i, o in cnn.CONVS:
            layers += [nn.Conv2d(i, o, cnn.KERNEL, padding=cnn.PAD), nn.ReLU(), nn.MaxPool2d(2)]
        model = nn.Sequential(*layers, nn.Flatten(), nn.Linear(cnn.FLAT, cnn.CLASSES))
        params = [m for m in model if isinstance(m, (nn.Conv2d, nn.Linear))]
        for module, (w, b) in zip(params, cnn.init_weights()):
            module.weight.array[...] = w
            module.bias.array[...] = b
        x = rng.standard_normal((MODELS[name]["batch"], 1, 28, 28), dtype=np.float32)
        y = rng.integers(0, cnn.CLASSES, size=MODELS[name]["batch"])
    return model, F.cross_entropy, gs.tensor(x), gs.tensor(y)


def gradient_bytes(name):
    """Bytes of one full gradient of benchmark ``name`` (parameters x 4, float32)."""
    model = build(name)[0]
    return int(sum(p.array.nbytes for p in model.parameters()))


# ---------------------------------------------------------------- the worker (one launch)
class _Clock:
    """Seconds spent inside the buckets' Work.wait() (and in starting them), summed; and the
    moments (time.monotonic: one clock for every process of a machine) this step's first
    wait began and its last one ended."""

    def __init__(self):
        self.wait = self.start = 0.0
        self.calls = 0
        self.first_enter = self.last_exit = None


class _TimedWork:
    """A DDP bucket's Work whose wait() adds its duration to the clock."""

    def __init__(self, work, clock):
        self._work, self._clock = work, clock

    def wait(self, timeout=None):
        clock = self._clock
        start = time.monotonic()
        if clock.first_enter is None:
            clock.first_enter = start
        try:
            return self._work.wait(timeout)
        finally:
            clock.last_exit = time.monotonic()
            clock.wait += clock.last_exit - start

    def is_completed(self):
        return self._work.is_completed()


def _time_allreduces(clock):
    """Wrap nn.parallel._comm.all_reduce_sum so that DDP's works time their waits."""
    from gradsheet.nn.parallel import _comm
    original = _comm.all_reduce_sum

    def timed(array, group=None, async_op=False):
        start = time.monotonic()
        work = original(array, group, async_op)
        clock.start += time.monotonic() - start
        clock.calls += 1
        return _TimedWork(work, clock) if work is not None else None

    _comm.all_reduce_sum = timed


def _rounds_of(step, clock, steps, rounds, barrier):
    """Per round: (seconds per step, wait seconds per step, start seconds per step, [(first
    wait's start, last wait's end) of each step])."""
    for _ in range(3):
        step()
    out = []
    for _ in range(rounds):
        barrier()
        clock.wait = clock.start = 0.0
        marks = []
        start = time.monotonic()
        for _ in range(steps):
            clock.first_enter = clock.last_exit = None
            step()
            marks.append((clock.first_enter, clock.last_exit))
        seconds = time.monotonic() - start
        out.append((seconds / steps, clock.wait / steps, clock.start / steps, marks))
    return out


def _split_wait(every, k):
    """Round k's median (skew, transfer) in seconds over its steps, from every rank's marks:
    skew = the last rank's arrival at the final wait - the first's (the other ranks' lag:
    load imbalance), transfer = the first rank's leaving - the last one's arrival (the
    communication left once every rank is there); (0, 0) without waits."""
    skews, transfers = [], []
    for marks in zip(*(r[k][3] for r in every)):
        if any(m[0] is None for m in marks):
            return 0.0, 0.0
        arrive = [m[0] for m in marks]
        skews.append(max(arrive) - min(arrive))
        transfers.append(max(0.0, min(m[1] for m in marks) - max(arrive)))
    return statistics.median(skews), statistics.median(transfers)


def _allreduce_probe(comm, repeats=20):
    """Median seconds of a blocking in-place MPI Allreduce (float32 sum) per size in bytes."""
    from mpi4py import MPI
    times = {}
    for nbytes in ALLREDUCE_BYTES:
        buf = np.ones(nbytes // 4, dtype=np.float32)
        for _ in range(3):
            comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
        samples = []
        for _ in range(repeats):
            comm.Barrier()
            start = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
            samples.append(time.perf_counter() - start)
        samples = comm.allgather(samples)
        slowest = [max(s[k] for s in samples) for k in range(repeats)]  # each repeat
        times[nbytes] = (statistics.median(slowest), min(slowest))
    return times


def worker(args):
    import gradsheet.distributed as dist
    from gradsheet import optim
    from gradsheet.nn.parallel import DistributedDataParallel as DDP
    limiter = common.set_threads(1)
    dist.init_process_group(backend="mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    clock = _Clock()
    _time_allreduces(clock)
    results = {"world": world, "blas": common.blas_report(), "models": {}}
    # one process: the bare model (the baseline) and, to tell DDP's own cost from the
    # communication's, the DDP-wrapped one in a world of one
    configs = ([None] if world == 1 else []) + args.bucket_cap_mb
    for name in args.only:
        for cap in configs:
            model, loss_fn, x, y = build(name)
            net = model if cap is None else DDP(model, bucket_cap_mb=None if cap == 25 else cap)
            optimizer = optim.SGD(net.parameters(), lr=0.01)
            step = common.training_step(net, loss_fn, optimizer, x, y)
            rounds = _rounds_of(step, clock, MODELS[name]["steps"], args.rounds, dist.barrier)
            every = [None] * world
            dist.all_gather_object(every, rounds)  # (marks: time.monotonic, one machine only)
            # the ranks wait for each other every step: the slowest one sets the pace; a rank's
            # wait is the transfer plus however far the other rank lagged behind (the rank
            # that arrived last waits least: about the transfer alone)
            per_round = range(args.rounds)
            key = name if cap is None else f"{name} bucket_cap_mb={cap}"
            results["models"][key] = {
                "name": name, "bucket_cap_mb": cap,
                "buckets": 0 if cap is None else len(net._buckets),
                "bucket_bytes": [] if cap is None else [int(b.flat.nbytes) for b in net._buckets],
                "step_ms": [1e3 * max(r[k][0] for r in every) for k in per_round],
                "wait_ms": [1e3 * statistics.mean(r[k][1] for r in every) for k in per_round],
                "wait_min_ms": [1e3 * min(r[k][1] for r in every) for k in per_round],
                "start_ms": [1e3 * statistics.mean(r[k][2] for r in every) for k in per_round],
                "skew_ms": [1e3 * _split_wait(every, k)[0] for k in per_round],
                "transfer_ms": [1e3 * _split_wait(every, k)[1] for k in per_round],
            }
    if world > 1 and args.probe:
        results["allreduce_s"] = _allreduce_probe(dist.GroupMember.WORLD.comm)
    if rank == 0:
        print("RESULT " + json.dumps(results), flush=True)
    dist.destroy_process_group()
    del limiter


# ---------------------------------------------------------------- the driver
def mpiexec():
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = here if os.access(here, os.X_OK) else shutil.which("mpiexec")
    if found is None:
        raise SystemExit('distributed.py: mpiexec not found: pip install "gradsheet[dist]"')
    return found


def launch(n, args, probe):
    command = [mpiexec(), "-n", str(n), sys.executable, os.path.abspath(__file__), "--worker",
               "--rounds", str(args.rounds), "--only", *args.only,
               "--bucket-cap-mb", *map(str, args.bucket_cap_mb)] + (["--probe"] if probe else [])
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               GRADSHEET_DISTRIBUTED_TIMEOUT="120")
    env.pop("GRADSHEET_DISTRIBUTED_DEBUG", None)
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n"
                         f"{done.stderr}")
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def fit_allreduce(times, n):
    """(latency s, bandwidth bytes/s) of t = 2 (n-1) latency + 2 (n-1)/n bytes / bandwidth,
    least squares on the timed sizes (each weighted by 1/t: relative error)."""
    sizes = np.array(sorted(times), dtype=float)
    t = np.array([times[s] for s in sorted(times)])
    a = np.stack([np.full_like(sizes, 2 * (n - 1)), 2 * (n - 1) / n * sizes], axis=1) / t[:, None]
    (latency, inverse_bandwidth), *_ = np.linalg.lstsq(a, np.ones_like(t), rcond=None)
    return float(latency), float(1 / inverse_bandwidth)


def predict(t1, grad_bytes, buckets, n, latency, bandwidth):
    """The cost model's step time on n ranks with nothing overlapped (seconds)."""
    if n == 1:
        return t1
    return t1 + 2 * (n - 1) / n * grad_bytes / bandwidth + 2 * (n - 1) * latency * buckets


def run_rows(runs, key):
    """One configuration's rounds over every launch, side by side."""
    rows = [run["models"][key] for run in runs]
    out = {field: [v for row in rows for v in row.get(field, [0.0] * len(row["step_ms"]))]
           for field in ("step_ms", "wait_ms", "wait_min_ms", "skew_ms", "transfer_ms")}
    out["buckets"], out["bucket_bytes"] = rows[0]["buckets"], rows[0]["bucket_bytes"]
    return out


def load_average():
    try:
        return os.getloadavg()
    except OSError:
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--nproc", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--launches", type=int, default=3,
                        help="launches of each configuration, in alternation")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per launch")
    parser.add_argument("--bucket-cap-mb", type=float, nargs="+", default=[25.0],
                        help="DDP bucket sizes to time (25: DDP's default, first bucket 1 MiB)")
    parser.add_argument("--only", nargs="+", choices=list(MODELS), default=list(MODELS))
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    if 1 not in args.nproc:
        parser.error("--nproc must include 1 (the baseline)")

    print(f"cores: {os.cpu_count()}, load average before: {load_average()}")
    runs = {n: [] for n in args.nproc}
    probes = []
    for launch_index in range(args.launches):
        for n in args.nproc:
            result = launch(n, args, probe=n > 1 and launch_index == 0)
            runs[n].append(result)
            if "allreduce_s" in result:
                probes.append((n, {int(k): v for k, v in result["allreduce_s"].items()}))
    load_after = load_average()
    print("BLAS in each rank:", runs[1][0]["blas"])

    report = {"load_average_after": load_after, "cores": os.cpu_count(), "configs": {},
              "launches": args.launches, "rounds": args.rounds}
    latency = bandwidth = None
    if probes:
        n_probe, times = probes[0]
        latency, bandwidth = fit_allreduce({b: t[0] for b, t in times.items()}, n_probe)
        best_latency, best_bandwidth = fit_allreduce({b: t[1] for b, t in times.items()}, n_probe)
        report["allreduce"] = {"nproc": n_probe, "seconds_median_min": times,
                               "latency_s": latency, "bandwidth_bytes_per_s": bandwidth,
                               "best_latency_s": best_latency,
                               "best_bandwidth_bytes_per_s": best_bandwidth}
        print(f"\nMPI Allreduce (blocking, in place, float32 sum) on {n_probe} ranks, 20 repeats:")
        print(f"  {'bytes':>9}  {'median us':>10} {'GB/s':>6}  {'best us':>9} {'GB/s':>6}")
        for nbytes, (median, best) in times.items():
            moved = 2 * (n_probe - 1) / n_probe * nbytes
            print(f"  {nbytes:>9}  {median * 1e6:>10.1f} {moved / median / 1e9:>6.2f}  "
                  f"{best * 1e6:>9.1f} {moved / best / 1e9:>6.2f}")
        print(f"  fit t = 2(N-1) latency + 2(N-1)/N bytes / bandwidth: median latency "
              f"{latency * 1e6:.1f} us, bandwidth {bandwidth / 1e9:.2f} GB/s; best latency "
              f"{best_latency * 1e6:.1f} us, bandwidth {best_bandwidth / 1e9:.2f} GB/s")

    print(f"\nmedian over {args.launches} launches x {args.rounds} rounds (a round: the slowest "
          f"rank's time per step; wait: the ranks' mean time in the final wait, per step; "
          f"skew: the last rank's arrival there - the first's; transfer: from the last arrival "
          f"to the first rank's leaving)")
    print(f"  {'model':<30} {'procs':>5} {'ms/step':>8} {'samples/s':>10} {'vs 1 proc':>9} "
          f"{'eff':>5} {'wait ms':>8} {'wait %':>7} {'skew ms':>8} {'xfer ms':>8} {'model ms':>9} "
          f"{'model eff':>9}")
    for name in args.only:
        base = [ms for run in runs[1] for ms in run["models"][name]["step_ms"]]
        t1 = statistics.median(base)
        grad_bytes = gradient_bytes(name)
        batch = MODELS[name]["batch"]
        rows = [(name, 1, None, run_rows(runs[1], name))]
        for n in args.nproc:
            for cap in args.bucket_cap_mb:
                key = f"{name} bucket_cap_mb={cap}"
                rows.append((key, n, cap, run_rows(runs[n], key)))
        for key, n, cap, r in rows:
            ms = statistics.median(r["step_ms"])
            sps = n * batch / ms * 1e3
            speedup = sps / (batch / t1 * 1e3)
            predicted = None
            if latency is not None:
                predicted = 1e3 * predict(t1 / 1e3, grad_bytes, max(r["buckets"], 1), n,
                                          latency, bandwidth)
            row = {"nproc": n, "bucket_cap_mb": cap, "buckets": r["buckets"],
                   "bucket_bytes": r["bucket_bytes"], "step_ms": ms, "step_ms_all": r["step_ms"],
                   "samples_per_s": sps, "speedup": speedup, "efficiency": speedup / n,
                   "wait_ms": statistics.median(r["wait_ms"]),
                   "wait_min_ms": statistics.median(r["wait_min_ms"]),
                   "skew_ms": statistics.median(r["skew_ms"]),
                   "transfer_ms": statistics.median(r["transfer_ms"]),
                   "wait_fraction": statistics.median(w / s for w, s in zip(r["wait_ms"],
                                                                            r["step_ms"])),
                   "gradient_bytes": grad_bytes, "predicted_step_ms": predicted,
                   "predicted_efficiency": None if predicted is None else t1 / predicted}
            report["configs"][f"{key} nproc={n}"] = row
            model_ms = f"{predicted:9.2f}" if predicted is not None else f"{'-':>9}"
            model_eff = f"{t1 / predicted:9.2f}" if predicted is not None else f"{'-':>9}"
            print(f"  {key:<30} {n:>5} {ms:>8.2f} {sps:>10.0f} {speedup:>8.2f}x "
                  f"{speedup / n:>5.2f} {row['wait_ms']:>8.3f} {100 * row['wait_fraction']:>6.1f}% "
                  f"{row['skew_ms']:>8.3f} {row['transfer_ms']:>8.3f} {model_ms} {model_eff}")
        caps = {cap: report["configs"][f"{name} bucket_cap_mb={cap} nproc={args.nproc[-1]}"]
                ["bucket_bytes"] for cap in args.bucket_cap_mb}
        print(f"  ({name}: {grad_bytes} gradient bytes; bucket bytes by bucket_cap_mb: {caps})")
    print(f"load average after: {load_after}")
    common.write_json(args.json, report)
    return report


if __name__ == "__main__":
    main()
