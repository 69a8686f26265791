"""A tiny tour section for tests/tour/test_parallel.py (``run`` below; parallel_second.py is a
second one): it seeds itself, draws from gradsheet's generator, multiplies matrices and records
which process and how many BLAS threads ran it."""
import os

import gradsheet as gs


def section(report, key, title, seed):
    report.section(key, title)
    gs.manual_seed(seed)
    a = gs.randn(64, 64)
    report.figure("trace", round(float((a @ a).trace()), 4), "trace of a a")
    report.record("pid", os.getpid())
    report.record("blas_threads", gs.get_num_threads())
    report.claim(f"{key}_claim", "a claim", True, "evidence")


def run(report, quick, seed, verbose):
    section(report, "first", "1. First", seed)
