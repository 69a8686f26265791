"""benchmarks/report.py renders RESULTS.md (and the README's marked table) from the benchmarks'
JSON files, and benchmarks/common.py records in each file what the report needs (date, CPU,
BLAS kernel, threads). Small fake JSON files only: nothing here times anything."""
import datetime
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"


def _module(name):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


report = _module("report")
common = _module("common")


def _run_report(*args, check=True):
    return subprocess.run([sys.executable, str(BENCH / "report.py"), *map(str, args)],
                          capture_output=True, text=True, check=check, cwd=ROOT)


def _rows(gradsheet, pytorch, numpy, g_vs_pt, g_vs_np):
    return {"gradsheet": {"ms": gradsheet, "vs_pytorch": g_vs_pt, "vs_numpy": g_vs_np},
            "pytorch": {"ms": pytorch, "vs_pytorch": 1.0, "vs_numpy": pytorch / numpy},
            "numpy": {"ms": numpy, "vs_pytorch": numpy / pytorch, "vs_numpy": 1.0}}


META = {"date": "2026-12-01T10:20:30+00:00", "cpu_model": "Fake CPU 9000 @ 3.1GHz", "cpu_count": 2,
        "platform": "Linux-fake", "threads": [1, 2],
        "blas": [{"library": "openblas", "version": "0.3.31", "kernel": "Haswell", "threads": 2}],
        "command": ["benchmarks/mlp.py", "--json", "benchmarks/results/mlp.json"],
        "env": {"OPENBLAS_CORETYPE": "Haswell"},
        "versions": {"python": "3.12.0", "numpy": "2.3.0", "torch": "2.13.0"},
        "description": "mlp: ...", "quick": False, "rounds": 15, "alone_case": "mlp_large",
        "alone_rounds": 3, "alone_threads": 1, "steps_per_round": {"mlp_large": 20, "mlp_small": 400}}


def _fake_results(folder, quick=False):
    """mlp.json (with meta), rnn.json (an older file: no meta), planning, Q-learning, DataLoader,
    and a file of a format the report does not know."""
    folder.mkdir(parents=True, exist_ok=True)
    meta = dict(META, quick=quick)
    mlp = {"1_threads": {"mlp_large": _rows(1.7644, 3.2195, 1.6892, 0.5476, 1.0429),
                         "mlp_small": _rows(0.05518, 0.13861, 0.03227, 0.2949, 1.5151)},
           "2_threads": {"mlp_large": _rows(1.1234, 4.4567, 1.4444, 0.2521, 0.7777),
                         "mlp_small": _rows(0.0551, 0.143, 0.0320, 0.3051, 1.4951)},
           "alone": {"gradsheet": {"ms": 1.7101, "peak_rss_mb": 48.7, "vs_pytorch": 0.5444,
                                   "vs_numpy": 1.0234},
                     "pytorch": {"ms": 3.1502, "peak_rss_mb": 308.8, "vs_pytorch": 1.0, "vs_numpy": 1.9},
                     "numpy": {"ms": 1.6703, "peak_rss_mb": 42.7, "vs_pytorch": 0.53, "vs_numpy": 1.0}},
           "alone_2_threads": {
               "gradsheet": {"ms": 1.2101, "peak_rss_mb": 49.9, "vs_pytorch": 0.4444, "vs_numpy": 0.9},
               "pytorch": {"ms": 2.7502, "peak_rss_mb": 310.1, "vs_pytorch": 1.0, "vs_numpy": 2.0},
               "numpy": {"ms": 1.3333, "peak_rss_mb": 43.1, "vs_pytorch": 0.5, "vs_numpy": 1.0}},
           "meta": meta}
    rnn = {"1_threads": {"lstm": _rows(7.0912, 5.0301, 8.2199, 1.4093, 0.8627),
                         "gru": _rows(5.7111, 11.5222, 7.3133, 0.4956, 0.7809)},
           "alone": {"gradsheet": {"ms": 7.1, "peak_rss_mb": 53.0, "vs_pytorch": 1.44},
                     "pytorch": {"ms": 5.0, "peak_rss_mb": 332.0, "vs_pytorch": 1.0},
                     "numpy": {"ms": 8.25, "peak_rss_mb": 47.0, "vs_pytorch": 1.65}}}
    planning = {"dense": {"gradsheet": {"ms": 1.376, "vs_pymdptoolbox": 0.4057, "max_abs_error": 7.6e-10},
                          "pymdptoolbox": {"ms": 3.3515, "vs_pymdptoolbox": 1.0, "max_abs_error": 91.37}},
                "sparse": {"gradsheet": {"ms": 34.44, "vs_pymdptoolbox": 0.000438, "max_abs_error": 9.7e-9},
                           "pymdptoolbox": {"ms": 78890.2, "vs_pymdptoolbox": 1.0, "max_abs_error": 80.7}},
                "meta": dict(META, env={"PLANNING_SPARSE_S": "2000"}, threads=[1],
                             command=["benchmarks/planning.py", "--rounds", "3"])}
    qlearning = {"qlearning": {"qlearning_us_per_step": 5.0, "bare_env_step_us_per_step": 4.0,
                               "speed_ratio": 0.8, "greedy_success_rate": 0.873}}
    loader = {"dataloader_workers": {"samples_per_s_0_workers": 700.0, "samples_per_s_2_workers": 1050.0,
                                     "speed_up": 1.5, "samples": 400, "rounds": 2}}
    vector = {"collect": {"env_steps_per_s_1": 2000.0, "env_steps_per_s_8": 7000.0, "speedup": 3.5},
              "per-env": {"env_steps_per_s_1": 900.0, "env_steps_per_s_8": 1100.0, "speedup": 1.2}}
    for name, data in [("mlp", mlp), ("rnn", rnn), ("planning", planning), ("qlearning", qlearning),
                       ("dataloader_workers", loader), ("rl_vector", vector),
                       ("distributed", {"configs": {}, "cores": 2})]:
        (folder / f"{name}.json").write_text(json.dumps(data))
    return {"mlp": mlp, "rnn": rnn}


