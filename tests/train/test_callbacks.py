import os

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import nn, optim
from gradsheet.data import DataLoader
from gradsheet.data.datasets import make_xor
from gradsheet.io import load, load_metadata
from gradsheet.train import (Callback, EarlyStopping, LambdaCallback, LearningRateMonitor,
                             ModelCheckpoint, fit)
from gradsheet.train.callbacks import _Monitor, learning_rates


def _drive(callback, values, monitor="val_loss"):
    """Run ``callback`` over a scripted sequence of epoch values; the epochs it ran."""
    callback.on_train_begin()
    for epoch, value in enumerate(values):
        callback.on_epoch_end(epoch, {monitor: value, "loss": 0.0})
        if callback.stop_training:
            return epoch + 1
    return len(values)


@pytest.mark.parametrize("values, kwargs, epochs_run, best_epoch", [
    ([1.0, 0.8, 0.9, 0.85, 0.7], {"patience": 2}, 4, 1),
    ([1.0, 0.8, 0.9, 0.7, 0.75, 0.6], {"patience": 2}, 6, 5),
    ([1.0, 0.8, 0.9, 0.7], {"patience": 0}, 3, 1),
    ([1.0, 0.95, 0.91, 0.5], {"patience": 2, "min_delta": 0.1}, 3, 0),
    ([0.5, 0.6, 0.55, 0.58, 0.59], {"patience": 2}, 3, 0),
])
def test_early_stopping_on_scripted_losses(values, kwargs, epochs_run, best_epoch):
    stopper = EarlyStopping(**kwargs)
    assert _drive(stopper, values) == epochs_run
    assert stopper.best_epoch == best_epoch and stopper.best == values[best_epoch]
    assert stopper.stopped_epoch == (epochs_run - 1 if epochs_run < len(values) else None)


@pytest.mark.parametrize("monitor, mode, values, epochs_run", [
    ("val_accuracy", "auto", [0.5, 0.6, 0.55, 0.58], 3),  # auto -> max for accuracies
    ("val_loss", "max", [0.5, 0.6, 0.55, 0.58], 3),
    ("val_mae", "auto", [0.5, 0.6, 0.55, 0.58], 2),
])
def test_early_stopping_modes(monitor, mode, values, epochs_run):
    assert _drive(EarlyStopping(monitor, patience=1, mode=mode), values, monitor) == epochs_run


def test_nan_never_counts_as_an_improvement():
    monitor = _Monitor("test", "val_loss", "min")
    assert not monitor.improved(float("nan"), None) and not monitor.improved(float("nan"), 1.0)


def test_bad_arguments_and_missing_monitor():
    with pytest.raises(ValueError, match="mode.*'lowest'"):
        EarlyStopping(mode="lowest")
    with pytest.raises(ValueError, match="patience.*-1"):
        EarlyStopping(patience=-1)
    stopper = EarlyStopping()
    stopper.on_train_begin()
    with pytest.raises(ValueError, match=r"'val_loss'.*\['accuracy', 'loss'\].*val_data"):
        stopper.on_epoch_end(0, {"loss": 1.0, "accuracy": 0.5})
    # logs=None (the hook's default) names the monitor too, not a TypeError of `in None`
    with pytest.raises(ValueError, match=r"EarlyStopping: monitor 'val_loss'.*\[\]"):
        stopper.on_epoch_end(0)


def _scripted_metric(values):
    """A metric that reads the next scripted value in each validation pass (one batch)."""
    values = iter(values)

    def score(output, target):
        return next(values) if not gs.is_grad_enabled() else 0.0

    return score


def _setup(seed=0):
    gs.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    data = make_xor(n_samples=16, seed=seed)
    return model, optim.SGD(model.parameters(), lr=0.5), data


def _one_batch(data):
    return DataLoader(data, batch_size=len(data))


class _Snapshots(Callback):
    def on_train_begin(self, logs=None):
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append({k: v.array.copy() for k, v in self.model.state_dict().items()})


@pytest.mark.parametrize("restore", [False, True])
def test_early_stopping_in_fit_restores_the_best_weights(restore):
    model, opt, data = _setup()
    snapshots = _Snapshots()
    stopper = EarlyStopping("val_score", patience=2, restore_best_weights=restore)
    history = fit(model, nn.CrossEntropyLoss(), opt, data, val_data=_one_batch(data), epochs=10,
                  batch_size=4, metrics=(_scripted_metric([3, 2, 1, 1.5, 1.2, 0.1, 5]),),
                  callbacks=[snapshots, stopper], verbose=0)
    assert len(history) == 5 and history.val_score == [3, 2, 1, 1.5, 1.2]
    expected = snapshots.weights[2 if restore else 4]
    for name, tensor in model.state_dict().items():
        np.testing.assert_array_equal(tensor.array, expected[name])


