"""gradsheet.memory: importing gradsheet makes glibc keep freed memory for the next step, so
repeated allocations stop page-faulting; the environment variable turns it off."""
import os
import platform
import subprocess
import sys

import pytest

import gradsheet as gs

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

# In a fresh process: import gradsheet, then four rounds of allocating eight 3 MB arrays and
# freeing them (a training step's pattern); print the page faults of the last three rounds.
_ROUNDS = """
import resource, numpy as np, gradsheet
faults = []
for _ in range(4):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    arrays = [np.ones(3 << 18, np.float32) for _ in range(8)]
    del arrays
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(gradsheet.memory.kept, sum(faults[1:]))
"""


def _rounds(**env):
    out = subprocess.run([sys.executable, "-c", _ROUNDS], capture_output=True, text=True,
                         check=True, env={**os.environ, **env})
    kept, faults = out.stdout.rsplit(maxsplit=1)
    return kept, int(faults)


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_import_keeps_freed_memory_and_repeated_steps_stop_faulting():
    assert gs.memory.kept is True
    kept, faults = _rounds()
    # 24 MB a round is 6,000 pages: kept memory is reused, so (next to) no fresh page is touched
    assert kept == "True" and faults < 200


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_the_environment_variable_leaves_malloc_alone_and_the_faults_come_back():
    kept, faults = _rounds(GRADSHEET_KEEP_FREED_MEMORY="0")
    assert kept == "disabled by GRADSHEET_KEEP_FREED_MEMORY"
    # every round touches its 24 MB afresh: 6,000 faults of 4 KB pages, or 12 of 2 MB huge
    # pages where transparent huge pages are always on
    assert faults > _rounds()[1] + 3 * 10


def test_without_glibc_nothing_is_changed_and_the_reason_is_given(monkeypatch):
    monkeypatch.setattr(platform, "libc_ver", lambda: ("", ""))
    saved = gs.memory.kept
    try:
        assert gs.memory.keep_freed_memory().startswith("not glibc")
    finally:
        gs.memory.kept = saved


@pytest.mark.skipif(not GLIBC, reason="the lookup of glibc's mallopt")
def test_a_python_without_mallopt_imports_anyway_and_says_why(monkeypatch):
    import ctypes

    class NoSymbols:
        def __init__(self, name):
            pass

        def __getattr__(self, name):
            raise AttributeError(f"undefined symbol: {name}")
    monkeypatch.setattr(ctypes, "CDLL", NoSymbols)
    saved = gs.memory.kept
    try:
        assert gs.memory.keep_freed_memory() == "mallopt not found (undefined symbol: mallopt)"
    finally:
        gs.memory.kept = saved
