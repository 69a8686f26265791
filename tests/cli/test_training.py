"""gradsheet train / evaluate / predict end to end on small data, and their error handling."""
import json
import subprocess
import sys

import numpy as np
import pytest

from gradsheet import cli, models


@pytest.fixture
def blobs_npz(tmp_path):
    """Two well-separated Gaussian blobs in 4-D: any working classifier gets them right."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    X = rng.standard_normal((200, 4)) * 0.5 + y[:, None] * 3.0
    path = tmp_path / "blobs.npz"
    np.savez(path, X=X, y=y)
    return path, X, y


def test_train_writes_model_checkpoints_history_and_curve(tmp_path, blobs_npz, capsys):
    path, X, y = blobs_npz
    out = tmp_path / "run"
    assert cli.main(["train", "--data", str(path), "--epochs", "3", "--hidden", "16",
                     "--lr", "0.01", "--out", str(out), "--verbose", "0"]) == 0
    assert (out / "model.safetensors").exists()
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == [
        "epoch-0001.safetensors", "epoch-0002.safetensors", "epoch-0003.safetensors"]
    history = json.loads((out / "history.json").read_text())
    assert len(history["loss"]) == 3 and history["loss"][-1] < history["loss"][0]
    assert (out / "training_curve.png").read_bytes()[:4] == b"\x89PNG"

    model, spec, _ = models.load_model(out / "model.safetensors")
    assert spec[1]["kwargs"] == {"in_features": 4, "out_features": 16}

    capsys.readouterr()
    assert cli.main(["evaluate", "--model", str(out / "model.safetensors"),
                     "--data", str(path)]) == 0
    accuracy = float(capsys.readouterr().out.split("accuracy")[1].split(",")[0])
    assert accuracy > 0.95

    predictions = tmp_path / "pred.txt"
    assert cli.main(["predict", "--model", str(out / "model.safetensors"),
                     "--input", str(path), "--out", str(predictions)]) == 0
    predicted = np.loadtxt(predictions, dtype=int)
    assert predicted.shape == (200,) and np.mean(predicted == y) == pytest.approx(accuracy)


def test_csv_data_with_a_header(tmp_path, blobs_npz):
    _, X, y = blobs_npz
    csv = tmp_path / "blobs.csv"
    np.savetxt(csv, np.column_stack([X, y]), delimiter=",", header="a,b,c,d,label", comments="")
    assert cli.main(["train", "--data", str(csv), "--epochs", "1", "--out",
                     str(tmp_path / "run"), "--verbose", "0"]) == 0


@pytest.mark.parametrize("command", ["tour", "train", "evaluate", "predict", "rl"])
def test_help_of_every_command(command):
    done = subprocess.run([sys.executable, "-m", "gradsheet.cli", command, "--help"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "usage: gradsheet " + command in done.stdout


@pytest.mark.parametrize("argv, fragment", [
    (["train", "--epochs", "x"], "--epochs: invalid positive integer value: 'x'"),
    (["train", "--epochs", "0"], "--epochs"),
    (["train", "--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
    (["train", "--val-fraction", "1.5"], "--val-fraction"),
    (["train", "--data", "missing.csv", "--epochs", "1"], "missing.csv does not exist"),
    (["train", "--data", "data.txt", "--epochs", "1"], "expected a .csv or .npz file"),
    (["train", "--data", "idx:only-one", "--epochs", "1"], "idx:IMAGES,LABELS"),
    (["evaluate"], "the following arguments are required: --model"),
    (["evaluate", "--model", "nope.safetensors"], "nope.safetensors"),
    (["predict", "--model", "nope.safetensors", "--input", "x.csv"], "nope.safetensors"),
    (["tour", "--section", "nope"], "invalid choice: 'nope'"),
    (["fly"], "invalid choice: 'fly'"),
])
def test_bad_arguments_give_one_line_and_a_nonzero_exit(argv, fragment, tmp_path):
    (tmp_path / "data.txt").write_text("1,2\n")
    done = subprocess.run([sys.executable, "-m", "gradsheet.cli", *argv], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], done.stderr


def test_weights_without_an_architecture_are_refused_with_advice(tmp_path):
    import gradsheet as gs
    path = tmp_path / "weights.safetensors"
    gs.save({"w": gs.zeros(2)}, str(path))
    done = subprocess.run([sys.executable, "-m", "gradsheet.cli", "evaluate", "--model",
                           str(path)], capture_output=True, text=True)
    assert done.returncode == 1 and "no architecture" in done.stderr


def test_cnn_on_digits_trains_and_resumes_from_a_checkpoint(tmp_path):
    out = tmp_path / "run"
    common = ["train", "--model", "cnn", "--data", "digits", "--out", str(out), "--verbose", "0"]
    assert cli.main(common + ["--epochs", "1"]) == 0
    first = json.loads((out / "history.json").read_text())
    assert cli.main(common + ["--epochs", "2", "--resume",
                              str(out / "checkpoints" / "epoch-0001.safetensors")]) == 0
    resumed = json.loads((out / "history.json").read_text())
    assert len(resumed["loss"]) == 2 and resumed["loss"][0] == first["loss"][0]
    _, spec, _ = models.load_model(out / "model.safetensors")
    assert spec[0]["type"] == "Conv2d"
