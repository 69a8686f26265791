"""Launching rank scripts under mpiexec for the tests (CI: 2 processes on its 2 cores).

MPI is a test dependency (the dev extra installs mpi4py and mpich, whose wheel puts mpiexec
next to the virtual environment's python): when it is missing the tests fail, not skip.
"""
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).resolve().parent / "scripts"
DIST_EXTRA = 'pip install "gradsheet[dist]" (the dev extra installs it too)'


def find_mpiexec(executable=None, path=None):
    """mpiexec next to the python running the tests (a venv's bin/, where the mpich wheel puts
    it), else on PATH; the test fails (pytest.fail) when there is none, or no mpi4py."""
    if importlib.util.find_spec("mpi4py") is None:
        pytest.fail(f"mpi4py is not installed: {DIST_EXTRA}")
    here = Path(executable or sys.executable).parent / "mpiexec"
    if here.exists() and os.access(here, os.X_OK):
        return str(here)
    found = shutil.which("mpiexec", path=path)
    if found is None:
        pytest.fail(f"mpiexec not found next to {executable or sys.executable} nor on PATH: {DIST_EXTRA}")
    return found


def launch(script, *args, n=2, timeout=120, env=None, mpiexec_options=()):
    """Run ``mpiexec -n n python scripts/<script> args``: (exit status, output, seconds)."""
    command = [find_mpiexec(), *mpiexec_options, "-n", str(n), sys.executable,
               str(SCRIPTS / script), *map(str, args)]
    environment = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                       MKL_NUM_THREADS="1", GRADSHEET_DISTRIBUTED_TIMEOUT="60",
                       PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    environment.pop("GRADSHEET_DISTRIBUTED_DEBUG", None)
    environment.update(env or {})
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=environment, cwd=ROOT, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"{' '.join(command)} still ran after {timeout} s:\n{output}")
    return process.returncode, output, time.monotonic() - start
