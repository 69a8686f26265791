"""The second tiny tour section of tests/tour/test_parallel.py."""
from .parallel_sections import section


def run(report, quick, seed, verbose):
    section(report, "second", "2. Second", seed + 1)
