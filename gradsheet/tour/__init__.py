"""The executable cheat sheet: ``gradsheet tour`` runs one module per section.

The sections are independent (each seeds its own experiments), so with ``jobs`` > 1 they run
in that many worker processes at once, one BLAS thread each: on a 2-core machine two sections
at a time take about half the time of one after the other, where a second BLAS thread inside
one section gains little (the tour's matrix products are small). Each section's printed lines
are held until it ends and then printed in the tour's order; its figures are the same as in a
run one after the other.
"""
from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Mapping
from typing import Any, Optional

from .report import Report

# section name -> module (each has run(report, quick, seed, verbose))
SECTIONS = {"nn": "neural_networks", "cnn": "convolutional", "rnn": "recurrent",
            "rl": "reinforcement", "attention": "attention"}
# relative cost of each section (its CPU seconds at one thread, full and --quick mode, measured
# on a 2-core AMD EPYC, SkylakeX kernel), to start the longest first when they run in parallel:
# longest-processing-time-first keeps the workers evenly busy. The two modes order differently.
COST = {"attention": 26, "rnn": 20, "cnn": 14, "nn": 10, "rl": 8}
QUICK_COST = {"rnn": 9, "nn": 7.5, "cnn": 6.5, "attention": 6, "rl": 4}


def default_jobs() -> int:
    """Worker processes for the tour: the CPU cores this process may use, at most one per
    section."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, len(SECTIONS)))


def _module_name(name: str) -> str:
    """The module of section ``name``: ``SECTIONS[name]`` under gradsheet.tour (or a dotted
    name of its own)."""
    if name not in SECTIONS:
        raise ValueError(f"tour: unknown section {name!r}; choose from {sorted(SECTIONS)}")
    module = SECTIONS[name]
    return module if "." in module else f"{__name__}.{module}"


def run(sections: Optional[Iterable[str]] = None, quick: bool = False, seed: int = 0,
        out: Optional[str] = "tour-report", verbose: int = 1, jobs: int = 1) -> Report:
    """Run the named sections (all by default) and write the report; returns the Report.

    ``jobs``: worker processes (1: every section in this process, in order; more: see the
    module docstring).
    """
    names = list(sections or SECTIONS)
    modules = {name: _module_name(name) for name in names}  # an unknown name fails here
    report = Report(out, quick=quick, seed=seed)
    if jobs > 1 and len(names) > 1:
        _run_parallel(report, modules, quick, seed, jobs)
    else:
        for module in modules.values():
            importlib.import_module(module).run(report, quick=quick, seed=seed, verbose=verbose)
    path = report.write()
    if path:
        report.text(f"\nEvery figure above is in {path}")
    return report


def _run_section(module: str, quick: bool, seed: int, out: Optional[str]) -> dict[str, Any]:
    """In a worker: the section in ``module`` on one BLAS thread, its lines kept, not printed;
    returns the section's recorded state (Report.section_state)."""
    from .. import threads
    threads.set_num_threads(1)
    report = Report(out, stream=lambda text: None)
    importlib.import_module(module).run(report, quick=quick, seed=seed, verbose=0)
    return report.section_state()


def _run_parallel(report: Report, modules: Mapping[str, str], quick: bool, seed: int,
                  jobs: int) -> None:
    """Run the sections ``modules`` (name -> module) in ``jobs`` worker processes, the most
    costly first; adopt each one's report into ``report`` in the tour's order."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    jobs = min(jobs, len(modules))
    report.stream(f"(running {len(modules)} sections in {jobs} processes, one BLAS thread each; "
                  "each section prints when it ends)")
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no forked BLAS state
    costs = QUICK_COST if quick else COST
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = {name: pool.submit(_run_section, modules[name], quick, seed, report.out_dir)
                   for name in sorted(modules, key=lambda n: -costs.get(n, 0))}
        for name in modules:  # in the tour's order, each as soon as it and those before it end
            report.adopt_section(futures[name].result())