def test_model_checkpoint_every_epoch(tmp_path):
    model, opt, data = _setup()
    snapshots = _Snapshots()
    path = tmp_path / "ckpt-{epoch:02d}-{loss:.2f}.safetensors"
    history = fit(model, nn.CrossEntropyLoss(), opt, data, epochs=3, batch_size=4,
                  callbacks=[snapshots, ModelCheckpoint(path)], verbose=0)
    names = sorted(os.listdir(tmp_path))
    assert names == [f"ckpt-{e + 1:02d}-{history.loss[e]:.2f}.safetensors" for e in range(3)]
    for epoch, name in enumerate(names):
        fresh, _, _ = _setup(seed=1)
        fresh.load_state_dict(load(tmp_path / name))
        for key, tensor in fresh.state_dict().items():
            np.testing.assert_array_equal(tensor.array, snapshots.weights[epoch][key])
        metadata = load_metadata(tmp_path / name)
        assert metadata["epoch"] == str(epoch + 1)
        assert float(metadata["loss"]) == history.loss[epoch]


def test_model_checkpoint_save_best_only(tmp_path):
    model, opt, data = _setup()
    snapshots = _Snapshots()
    path = tmp_path / "best.safetensors"
    saved_epochs = []

    class Watch(Callback):  # runs after the checkpoint: which epoch is in the file now?
        def on_epoch_end(self, epoch, logs=None):
            saved_epochs.append(load_metadata(path)["epoch"] if path.exists() else None)

    fit(model, nn.CrossEntropyLoss(), opt, data, val_data=_one_batch(data), epochs=5, batch_size=4,
        metrics=(_scripted_metric([0.5, 0.7, 0.6, 0.8, 0.1]),),
        callbacks=[snapshots, ModelCheckpoint(path, monitor="val_score", save_best_only=True,
                                              mode="max"), Watch()], verbose=0)
    assert saved_epochs == ["1", "2", "2", "4", "4"]
    for key, tensor in load(path).items():
        np.testing.assert_array_equal(tensor.array, snapshots.weights[3][key])


def test_model_checkpoint_needs_the_monitor_only_for_best(tmp_path):
    model, opt, data = _setup()
    with pytest.raises(ValueError, match="ModelCheckpoint.*'val_loss'.*val_data"):
        fit(model, nn.CrossEntropyLoss(), opt, data, epochs=1, verbose=0,
            callbacks=[ModelCheckpoint(tmp_path / "m.safetensors", save_best_only=True)])
    fit(model, nn.CrossEntropyLoss(), opt, data, epochs=1, verbose=0,
        callbacks=[ModelCheckpoint(tmp_path / "m.safetensors")])
    assert (tmp_path / "m.safetensors").exists()


# ------------------------------------------------------------ state_dict / load_state_dict

@pytest.mark.parametrize("split", [2, 5])
def test_early_stopping_state_continues_a_scripted_run(split):
    values = [1.0, 0.8, 0.9, 0.7, 0.75, 0.72, 0.74]
    whole = EarlyStopping(patience=2)
    epochs_run = _drive(whole, values)
    first = EarlyStopping(patience=2)
    _drive(first, values[:split])
    second = EarlyStopping(patience=2)
    second.on_train_begin()
    second.load_state_dict(first.state_dict())
    for epoch in range(split, len(values)):
        second.on_epoch_end(epoch, {"val_loss": values[epoch]})
        if second.stop_training:
            break
    assert (epoch + 1, second.state_dict()) == (epochs_run, whole.state_dict())
    assert second.state_dict() == {"best": 0.7, "best_epoch": 3, "wait": 2,
                                   "stopped_epoch": 5, "best_weights": None,
                                   "stop_training": True}


def test_model_checkpoint_state_is_its_best_value(tmp_path):
    checkpoint = ModelCheckpoint(tmp_path / "m.safetensors", save_best_only=True)
    assert checkpoint.state_dict() == {"best": None}
    checkpoint.on_train_begin()
    checkpoint.load_state_dict({"best": 0.5})
    checkpoint.on_epoch_end(3, {"val_loss": 0.6})  # no better than the restored best
    assert not (tmp_path / "m.safetensors").exists() and checkpoint.best == 0.5


