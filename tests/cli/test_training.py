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
    assert cli.main(["train", "--data", str(path), "--epochs", "3", "--hidden", "16",
                     "--lr", "0.01", "--out", str(tmp_path), "--verbose", "0"]) == 0
    out = tmp_path / "mlp-blobs" / "version_0"
    assert capsys.readouterr().out.startswith(f"run directory: {out}\n")
    assert json.loads((out / "args.json").read_text())["lr"] == 0.01
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
                     "--data", str(path), "--all-rows"]) == 0
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
                     str(tmp_path), "--verbose", "0"]) == 0
    _, _, metadata = models.load_model(tmp_path / "mlp-blobs" / "version_0" / "model.safetensors")
    assert json.loads(metadata["csv_layout"]) == {"header": ["a", "b", "c", "d", "label"],
                                                  "width": 5, "label_index": 4}


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
    common = ["train", "--model", "cnn", "--data", "digits", "--out", str(tmp_path),
              "--verbose", "0"]
    assert cli.main(common + ["--epochs", "1"]) == 0
    first_run = tmp_path / "cnn-digits" / "version_0"
    first = json.loads((first_run / "history.json").read_text())
    # from a checkpoint file: a new run folder, the first one left as it was
    assert cli.main(common + ["--epochs", "2", "--resume",
                              str(first_run / "checkpoints" / "epoch-0001.safetensors")]) == 0
    second_run = tmp_path / "cnn-digits" / "version_1"
    resumed = json.loads((second_run / "history.json").read_text())
    assert len(resumed["loss"]) == 2 and resumed["loss"][0] == first["loss"][0]
    assert len(json.loads((first_run / "history.json").read_text())["loss"]) == 1
    _, spec, _ = models.load_model(second_run / "model.safetensors")
    assert spec[0]["type"] == "Conv2d"


def test_resume_a_run_directory_takes_its_last_checkpoint_and_its_arguments(tmp_path,
                                                                              blobs_npz):
    path, _, _ = blobs_npz
    assert cli.main(["train", "--data", str(path), "--epochs", "2", "--hidden", "8",
                     "--lr", "0.02", "--optimizer", "sgd", "--out", str(tmp_path),
                     "--verbose", "0"]) == 0
    run = tmp_path / "mlp-blobs" / "version_0"
    before = json.loads((run / "history.json").read_text())
    # only --epochs given: data, hidden sizes, lr and optimizer come from the run's args.json
    assert cli.main(["train", "--resume", str(run), "--epochs", "4", "--verbose", "0"]) == 0
    after = json.loads((run / "history.json").read_text())
    assert len(after["loss"]) == 4 and after["loss"][:2] == before["loss"][:2]
    assert sorted(p.name for p in (run / "checkpoints").iterdir())[-1] == "epoch-0004.safetensors"
    saved = json.loads((run / "args.json").read_text())
    assert (saved["epochs"], saved["lr"], saved["optimizer"], saved["hidden"]) == (4, 0.02, "sgd", "8")
    assert not (tmp_path / "mlp-blobs" / "version_1").exists()


def test_runs_never_mix_each_gets_the_next_version(tmp_path, blobs_npz):
    path, _, _ = blobs_npz
    for _ in range(2):
        assert cli.main(["train", "--data", str(path), "--epochs", "1", "--out", str(tmp_path),
                         "--name", "blobs", "--verbose", "0"]) == 0
    assert sorted(p.name for p in (tmp_path / "blobs").iterdir()) == ["version_0", "version_1"]