def _table_row(text, first_cell, threads=None):
    """The cells after the first of the one row that starts with first_cell (and, given
    threads, whose second cell is that thread count)."""
    rows = [line for line in text.splitlines() if line.startswith(f"| {first_cell} |")
            and (threads is None or line.split("|")[2].strip() == str(threads))]
    assert len(rows) == 1, (first_cell, rows)
    return [cell.strip() for cell in rows[0].strip("|").split("|")][1:]


def _verdict(case, row):
    """The target cell, built here from TARGETS and the fake ratios."""
    parts = []
    for reference, bound in report.TARGETS[case]:
        name = {"pytorch": "PyTorch", "numpy": "NumPy"}[reference]
        ok = round(row["vs_" + reference], 2) <= bound
        parts.append(f"≤ {bound}x {name} {'met' if ok else '**not met**'}")
    return ", ".join(parts)


def test_main_table_has_both_ratios_each_thread_count_the_alone_row_and_verdicts(tmp_path):
    data = _fake_results(tmp_path / "results")
    _run_report("--results", tmp_path / "results", "--out", tmp_path / "RESULTS.md")
    text = (tmp_path / "RESULTS.md").read_text().split("## Peak resident memory")[0]
    first = _table_row(text, report.DESCRIPTIONS["mlp_large"])
    assert first == ["1", "1.76", "3.22", "1.69", "**0.55x**", "1.04x",
                     _verdict("mlp_large", data["mlp"]["1_threads"]["mlp_large"]["gradsheet"])]
    assert _table_row(text, "mlp_large")[:6] == ["2", "1.12", "4.46", "1.44", "**0.25x**", "0.78x"]
    assert _table_row(text, "mlp_large alone", 1) == ["1", "1.71", "3.15", "1.67", "**0.54x**", "1.02x", ""]
    assert _table_row(text, "mlp_large alone", 2) == ["2", "1.21", "2.75", "1.33", "**0.44x**", "0.90x", ""]
    # mlp_small's bounds (0.3x PyTorch, 1.5x NumPy) sit between the two thread counts' ratios
    for threads, label in [("1_threads", report.DESCRIPTIONS["mlp_small"]), ("2_threads", "mlp_small")]:
        row = data["mlp"][threads]["mlp_small"]["gradsheet"]
        cells = _table_row(text, label)
        contenders = data["mlp"][threads]["mlp_small"]
        assert cells[1:4] == [f"{contenders[w]['ms']:.3f}" for w in ("gradsheet", "pytorch", "numpy")]
        assert cells[-1] == _verdict("mlp_small", row)
    assert "≤ 0.3x PyTorch met, ≤ 1.5x NumPy **not met**" in text
    assert "≤ 0.3x PyTorch **not met**, ≤ 1.5x NumPy met" in text
    # an older file (no meta): its alone row belongs to its first case; vs NumPy left blank
    assert _table_row(text, "lstm alone") == ["1", "7.10", "5.00", "8.25", "**1.44x**", "", ""]
    assert _table_row(text, report.DESCRIPTIONS["lstm"])[4] == "**1.41x**"
    # rows in DESCRIPTIONS' order, whatever the files' order
    labels = [line.split("|")[1].strip() for line in report.main_table(report.load(tmp_path / "results"))[2:]]
    cases = [label.split()[0] for label in labels]
    assert cases == sorted(cases, key=lambda c: list(report.DESCRIPTIONS).index(c))


