"""examples/ddp_mlp.py runs as a user runs it, ``mpiexec -n 2 python examples/ddp_mlp.py``
(issue 12, item 4): it learns, and only rank 0 prints. A missing mpiexec or mpi4py fails the
test (tests/distributed/mpi.py), as every test here."""
import os
import re
import signal
import subprocess
import sys

import pytest

from .mpi import ROOT, find_mpiexec

EXAMPLE = ROOT / "examples" / "ddp_mlp.py"


def _run(*command, timeout=240):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               GRADSHEET_DISTRIBUTED_TIMEOUT="60",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env.pop("GRADSHEET_DISTRIBUTED_DEBUG", None)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env, cwd=ROOT, start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"{' '.join(map(str, command))} still ran after {timeout} s:\n{out}\n{err}")
    assert process.returncode == 0, f"{' '.join(map(str, command))} failed:\n{out}\n{err}"
    return out


def _final_accuracy(out):
    finals = re.findall(r"^final test accuracy ([\d.]+)%$", out, flags=re.M)
    assert len(finals) == 1, f"expected one final line (rank 0's), got:\n{out}"
    return float(finals[0])


def test_ddp_mlp_example_learns_on_two_ranks_and_only_rank_0_prints():
    out = _run(find_mpiexec(), "-n", "2", sys.executable, str(EXAMPLE), "--epochs", "3")
    lines = out.strip().splitlines()
    assert lines[0].startswith("2 rank(s)"), out
    assert "719 per rank per epoch, batch 32 per rank" in lines[0], out  # 1438 samples / 2
    epochs = [line for line in lines if line.startswith("epoch ")]
    assert [line.split(":")[0] for line in epochs] == ["epoch 1", "epoch 2", "epoch 3"], out
    losses = [float(line.split("train loss ")[1].split(",")[0]) for line in epochs]
    assert losses[-1] < 0.5 * losses[0], out
    assert _final_accuracy(out) > 80, out


def test_ddp_mlp_example_runs_as_a_single_process():
    find_mpiexec()  # mpi4py is needed here too (init_process_group starts a world of one)
    out = _run(sys.executable, str(EXAMPLE), "--epochs", "2")
    assert out.startswith("1 rank(s)") and "1438 per rank per epoch, batch 64" in out, out
    assert _final_accuracy(out) > 80, out
