"""``gradsheet train --nproc N`` (issue 12, item 4): it runs the same training under
``mpiexec -n N``, printing the command; rank 0 alone prints and writes; a run resumed on 2
processes ends bit for bit as the uninterrupted one; --nproc 0, a missing mpiexec, --nproc
under mpiexec and a failing rank are one-line errors."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from gradsheet import io
from gradsheet.cli import main
from gradsheet.cli.training import find_mpiexec as cli_find_mpiexec
from gradsheet.cli.training import launched_world_size

from .mpi import ROOT, find_mpiexec

SMALL = ["--hidden", "32", "--batch-size", "64", "--lr", "0.01", "--seed", "3"]


def gradsheet(*args, cwd, timeout=180):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               GRADSHEET_DISTRIBUTED_TIMEOUT="60",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "GRADSHEET_DISTRIBUTED_DEBUG"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "gradsheet.cli", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=timeout)


def weights(path):
    return {name: t.array for name, t in io.load(path).items()}


def test_nproc_2_runs_under_mpiexec_only_rank_0_writes_and_a_resume_is_bit_for_bit(tmp_path):
    find_mpiexec()  # fails (not skips) without MPI
    result = gradsheet("train", "--nproc", "2", "--epochs", "2", "--out", "whole", *SMALL,
                       cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    mpiexec = cli_find_mpiexec()
    assert lines[0].startswith(f"gradsheet train: running {mpiexec} -n 2 {sys.executable} -m "
                               f"gradsheet.cli train "), lines[0]
    assert "--nproc" not in lines[0] and "--epochs 2" in lines[0] and "--hidden 32" in lines[0]
    assert lines[1] == "run directory: whole/mlp-digits/version_0"  # printed once: by rank 0
    assert lines[2] == "training on 2 processes: 64 samples per process per step (128 in all)"
    assert [line.split(" - ")[0] for line in lines if line.startswith("Epoch")] == \
        ["Epoch 1/2", "Epoch 2/2"]  # printed once: by rank 0
    assert sum(line.startswith("trained mlp for 2 epochs") for line in lines) == 1
    run = tmp_path / "whole" / "mlp-digits" / "version_0"  # one run folder, made by rank 0
    assert sorted(p.name for p in run.iterdir()) == ["args.json", "checkpoints", "history.json",
                                                     "model.safetensors", "training_curve.png"]
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        "epoch-0001.safetensors", "epoch-0002.safetensors"]
    history = json.loads((run / "history.json").read_text())
    assert len(history["loss"]) == 2 and history["val_accuracy"][-1] > 0.7

    # interrupted after epoch 1, resumed on 2 processes: the same model, bit for bit
    first = gradsheet("train", "--nproc", "2", "--epochs", "1", "--out", "first", *SMALL,
                      cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    resumed = gradsheet("train", "--nproc", "2", "--epochs", "2", "--out", "resumed",
                        "--resume", "first/mlp-digits/version_0/checkpoints/epoch-0001.safetensors",
                        *SMALL,
                        cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    expected = weights(run / "model.safetensors")
    got = weights(tmp_path / "resumed" / "mlp-digits" / "version_0" / "model.safetensors")
    assert sorted(got) == sorted(expected)
    for name, value in expected.items():
        np.testing.assert_array_equal(got[name], value, err_msg=name)
    assert json.loads((tmp_path / "resumed" / "mlp-digits" / "version_0" /
                       "history.json").read_text()) == history


@pytest.mark.parametrize("value", ["0", "-1"])
def test_nproc_must_be_positive(value, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", "--nproc", value])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"argument --nproc: must be a positive number of processes (mpiexec -n N), got " \
           f"{value}" in err


def test_missing_mpiexec_names_the_dist_extra(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "venv" / "bin" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without mpiexec
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    assert main(["train", "--nproc", "2", "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("gradsheet train: error: --nproc runs the training under mpiexec, "
                          "which was found neither next to ")
    assert 'pip install "gradsheet[dist]"' in err and err.count("\n") == 1
    assert not (tmp_path / "run").exists()


def test_nproc_under_mpiexec_is_an_error(monkeypatch, capsys):
    monkeypatch.setenv("PMI_SIZE", "2")
    assert main(["train", "--nproc", "2"]) == 1
    assert "already runs under mpiexec (2 processes): leave --nproc out" in capsys.readouterr().err


def test_launched_world_size_reads_the_launchers_variables():
    assert launched_world_size({}) is None
    assert launched_world_size({"PMI_SIZE": "4"}) == 4
    assert launched_world_size({"OMPI_COMM_WORLD_SIZE": "3"}) == 3
    assert launched_world_size({"PMI_SIZE": "x"}) is None


def test_a_failing_rank_ends_the_job_with_one_line_naming_it(tmp_path):
    result = gradsheet("train", "--nproc", "2", "--epochs", "1", "--out", "run",
                       "--resume", "missing.safetensors", *SMALL, cwd=tmp_path, timeout=60)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("gradsheet train:")]
    assert errors == ["gradsheet train: error: rank 0: load_checkpoint: no checkpoint file at "
                      "missing.safetensors"], result.stderr
    assert not (tmp_path / "run").exists()