def test_results_record_kernel_cpu_date_threads_and_the_other_benchmarks(tmp_path):
    _fake_results(tmp_path / "results")
    _run_report("--results", tmp_path / "results", "--out", tmp_path / "RESULTS.md")
    text = (tmp_path / "RESULTS.md").read_text()
    mlp = _table_row(text, "mlp.json")
    assert mlp[:6] == ["2026-12-01 10:20 UTC", "Fake CPU 9000 @ 3.1GHz (2 CPUs)",
                       "openblas 0.3.31, Haswell kernel (OPENBLAS_CORETYPE=Haswell)", "1, 2; alone: 1, 2",
                       "15 (alone: 3)", "python 3.12.0, numpy 2.3.0, torch 2.13.0"]
    assert mlp[6] == "`benchmarks/mlp.py --json benchmarks/results/mlp.json`"
    assert _table_row(text, "rnn.json")[:2] == ["not recorded", "not recorded"]
    assert "Measured 2026-12-01 10:20 UTC on Fake CPU 9000 @ 3.1GHz" in text
    assert "Quick check" not in text
    # peak memory from the alone runs
    memory = text.split("## Peak resident memory")[1].split("##")[0]
    assert "| mlp_large | 49 | 309 | 43 | 0.16x |" in memory
    assert "| lstm | 53 | 332 | 47 | 0.16x |" in memory
    # planning (the sparse row's S from the recorded environment), Q-learning, DataLoader
    sparse = _table_row(text, report.PLANNING_LABELS["sparse"].format(S="2,000"))
    assert sparse[:3] == ["34.44", "78,890", "**0.00044x** (2,283.1x faster)"]
    assert "≥ 10x faster met" in sparse[-2]
    assert "**0.80** of the bare loop" in text and "200,000 steps/s" in text
    assert "**1.50x** | ≥ 1.6x **not met**" in text
    assert _table_row(text, "DQN on CartPole-v1, 8 vector envs vs 1, collect")[:4] == [
        "8 envs: 7,000 env steps/s", "1 env: 2,000 env steps/s", "**3.50x**", "≥ 3x met"]
    assert _table_row(text, "DQN on CartPole-v1, 8 vector envs vs 1, per-env")[3] == "≥ 3x **not met**"
    assert "Not rendered (a format this report does not know): `distributed.json`." in text


def test_a_quick_run_says_so_and_rendering_is_deterministic(tmp_path):
    _fake_results(tmp_path / "results", quick=True)
    _run_report("--results", tmp_path / "results", "--out", tmp_path / "a.md")
    _run_report("--results", tmp_path / "results", "--out", tmp_path / "b.md")
    text = (tmp_path / "a.md").read_text()
    assert "**Quick check**" in text
    assert text == (tmp_path / "b.md").read_text()


README = """# Project

Prose before.

{begin}
| old | table |
|---|---|
| 1 | 2 |
{end}

Prose after, kept.
"""


def test_readme_block_is_rewritten_and_nothing_else(tmp_path):
    _fake_results(tmp_path / "results")
    readme = tmp_path / "README.md"
    readme.write_text(README.format(begin=report.README_BEGIN, end=report.README_END))
    _run_report("--results", tmp_path / "results", "--out", tmp_path / "RESULTS.md", "--readme", readme)
    text = readme.read_text()
    before, rest = text.split(report.README_BEGIN + "\n")
    block, after = rest.split(report.README_END)
    assert before == "# Project\n\nProse before.\n\n"
    assert after == "\n\nProse after, kept.\n"
    assert "| old | table |" not in block
    results = (tmp_path / "RESULTS.md").read_text()
    assert block in results  # the README's table is RESULTS.md's first table
    _run_report("--results", tmp_path / "results", "--out", tmp_path / "RESULTS.md", "--readme", readme)
    assert readme.read_text() == text  # idempotent


def test_readme_without_markers_is_an_error_and_left_alone(tmp_path):
    _fake_results(tmp_path / "results")
    readme = tmp_path / "README.md"
    readme.write_text("# Project\n\nno markers\n")
    out = _run_report("--results", tmp_path / "results", "--out", tmp_path / "R.md", "--readme", readme,
                      check=False)
    assert out.returncode != 0 and "no line" in out.stderr
    assert readme.read_text() == "# Project\n\nno markers\n"
    empty = tmp_path / "empty"
    empty.mkdir()
    out = _run_report("--results", empty, "--out", tmp_path / "R.md", check=False)
    assert out.returncode != 0 and "no *.json" in out.stderr