def test_string_labels_standardize_and_predict_round_trip(tmp_path, capsys):
    rng = np.random.default_rng(1)
    names = np.array(["cat", "dog", "emu"])
    y = rng.integers(0, 3, 300)
    X = rng.standard_normal((300, 3)) + y[:, None] * 2.5
    X = X * [1000.0, 0.001, 1.0] + [5e4, 0.0, -3.0]  # wildly different feature scales
    csv = tmp_path / "animals.csv"
    rows = ["label,weight,size,age"] + [f"{names[c]},{a:.6g},{b:.6g},{d:.6g}"
                                        for c, (a, b, d) in zip(y, X)]
    csv.write_text("\n".join(rows) + "\n")
    assert cli.main(["train", "--data", str(csv), "--label-column", "label", "--standardize",
                     "--epochs", "8", "--hidden", "16", "--lr", "0.01", "--out", str(tmp_path),
                     "--verbose", "0"]) == 0
    model_file = tmp_path / "mlp-animals" / "version_0" / "model.safetensors"
    _, _, metadata = models.load_model(model_file)
    assert json.loads(metadata["classes"]) == ["cat", "dog", "emu"]
    scaling = json.loads(metadata["standardize"])
    held_out = np.asarray(json.loads(metadata["split"])["rows"])
    assert held_out == 300 and len(scaling["mean"]) == 3
    assert scaling["mean"][0] == pytest.approx(X[:, 0].mean(), rel=0.05)
    capsys.readouterr()
    # predict on the training CSV itself: its header names the label column, left out
    assert cli.main(["predict", "--model", str(model_file), "--input", str(csv)]) == 0
    predicted = capsys.readouterr().out.split()
    assert set(predicted) <= set(names) and np.mean(np.array(predicted) == names[y]) > 0.9
    # --proba: a CSV of probabilities, the classes as header, rows summing to 1
    out = tmp_path / "proba.csv"
    assert cli.main(["predict", "--model", str(model_file), "--input", str(csv), "--proba",
                     "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "cat,dog,emu"
    probabilities = np.loadtxt(lines[1:], delimiter=",")
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(names[probabilities.argmax(axis=1)], predicted)
    # evaluate: the held-out split by default (its accuracy is the last val_accuracy)
    history = json.loads((model_file.parent / "history.json").read_text())
    capsys.readouterr()
    assert cli.main(["evaluate", "--model", str(model_file)]) == 0
    printed = capsys.readouterr().out
    assert "the 60 held-out validation rows" in printed
    accuracy = float(printed.split("accuracy")[1].split(",")[0])
    assert accuracy == pytest.approx(history["val_accuracy"][-1], abs=1e-4)


def test_label_column_by_index_and_header_detection(tmp_path):
    csv = tmp_path / "first.csv"  # no header; the label first; string labels
    csv.write_text("".join(f"{'ab'[i % 2]},{i % 2 + 0.1 * i},{i}\n" for i in range(40)))
    assert cli.main(["train", "--data", str(csv), "--label-column", "0", "--epochs", "1",
                     "--out", str(tmp_path), "--verbose", "0"]) == 0
    _, _, metadata = models.load_model(tmp_path / "mlp-first" / "version_0" / "model.safetensors")
    assert json.loads(metadata["classes"]) == ["a", "b"]
    assert json.loads(metadata["csv_layout"])["header"] is None


@pytest.mark.parametrize("argv, fragment", [
    (["train", "--model", "cnn2"], "--model cnn2: not a model name (choose from mlp, cnn)"),
    (["train", "--data", "d.csv", "--label-column", "kind"], "d.csv has no column named 'kind'; "
                                                              "its columns are ['x', 'y']"),
    (["train", "--data", "d.csv", "--label-column", "5"], "--label-column 5: d.csv has 2 columns"),
    (["train", "--resume", "."], "a run directory holds args.json"),
    (["train", "--threads", "0"], "--threads: invalid positive integer value: '0'"),
])
def test_option_errors_are_one_line_and_true(argv, fragment, tmp_path):
    (tmp_path / "d.csv").write_text("x,y\n1,0\n2,1\n3,0\n")
    done = subprocess.run([sys.executable, "-m", "gradsheet.cli", *argv], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], done.stderr


def test_version_and_every_option_has_help_and_shows_its_default():
    import argparse

    from gradsheet import __version__
    done = subprocess.run([sys.executable, "-m", "gradsheet.cli", "--version"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == f"gradsheet {__version__}"
    parser = cli.build_parser()
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)][0]
    commands = dict(subparsers.choices)
    rl_sub = [a for a in commands["rl"]._actions if isinstance(a, argparse._SubParsersAction)]
    commands["rl evaluate"] = rl_sub[0].choices["evaluate"]
    for name, command in commands.items():
        text = command.format_help()
        for action in command._actions:
            if not action.option_strings or action.dest in ("help", "version"):
                continue
            assert action.help, (name, action.dest)
            if action.default not in (None, False):
                assert f"(default: {action.default})" in " ".join(text.split()), (name, action.dest)
    for name in ("tour", "train", "evaluate", "predict", "rl", "rl evaluate"):
        assert "--threads" in commands[name].format_help(), name


def test_threads_sets_blas_threads_before_the_work(monkeypatch, tmp_path, blobs_npz):
    import gradsheet.threads
    calls = []
    monkeypatch.setattr(gradsheet.threads, "set_num_threads", calls.append)
    path, _, _ = blobs_npz
    assert cli.main(["train", "--data", str(path), "--epochs", "1", "--out", str(tmp_path),
                     "--threads", "3", "--verbose", "0"]) == 0
    assert calls == [3]


def test_verbose_auto_is_the_default_and_prints_one_line_per_epoch_when_piped(tmp_path):
    done = subprocess.run([sys.executable, "-m", "gradsheet.cli", "train", "--model", "mlp",
                           "--data", "digits", "--epochs", "2", "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    epoch_lines = [line for line in done.stdout.splitlines() if line.startswith("Epoch ")]
    assert [line.split(" - ")[0] for line in epoch_lines] == ["Epoch 1/2", "Epoch 2/2"]
    assert all("val_loss" in line for line in epoch_lines)
    assert "\r" not in done.stdout + done.stderr  # no progress bar through a pipe
    assert json.loads(next(tmp_path.rglob("args.json")).read_text())["verbose"] == "auto"


def test_verbose_accepts_only_auto_and_0_to_2(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--verbose", "3"])
    assert "invalid choice: 3" in capsys.readouterr().err
