"""train.fit under ``mpiexec -n 2`` (issue 12, item 4): only rank 0 writes; the averaged metrics
and the weights equal one process's on the same global batches; interrupted after epoch 2 and
resumed on 2 ranks, a run ends bit for bit as the uninterrupted 2-rank run; a NaN on one rank
stops both at the same step, naming the rank. The ranks run scripts/fit_worker.py."""
import pickle
import subprocess
import sys

import numpy as np

from .mpi import ROOT, SCRIPTS, launch

# One process (batch 64) and 2 ranks (batch 32 each, DistributedSampler without shuffling) see
# the same 64 samples per step: rank r's k-th batch is samples 64k + 2j + r. The sums differ
# only in association order (per-rank sums of 32 added, against one sum of 64), a rounding
# error of a few ulps in float64 (measured: <= 2.3e-16 on weights of magnitude ~1 after 12
# steps of SGD with momentum). 1e-12 leaves a margin of thousands of ulps while any real
# difference (a sample missed or counted twice, a wrong weighting of the ranks' means) moves
# these numbers by more than 1e-4.
RTOL = ATOL = 1e-12


def _run(tmp_path, case):
    status, output, _ = launch("fit_worker.py", tmp_path, case, timeout=180)
    assert status == 0, output
    return [pickle.loads((tmp_path / f"{case}-rank{r}.pkl").read_bytes()) for r in (0, 1)], output


def test_two_ranks_average_metrics_as_one_process_and_only_rank_0_writes(tmp_path):
    (rank0, rank1), output = _run(tmp_path, "metrics")
    single = subprocess.run([sys.executable, str(SCRIPTS / "fit_worker.py"), str(tmp_path),
                             "metrics", "--single"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert single.returncode == 0, single.stderr
    one = pickle.loads((tmp_path / "metrics-single-rank0.pkl").read_bytes())

    # every rank returns the same History, bit for bit (the same sums in the same order)
    assert rank0["history"] == rank1["history"]
    assert set(rank0["history"]) == set(one["history"]) == {
        "loss", "accuracy", "margin", "val_loss", "val_accuracy", "val_margin", "lr"}
    for name, values in one["history"].items():
        np.testing.assert_allclose(rank0["history"][name], values, rtol=RTOL, atol=ATOL,
                                   err_msg=name)
    assert rank0["history"]["accuracy"] == one["history"]["accuracy"]  # counts: exactly equal
    assert rank0["history"]["val_accuracy"] == one["history"]["val_accuracy"]
    for name, value in one["weights"].items():
        np.testing.assert_array_equal(rank0["weights"][name], rank1["weights"][name])
        np.testing.assert_allclose(rank0["weights"][name], value, rtol=RTOL, atol=ATOL,
                                   err_msg=name)

    # rank 0 alone printed the epoch lines and wrote checkpoints and ModelCheckpoint files
    assert [line.split(" - ")[0] for line in output.splitlines() if line.startswith("Epoch")] \
        == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"], output
    assert sorted(p.name for p in (tmp_path / "checkpoints" / "rank0").iterdir()) == [
        "epoch-0001.safetensors", "epoch-0002.safetensors", "epoch-0003.safetensors"]
    assert not (tmp_path / "checkpoints" / "rank1").exists()
    assert len(list((tmp_path / "best" / "rank0").iterdir())) == 3  # val_loss fell each epoch
    assert list((tmp_path / "best" / "rank1").iterdir()) == []  # its folder, made by the script

    # the checkpoint holds the plain model's weights (no "module." prefix) and each rank's state
    from gradsheet import io
    checkpoint = io.load_checkpoint(tmp_path / "checkpoints" / "rank0" / "epoch-0003.safetensors")
    assert sorted(checkpoint["model"]) == sorted(one["weights"])
    for name, value in checkpoint["model"].items():
        np.testing.assert_array_equal(value.array, rank0["weights"][name])
    saved = checkpoint["extra"]["distributed"]
    assert saved["world_size"] == 2 and len(saved["ranks"]) == 2


def test_resumed_on_two_ranks_ends_bit_for_bit_as_the_uninterrupted_run(tmp_path):
    (rank0, rank1), _ = _run(tmp_path, "resume")
    for rank, seen in enumerate((rank0, rank1)):
        whole, first, resumed = seen["whole"], seen["first"], seen["resumed"]
        assert len(whole["history"]["loss"]) == 4 and len(first["history"]["loss"]) == 2
        assert resumed["history"] == whole["history"], rank
        for name, value in whole["weights"].items():
            np.testing.assert_array_equal(resumed["weights"][name], value, err_msg=(rank, name))
            assert not np.array_equal(first["weights"][name], value)  # epochs 3-4 did train
        assert resumed["optimizer"] == whole["optimizer"], rank  # Adam's moments and steps
        assert resumed["rng"] == whole["rng"], rank  # each rank's dropout stream went on
        assert (resumed["wait"], resumed["best"]) == (whole["wait"], whole["best"])
    # the ranks' dropout streams differ (each rank's own state is what the checkpoint restored)
    assert rank0["whole"]["rng"] != rank1["whole"]["rng"]
    assert rank0["whole"]["history"] == rank1["whole"]["history"]
    # rank 1 was given a checkpoint path that does not exist: rank 0 read it and sent it
    for name in ("whole", "first", "resumed"):
        assert (tmp_path / name / "rank0").is_dir() and not (tmp_path / name / "rank1").exists()


def test_a_nan_loss_on_one_rank_stops_both_at_the_same_step_naming_it(tmp_path):
    (rank0, rank1), _ = _run(tmp_path, "nan")
    assert rank0["error"] == rank1["error"]
    assert rank0["error"].startswith("fit: the loss became nan on rank 1 at epoch 1/1, step 3/4")


def test_fit_outside_a_process_group_imports_no_mpi():
    code = ("import sys, gradsheet as gs\n"
            "from gradsheet import nn, optim, train\n"
            "x = gs.randn(8, 3); y = gs.randint(0, 2, (8,))\n"
            "m = nn.Linear(3, 2)\n"
            "train.fit(m, nn.CrossEntropyLoss(), optim.SGD(m.parameters(), lr=0.1), (x, y), "
            "verbose=0)\n"
            "print('mpi4py' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"