def _first_model_name():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.split(":")[0].strip() == "model name":
            return line.split(":", 1)[1].strip()
    return None


def test_write_json_records_date_cpu_blas_threads_and_environment(tmp_path, monkeypatch):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setattr(common, "_THREADS_SET", [])
    limiter = common.set_threads(1)
    limiter.restore_original_limits()
    path = tmp_path / "out.json"
    common.write_json(str(path), {"1_threads": {}}, meta={"rounds": 4})
    common.write_json(None, {"ignored": 1})  # no path: nothing written, no error
    data = json.loads(path.read_text())
    meta = data["meta"]
    assert data["1_threads"] == {}
    when = datetime.datetime.fromisoformat(meta["date"])
    assert abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) < 120
    if Path("/proc/cpuinfo").exists() and _first_model_name():
        assert meta["cpu_model"] == _first_model_name()
    blas = [p for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    assert sorted((p["library"], p["version"], p["kernel"]) for p in meta["blas"]) == sorted(
        (p["internal_api"], p["version"], p.get("architecture")) for p in blas)
    assert meta["blas"][0]["package"] == "numpy"  # numpy's own BLAS first
    assert meta["threads"] == [1] and meta["rounds"] == 4
    assert meta["env"]["OPENBLAS_CORETYPE"] == "Haswell"
    assert meta["versions"]["numpy"] == np.__version__
    # and the report reads it back
    shutil.copy(path, tmp_path / "x.json")
    files = report.load(tmp_path)
    assert "Haswell" in report.machine_table(files)[2]


def test_the_readme_table_is_results_md_first_table():
    """The README's marked table and benchmarks/RESULTS.md's first table are the same rows
    (make bench writes both from benchmarks/results/*.json)."""
    readme, results = ROOT / "README.md", BENCH / "RESULTS.md"
    if not (readme.exists() and results.exists()):
        pytest.skip("README.md or benchmarks/RESULTS.md absent")
    text = readme.read_text()
    block = text.split(report.README_BEGIN + "\n")[1].split("\n" + report.README_END)[0]
    section = results.read_text().split("## Training steps, side by side\n\n")[1]
    table = section.split("\n\n")[0].rstrip("\n")
    assert block.splitlines() == table.splitlines()


def test_make_bench_and_bench_quick_run_every_benchmark_script():
    make = shutil.which("make")
    if make is None:
        pytest.skip("no make")
    # not in make bench: the shared code, the report, and DDP (several launches of its own)
    scripts = {p.stem for p in BENCH.glob("*.py")} - {"common", "report", "distributed"}
    for target in ("bench", "bench-quick"):
        plan = subprocess.run([make, "-n", "-o", ".venv/.installed-dev", target], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout
        # the side-by-side loop names its scripts as words
        ran = set(re.findall(r"benchmarks/(\w+)\.py", plan))
        loop = re.search(r"for b in ([\w ]+); do", plan)
        ran |= set(loop.group(1).split()) if loop else set()
        assert scripts <= ran, (target, scripts - ran)
        assert "benchmarks/report.py" in plan
        assert ("--readme README.md" in plan) == (target == "bench")


def test_op_overhead_is_rendered_with_its_ratio_to_pytorch(tmp_path):
    _fake_results(tmp_path / "results")
    overhead = {"add": {"us_per_call": {"gradsheet": 2.2, "pytorch": 1.1, "numpy": 0.34}},
                "add, requires_grad": {"us_per_call": {"gradsheet": 2.8, "pytorch": 3.5}},
                "meta": dict(META, threads=[1], rounds=7, calls=20000)}
    (tmp_path / "results" / "op_overhead.json").write_text(json.dumps(overhead))
    _run_report("--results", tmp_path / "results", "--out", tmp_path / "RESULTS.md")
    text = (tmp_path / "RESULTS.md").read_text()
    section = text.split("## The fixed cost of one op")[1].split("##")[0]
    assert "median of 7 rounds of 20,000 calls" in section
    assert _table_row(section, "add") == ["2.20", "1.10", "0.34", "**2.00x**"]
    assert _table_row(section, "add, requires_grad") == ["2.80", "3.50", "-", "**0.80x**"]
    assert "op_overhead.json" not in text.split("Not rendered")[-1]
