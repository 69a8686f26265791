"""Shared harness: interleaved side-by-side timing, BLAS report, peak memory.

Absolute times on a shared 2-core machine are noisy, so every benchmark runs
its contenders in alternation (round-robin, several rounds), takes each
round's per-step time, and reports the median time and the median of the
per-round ratios against PyTorch.
"""
import datetime
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

# The thread counts this run has set (``set_threads``): the JSON's meta records them.
_THREADS_SET = []
# Environment variables that change what a benchmark measures: recorded when set.
_RECORDED_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                 "MKL_NUM_THREADS", "PLANNING_SPARSE_S", "GRADSHEET_KEEP_FREED_MEMORY")


def _package_of(filepath):
    """The installed package a shared library came with (numpy for .../numpy.libs/...)."""
    parts = os.path.normpath(filepath or "").split(os.sep)
    if "site-packages" in parts[:-1]:
        return parts[parts.index("site-packages") + 1].split(".")[0]
    return os.path.basename(filepath or "") or None


def blas_pools():
    """The BLAS libraries loaded in this process as threadpoolctl sees them, numpy's first:
    [{"package", "library", "version", "kernel", "threads"}] (None without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    pools = [{"package": _package_of(pool.get("filepath")), "library": pool.get("internal_api"),
              "version": pool.get("version"), "kernel": pool.get("architecture"),
              "threads": pool.get("num_threads")}
             for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return sorted(pools, key=lambda p: (p["package"] != "numpy", str(p["package"]), str(p["version"])))


def blas_report():
    """Which BLAS library and kernel numpy runs (threadpoolctl), as one line."""
    pools = blas_pools()
    if pools is None:
        return "threadpoolctl not installed: BLAS kernel unknown"
    parts = [f"{pool['library']} {pool['version']} kernel={pool['kernel']} threads={pool['threads']}"
             for pool in pools]
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    return "; ".join(parts) + (f" (env {env})" if env else " (OPENBLAS_* unset)")


def set_threads(n):
    """Limit numpy's BLAS, and torch if it is imported, to ``n`` threads; returns the limiter to
    keep alive. (It never imports torch itself: a process timing gradsheet or NumPy alone must
    not carry torch's libraries in its memory.)"""
    from threadpoolctl import threadpool_limits
    limiter = threadpool_limits(limits=n, user_api="blas")
    _THREADS_SET.append(n)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(n)
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


def time_alone(step, seconds=0.5, warmup=5):
    """Milliseconds per call of ``step``, called for at least ``seconds`` after ``warmup`` calls
    (for a contender alone in its process, where the steps per round are not fixed)."""
    for _ in range(warmup):
        step()
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        calls += 1
    return (time.perf_counter() - start) * 1e3 / calls


def run_alone(script, contenders, rounds, threads=1, extra_args=()):
    """Each contender alone in a fresh process (``script --alone WHO --alone-threads N``),
    ``rounds`` times in alternation; returns {who: {"ms", "peak_rss_mb"}} (medians) plus
    "vs_pytorch" and "vs_numpy" (the median per-round ratios)."""
    runs = {who: [] for who in contenders}
    for _ in range(rounds):
        for who in contenders:
            out = subprocess.run([sys.executable, script, "--alone", who, "--alone-threads",
                                  str(threads), *extra_args], check=True, capture_output=True,
                                 text=True)
            ms, rss = map(float, out.stdout.split()[-2:])
            runs[who].append((ms, rss))
    rows = {who: {"ms": statistics.median(ms for ms, _ in series),
                  "peak_rss_mb": statistics.median(rss for _, rss in series)}
            for who, series in runs.items()}
    for reference in ("pytorch", "numpy"):
        if reference in runs:
            for who, series in runs.items():
                rows[who]["vs_" + reference] = statistics.median(
                    a / b for (a, _), (b, _) in zip(series, runs[reference]))
    return rows


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


def compare(title, contenders, n_steps, rounds, warmup=3):
    """Time ``contenders`` ({name: step}) interleaved; print and return their rows, with the
    median per-round ratios to PyTorch and to the hand-written NumPy step."""
    times = interleaved(contenders, n_steps, rounds, warmup=warmup)
    rows = summarise(times)
    if "numpy" in times:
        for who in rows:
            rows[who]["vs_numpy"] = statistics.median(
                a / b for a, b in zip(times[who], times["numpy"]))
    print_table(title, rows)
    if "numpy" in rows:
        print(f"  gradsheet / numpy: {rows['gradsheet']['vs_numpy']:.2f}x")
    return rows


def benchmark_main(script, description, cases, alone_case, alone_rounds=3, before=None):
    """The command line every side-by-side benchmark shares.

    ``cases`` maps a case name to (steps per round, {contender: a factory returning its step
    function}). Each case is timed interleaved in one process (``compare``), at each thread
    count. Then ``alone_case`` runs each contender alone in fresh processes at each thread
    count, as a user would run it: its ms/step there (no other library's memory habits or
    idle OpenMP threads in the process) and its peak resident memory; the 1-thread rows are
    "alone", the others "alone_N_threads". ``before()`` runs once before timing (e.g. a check that the
    contenders agree). ``--quick`` (``make bench-quick``) runs the same cases with fewer
    rounds (3 unless ``--rounds`` says otherwise) of half the steps after one warm-up call,
    and each contender alone once.
    """
    import argparse
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 15; 3 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="a quick check of the same cases: 3 rounds of half the steps, one "
                             "warm-up call, each contender alone once for 0.25 s")
    parser.add_argument("--only", nargs="+", choices=list(cases), default=list(cases))
    contenders = list(cases[alone_case][1])
    parser.add_argument("--alone", choices=contenders,
                        help=f"run {alone_case} with only this contender in the process; print "
                             "its ms/step and peak RSS (MB)")
    parser.add_argument("--alone-threads", type=int, default=1,
                        help="the BLAS threads of an --alone run (default 1)")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    if args.rounds is None:
        args.rounds = 3 if args.quick else 15
    n_steps = {name: max(1, steps // 2) if args.quick else steps for name, (steps, _) in cases.items()}
    warmup = 1 if args.quick else 3
    if args.quick:
        alone_rounds = 1
    if args.alone:
        step = cases[alone_case][1][args.alone]()
        limiter = set_threads(args.alone_threads)
        ms = time_alone(step, seconds=0.25, warmup=2) if args.quick else time_alone(step)
        print(f"{ms:.4f} {peak_rss_mb():.1f}")
        del limiter
        return
    print("BLAS:", blas_report())
    if before is not None:
        before()
    results = {}
    for threads in args.threads:
        steps = {name: {who: make() for who, make in cases[name][1].items()}
                 for name in args.only}
        limiter = set_threads(threads)  # after the factories have imported torch
        results[f"{threads}_threads"] = {
            name: compare(f"{name}, {threads} thread(s), median of {args.rounds} rounds",
                          steps[name], n_steps[name], args.rounds, warmup=warmup)
            for name in args.only}
        del limiter
    for threads in args.threads:
        alone = run_alone(script, contenders, alone_rounds, threads,
                          ["--quick"] if args.quick else [])
        print(f"\n{alone_case}, each contender alone in a fresh process, {threads} thread(s), "
              f"median of {alone_rounds} runs")
        print(f"  {'contender':<12} {'ms/step':>9} {'vs pytorch':>12} {'peak RSS MB':>12}")
        for who, row in alone.items():
            ratio = f"{row['vs_pytorch']:.2f}x" if "vs_pytorch" in row else "-"
            print(f"  {who:<12} {row['ms']:>9.3f} {ratio:>12} {row['peak_rss_mb']:>12.0f}")
        if "pytorch" in alone:
            print("  peak RSS gradsheet / pytorch: "
                  f"{alone['gradsheet']['peak_rss_mb'] / alone['pytorch']['peak_rss_mb']:.2f}x")
        results["alone" if threads == 1 else f"alone_{threads}_threads"] = alone
    write_json(args.json, results, meta={
        "description": description, "quick": args.quick, "rounds": args.rounds,
        "alone_case": alone_case, "alone_rounds": alone_rounds, "alone_threads": args.threads,
        "warmup": warmup, "steps_per_round": {name: n_steps[name] for name in args.only}})
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


def cpu_model():
    """The CPU's model name (/proc/cpuinfo's first "model name", else the platform's word)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Model", "cpu model") and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def run_meta():
    """What a result depends on besides the code: date, CPU, BLAS kernel, threads, versions,
    the command line and the environment variables that change the measurement."""
    versions = {"python": platform.python_version()}
    for module in ("numpy", "gradsheet", "torch", "scipy", "mdptoolbox"):
        loaded = sys.modules.get(module)  # never imports: only what this run used
        if loaded is not None:
            versions[module] = getattr(loaded, "__version__", "unknown")
    return {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "cpu_model": cpu_model(), "cpu_count": os.cpu_count(),
            "platform": platform.platform(), "blas": blas_pools(),
            "threads": sorted(set(_THREADS_SET)),
            "command": [os.path.relpath(sys.argv[0])] + sys.argv[1:],
            "env": {k: os.environ[k] for k in _RECORDED_ENV if k in os.environ},
            "versions": versions}


def write_json(path, results, meta=None):
    """Write ``results`` to ``path`` as indented JSON (nothing when ``path`` is None), with a
    "meta" entry (``run_meta()`` and ``meta``) that benchmarks/report.py reads."""
    if path:
        import json
        results = dict(results)
        results["meta"] = {**run_meta(), **(meta or {})}
        with open(path, "w") as f:
            json.dump(results, f, indent=2)
