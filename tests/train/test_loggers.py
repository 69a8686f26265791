"""CSVLogger (Keras' semantics) and TensorBoard (event files read back with TensorBoard's own
EventAccumulator) (issue 16, item 3)."""
import csv

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import gradsheet as gs
from gradsheet import nn, optim
from gradsheet.data.datasets import make_spirals
from gradsheet.train import CSVLogger, LearningRateMonitor, TensorBoard, fit, loggers


def _fit(callbacks, epochs=3, val=True, lr=0.1):
    gs.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3))
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=lr),
                  make_spirals(n_samples=16, seed=0),
                  val_data=make_spirals(n_samples=8, seed=1) if val else None,
                  epochs=epochs, batch_size=4, callbacks=callbacks, verbose=0)
    return model, history


def _rows(path, delimiter=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=delimiter))


def test_csv_logger_writes_a_row_per_epoch_with_sorted_columns(tmp_path):
    path = tmp_path / "log.csv"
    _, history = _fit([CSVLogger(path)])
    rows = _rows(path)
    assert rows[0] == ["epoch", *sorted(history.history)]
    assert [row[0] for row in rows[1:]] == ["0", "1", "2"]  # epochs from 0, as Keras
    for i, row in enumerate(rows[1:]):
        for name, cell in zip(rows[0][1:], row[1:]):
            assert float(cell) == history.history[name][i]  # full precision, not rounded


def test_csv_logger_append_separator_and_missing_values(tmp_path):
    path = tmp_path / "log.tsv"
    _fit([CSVLogger(path, separator="\t")], epochs=2)
    _fit([CSVLogger(path, separator="\t", append=True)], epochs=1)
    rows = _rows(path, "\t")
    assert len(rows) == 4 and rows.count(rows[0]) == 1  # one header: appended rows only
    assert [row[0] for row in rows[1:]] == ["0", "1", "0"]
    _fit([CSVLogger(path, separator="\t")], epochs=1)  # append=False overwrites
    assert len(_rows(path, "\t")) == 2
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    _fit([CSVLogger(empty, append=True)], epochs=1)  # appending to an empty file: a header
    assert _rows(empty)[0][0] == "epoch"

    logger = CSVLogger(tmp_path / "na.csv")
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 1.0, "val_loss": 2.0, "sizes": [1, 2]})
    logger.on_epoch_end(1, {"loss": 0.5, "new": 3.0})  # val_loss missing, new not a column
    logger.on_train_end()
    assert _rows(tmp_path / "na.csv") == [["epoch", "loss", "sizes", "val_loss"],
                                          ["0", "1.0", "[1, 2]", "2.0"],
                                          ["1", "0.5", "NA", "NA"]]


def _accumulator(path):
    accumulator = EventAccumulator(str(path), size_guidance={"scalars": 0, "histograms": 0,
                                                             "tensors": 0})
    return accumulator.Reload()


def test_tensorboard_event_files_hold_scalars_histograms_and_the_layer_list(tmp_path):
    model, history = _fit([LearningRateMonitor(), TensorBoard(tmp_path / "logs")])
    train = _accumulator(tmp_path / "logs" / "train")
    validation = _accumulator(tmp_path / "logs" / "validation")
    for name in ("loss", "accuracy", "lr", "lr-SGD"):
        events = train.Scalars(f"epoch_{name}")
        assert [e.step for e in events] == [0, 1, 2]
        np.testing.assert_allclose([e.value for e in events], history.history[name],
                                   rtol=1e-6)  # float32 in the file
    for name in ("loss", "accuracy"):
        np.testing.assert_allclose([e.value for e in validation.Scalars(f"epoch_{name}")],
                                   history.history[f"val_{name}"], rtol=1e-6)
    assert validation.Tags()["histograms"] == []

    names = [name for name, _ in model.named_parameters()]
    assert sorted(train.Tags()["histograms"]) == sorted(names)
    last = train.Histograms("0.weight")[-1]
    weights = dict(model.named_parameters())["0.weight"].array
    assert last.step == 2 and last.histogram_value.num == weights.size
    assert last.histogram_value.min == pytest.approx(weights.min())
    assert last.histogram_value.max == pytest.approx(weights.max())
    assert sum(last.histogram_value.bucket) == weights.size

    (text,) = train.Tensors("model")
    layers = text.tensor_proto.string_val[0].decode()
    assert text.step == 0 and "Linear(in_features=2, out_features=8" in layers
    assert all(line.startswith("    ") for line in layers.splitlines())  # a Markdown code block
    assert layers.strip() == "\n".join("    " + line for line in repr(model).splitlines()).strip()


def test_tensorboard_batch_scalars_and_options(tmp_path):
    _fit([TensorBoard(tmp_path, histogram_freq=2, write_graph=False, update_freq=3)], val=False)
    train = _accumulator(tmp_path / "train")
    assert not (tmp_path / "validation").exists()  # no validation data, no validation run
    assert [e.step for e in train.Scalars("batch_loss")] == [3, 6, 9, 12]  # 4 batches x 3
    assert [e.step for e in train.Histograms("0.weight")] == [0, 2]
    assert train.Tags()["tensors"] == []
    for kwargs, match in [({"histogram_freq": -1}, "histogram_freq.*-1"),
                          ({"update_freq": "batch"}, "update_freq.*'batch'"),
                          ({"update_freq": 0}, "update_freq.*0")]:
        with pytest.raises(ValueError, match=f"TensorBoard: {match}"):
            TensorBoard(tmp_path, **kwargs)


def test_histogram_of_non_finite_and_constant_values():
    value = loggers.histogram_value("w", np.array([1.0, np.nan, np.inf, 3.0]), bins=2)
    assert value.histo.num == 2 and list(value.histo.bucket) == [1.0, 1.0]
    assert list(value.histo.bucket_limit) == [2.0, 3.0]
    assert value.histo.sum == 4.0 and value.histo.sum_squares == 10.0
    assert loggers.histogram_value("w", np.array([np.nan])) is None
    assert loggers.histogram_value("zeros", np.zeros(5)).histo.num == 5


def test_tensorboard_without_the_package_names_the_extra(monkeypatch, tmp_path):
    import builtins
    real = builtins.__import__

    def refuse(name, *args, **kwargs):
        if name.startswith("tensorboard"):
            raise ImportError(f"No module named {name!r}")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse)
    with pytest.raises(ImportError, match=r"pip install gradsheet\[tensorboard\]"):
        TensorBoard(tmp_path).on_train_begin()


def test_tensorboard_batch_scalars_outside_fit_name_the_missing_params(tmp_path):
    """update_freq counts batches over epochs, which needs fit's steps per epoch: without
    set_params, a ValueError naming TensorBoard (was a TypeError of indexing None)."""
    board = TensorBoard(str(tmp_path), update_freq=1)
    with pytest.raises(ValueError, match=r"TensorBoard: no epochs and steps in params"):
        board.on_batch_end(0, {"loss": 1.0})
