"""Shared harness: interleaved side-by-side timing, BLAS report, peak memory.

Absolute times on a shared 2-core machine are noisy, so every benchmark runs
its contenders in alternation (round-robin, several rounds), takes each
round's per-step time, and reports the median time and the median of the
per-round ratios against PyTorch.
"""
import os
import resource
import statistics
import subprocess
import sys
import time


def blas_report():
    """Which BLAS library and kernel numpy runs (threadpoolctl), as one line."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed: BLAS kernel unknown"
    parts = []
    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            parts.append(f"{pool.get('internal_api')} {pool.get('version')} "
                         f"kernel={pool.get('architecture')} threads={pool.get('num_threads')}")
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    return "; ".join(parts) + (f" (env {env})" if env else " (OPENBLAS_* unset)")


def set_threads(n):
    """Limit numpy's BLAS and torch to ``n`` threads; returns the limiter to keep alive."""
    from threadpoolctl import threadpool_limits
    limiter = threadpool_limits(limits=n, user_api="blas")
    try:
        import torch
        torch.set_num_threads(n)
    except ImportError:
        pass
    return limiter


def time_steps(step, n_steps):
    """Milliseconds per call of ``step`` over ``n_steps`` calls."""
    start = time.perf_counter()
    for _ in range(n_steps):
        step()
    return (time.perf_counter() - start) * 1e3 / n_steps


def interleaved(contenders, n_steps, rounds, warmup=3):
    """Time each contender's ``step`` in round-robin; returns {name: [ms per step per round]}."""
    for step in contenders.values():
        for _ in range(warmup):
            step()
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, step in contenders.items():
            times[name].append(time_steps(step, n_steps))
    return times


def summarise(times, reference="pytorch"):
    """Median ms/step of each contender and its median per-round ratio to ``reference``."""
    rows = {}
    for name, series in times.items():
        row = {"ms": statistics.median(series)}
        if reference in times:
            row["vs_" + reference] = statistics.median(
                a / b for a, b in zip(series, times[reference]))
        rows[name] = row
    return rows


def peak_rss_mb():
    """This process's peak resident memory in MB.

    Read from VmHWM, which exec resets; ru_maxrss would carry over the peak of
    the (large) parent that forked this process.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_rss_of(argv):
    """Run ``argv`` in a fresh process; returns the peak RSS (MB) it printed last."""
    out = subprocess.run([sys.executable] + argv, check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def print_table(title, rows, reference="pytorch"):
    print(f"\n{title}")
    print(f"  {'contender':<12} {'ms/step':>9} {'vs ' + reference:>12}")
    for name, row in rows.items():
        ratio = row.get("vs_" + reference)
        ratio_text = f"{ratio:.2f}x" if ratio is not None else "-"
        print(f"  {name:<12} {row['ms']:>9.3f} {ratio_text:>12}")


def import_time(module, repeats=7):
    """Median wall time of ``python -c "import module"`` in fresh processes (seconds)."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def compare(title, contenders, n_steps, rounds):
    """Time ``contenders`` ({name: step}) interleaved; print and return their rows, with the
    median per-round ratios to PyTorch and to the hand-written NumPy step."""
    times = interleaved(contenders, n_steps, rounds)
    rows = summarise(times)
    if "numpy" in times:
        for who in rows:
            rows[who]["vs_numpy"] = statistics.median(
                a / b for a, b in zip(times[who], times["numpy"]))
    print_table(title, rows)
    if "numpy" in rows:
        print(f"  gradsheet / numpy: {rows['gradsheet']['vs_numpy']:.2f}x")
    return rows


def benchmark_main(script, description, cases, memory_case, memory_steps=20, before=None):
    """The command line every side-by-side benchmark shares.

    ``cases`` maps a case name to (steps per round, {contender: a factory returning its step
    function}); ``memory_case`` is the case whose peak RSS is measured, one fresh process per
    contender. ``before()`` runs once before timing (e.g. a check that the contenders agree).
    """
    import argparse
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--only", nargs="+", choices=list(cases), default=list(cases))
    contenders = list(cases[memory_case][1])
    parser.add_argument("--memory-of", choices=contenders,
                        help="run the memory case here and print this process's peak RSS")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    if args.memory_of:
        step = cases[memory_case][1][args.memory_of]()
        for _ in range(memory_steps):
            step()
        print(peak_rss_mb())
        return
    print("BLAS:", blas_report())
    if before is not None:
        before()
    results = {}
    for threads in args.threads:
        limiter = set_threads(threads)
        results[f"{threads}_threads"] = {
            name: compare(f"{name}, {threads} thread(s), median of {args.rounds} rounds",
                          {who: make() for who, make in cases[name][1].items()},
                          cases[name][0], args.rounds)
            for name in args.only}
        del limiter
    memory = {who: peak_rss_of([script, "--memory-of", who]) for who in contenders}
    print(f"\npeak RSS of a {memory_case} training process (MB):",
          ", ".join(f"{k} {v:.0f}" for k, v in memory.items()))
    if "pytorch" in memory:
        print(f"  gradsheet / pytorch: {memory['gradsheet'] / memory['pytorch']:.2f}x")
    results["peak_rss_mb"] = memory
    write_json(args.json, results)
    return results


def training_step(model, loss_fn, optimizer, x, y):
    """The cheat sheet's four steps as one closure. The same code drives gradsheet and
    PyTorch: their APIs match, which is the point."""
    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return step


def write_json(path, results):
    """Write ``results`` to ``path`` as indented JSON (nothing when ``path`` is None)."""
    if path:
        import json
        with open(path, "w") as f:
            json.dump(results, f, indent=2)