def test_callback_state_keys_are_checked():
    Callback().load_state_dict({})
    assert Callback().state_dict() == {}
    with pytest.raises(ValueError, match=r"Callback.load_state_dict.*\[\], got \['best'\]"):
        Callback().load_state_dict({"best": 1.0})
    with pytest.raises(ValueError, match=r"EarlyStopping.load_state_dict: expected the keys "
                                         r"\['best', .*'wait'\], got \['best'\]"):
        EarlyStopping().load_state_dict({"best": 1.0})


# ------------------------------------------------------------ hooks, LambdaCallback, LR monitor

def test_fit_calls_every_hook_in_order_with_positional_logs():
    model, opt, data = _setup()
    calls = []
    recorder = LambdaCallback(
        on_train_begin=lambda logs: calls.append(("train_begin", logs)),
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch, logs)),
        on_batch_begin=lambda batch, logs: calls.append(("batch_begin", batch, logs)),
        on_batch_end=lambda batch, logs: calls.append(("batch_end", batch, sorted(logs))),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, sorted(logs))),
        on_train_end=lambda logs: calls.append(("train_end", sorted(logs))))
    fit(model, nn.CrossEntropyLoss(), opt, data, epochs=2, batch_size=8, callbacks=[recorder],
        verbose=0)  # 16 samples: 2 batches per epoch
    epoch_logs = ["accuracy", "loss", "lr"]
    per_epoch = [lambda e: ("epoch_begin", e, {}),
                 lambda e: ("batch_begin", 0, {}), lambda e: ("batch_end", 0, ["accuracy", "loss"]),
                 lambda e: ("batch_begin", 1, {}), lambda e: ("batch_end", 1, ["accuracy", "loss"]),
                 lambda e: ("epoch_end", e, epoch_logs)]
    assert calls == [("train_begin", {}), *[step(e) for e in range(2) for step in per_epoch],
                     ("train_end", epoch_logs)]
    assert recorder.params == {"epochs": 2, "steps": 2, "verbose": 0, "optimizer": opt}


def test_lambda_callback_keeps_the_other_hooks_and_checks_its_arguments():
    seen = []
    callback = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    callback.on_epoch_end(4, {})
    assert seen == [4] and callback.on_batch_begin(0, {}) is None  # the base's no-op
    with pytest.raises(TypeError, match="LambdaCallback: on_batch_end must be callable, got int"):
        LambdaCallback(on_batch_end=3)


def test_what_a_callback_adds_to_the_epoch_logs_is_recorded():
    model, opt, data = _setup()
    seen = []
    adder = LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update(double=2 * logs["loss"]))
    reader = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(logs["double"]))
    history = fit(model, nn.CrossEntropyLoss(), opt, data, epochs=2, batch_size=8,
                  callbacks=[adder, reader], verbose=0)
    assert history.double == [2 * loss for loss in history.loss] == seen


def test_learning_rate_monitor_logs_every_group_as_it_trained():
    model, _, data = _setup()
    first, last = list(model.parameters())[:2], list(model.parameters())[2:]
    opt = optim.SGD([{"params": first, "lr": 0.2}, {"params": last}], lr=0.1, momentum=0.9)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = fit(model, nn.CrossEntropyLoss(), opt, data, epochs=3, batch_size=8,
                  scheduler=scheduler, callbacks=[LearningRateMonitor(log_momentum=True)],
                  verbose=0)
    np.testing.assert_allclose(history["lr-SGD/pg1"], [0.2, 0.1, 0.05])  # before each step
    np.testing.assert_allclose(history["lr-SGD/pg2"], [0.1, 0.05, 0.025])
    assert history["lr-SGD/pg1"] == history.lr  # fit logs the first group's
    assert history["lr-SGD-momentum/pg1"] == [0.9] * 3


def test_learning_rate_names():
    model, _, _ = _setup()
    params = list(model.parameters())
    assert learning_rates(optim.Adam(params, lr=1e-3), momentum=True) == {
        "lr-Adam": 1e-3, "lr-Adam-momentum": 0.9}  # Adam's betas[0]
    named = optim.SGD([{"params": params[:2], "name": "body"}, {"params": params[2:]}], lr=0.1)
    assert learning_rates(named, momentum=True) == {
        "lr-SGD/body": 0.1, "lr-SGD-momentum/body": 0, "lr-SGD/pg2": 0.1,
        "lr-SGD-momentum/pg2": 0}
    with pytest.raises(ValueError, match="LearningRateMonitor: no optimizer"):
        LearningRateMonitor().on_epoch_begin(0, {})
