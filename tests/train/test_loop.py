import math

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import nn, optim
from gradsheet.data import DataLoader, TensorDataset
from gradsheet.data.datasets import make_spirals
from gradsheet.train import Callback, evaluate, fit, predict


def _mlp(hidden=16, seed=0):
    gs.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 3))


def _spirals(n=150, seed=0):
    return make_spirals(n_samples=n, noise=0.1, seed=seed)


def test_fit_lowers_the_loss_and_records_history():
    model = _mlp()
    train, val = _spirals(), _spirals(seed=1)
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), train,
                  val_data=val, epochs=6, batch_size=16, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert all(len(values) == 6 for values in history.history.values())
    assert history.epoch == list(range(6))
    assert history.loss[-1] < 0.8 * history.loss[0]
    assert history.val_loss[-1] < 0.8 * history.val_loss[0]
    assert history.accuracy[-1] > 0.5 and history.lr == [0.05] * 6


def test_epoch_logs_are_sample_means_over_uneven_batches():
    # lr = 0 freezes the model, so the epoch's mean training loss must equal evaluate's
    model = _mlp()
    data = _spirals(n=23)
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.0), data,
                  val_data=DataLoader(data, batch_size=5), epochs=1, batch_size=4,
                  verbose=0)
    expected = evaluate(model, nn.CrossEntropyLoss(), data, metrics=("accuracy",),
                        batch_size=23)
    assert history.loss[0] == pytest.approx(expected["loss"], rel=1e-5)
    assert history.val_loss[0] == pytest.approx(expected["loss"], rel=1e-5)
    assert history.accuracy[0] == pytest.approx(expected["accuracy"])
    X, y = data.tensors
    by_hand = np.mean(model(X).array.argmax(axis=1) == y.array)
    assert expected["accuracy"] == pytest.approx(by_hand)


def test_fit_accepts_loaders_and_pairs():
    model = _mlp()
    X, y = _spirals().tensors
    opt = optim.SGD(model.parameters(), lr=0.1)
    history = fit(model, nn.CrossEntropyLoss(), opt, (X, y), val_data=(X.array, y.array),
                  epochs=2, verbose=0)
    assert len(history) == 2
    history = fit(model, nn.CrossEntropyLoss(), opt, DataLoader(TensorDataset(X, y), 50),
                  epochs=1, metrics=(), verbose=0)
    assert set(history.history) == {"loss", "lr"}


def _nan_on_call(k, value):
    calls = []
    loss_fn = nn.CrossEntropyLoss()

    def scripted(output, target):
        calls.append(1)
        loss = loss_fn(output, target)
        return loss * value if len(calls) == k else loss

    return scripted


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_non_finite_loss_names_epoch_and_step(value):
    model = _mlp()
    data = _spirals(n=16)  # 4 batches of 4 per epoch: call 7 is epoch 2, step 3
    before = {}

    class Snapshot(Callback):
        def on_batch_end(self, batch, logs=None):
            before.update({k: v.array.copy() for k, v in model.state_dict().items()})

    with pytest.raises(FloatingPointError, match=r"(nan|inf).*epoch 2/3, step 3/4"):
        fit(model, _nan_on_call(7, value), optim.SGD(model.parameters(), lr=0.1), data,
            epochs=3, batch_size=4, shuffle=False, callbacks=[Snapshot()], verbose=0)
    for name, tensor in model.state_dict().items():  # the bad step updated nothing
        np.testing.assert_array_equal(tensor.array, before[name])


class _ModeProbe(nn.Module):
    """Records (training flag, grad recording) at each forward."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 3)
        self.seen = []

    def forward(self, x):
        self.seen.append((self.training, gs.is_grad_enabled()))
        return self.linear(x)


def test_train_mode_for_training_eval_and_no_grad_for_validation():
    model = _ModeProbe()
    data = _spirals(n=8)
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), data, val_data=data,
        epochs=2, batch_size=4, verbose=0)
    assert model.seen == [(True, True)] * 2 + [(False, False)] * 2 + \
        [(True, True)] * 2 + [(False, False)] * 2
    model.seen.clear()
    model.train()
    evaluate(model, nn.CrossEntropyLoss(), data)
    predict(model, data.tensors[0])
    assert model.seen == [(False, False)] * 2 and model.training  # mode restored
    model.eval()
    predict(model, data)
    assert not model.training


def test_scheduler_steps_once_per_epoch():
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = fit(model, nn.CrossEntropyLoss(), opt, _spirals(n=30), epochs=3, batch_size=8,
                  scheduler=scheduler, verbose=0)
    assert history.lr == pytest.approx([0.1, 0.05, 0.025])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0125)


def test_reduce_lr_on_plateau_gets_the_validation_loss():
    lr_scheduler = optim.lr_scheduler
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.0)  # a frozen model never improves
    scheduler = lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    fit(model, nn.CrossEntropyLoss(), opt, _spirals(n=20), val_data=_spirals(n=20), epochs=3,
        scheduler=scheduler, verbose=0)
    assert scheduler.best == pytest.approx(evaluate(model, nn.CrossEntropyLoss(),
                                                    _spirals(n=20))["loss"])


def test_callback_hooks_run_in_order():
    events = []

    class Recorder(Callback):
        def on_train_begin(self, logs=None):
            events.append(("train_begin", self.model is model))

        def on_epoch_begin(self, epoch, logs=None):
            events.append(("epoch_begin", epoch))

        def on_batch_end(self, batch, logs=None):
            events.append(("batch_end", batch, sorted(logs)))

        def on_epoch_end(self, epoch, logs=None):
            events.append(("epoch_end", epoch, sorted(logs)))

        def on_train_end(self, logs=None):
            events.append(("train_end", sorted(logs)))

    model = _mlp()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), _spirals(n=6),
        epochs=2, batch_size=4, callbacks=[Recorder()], verbose=0)
    batch_keys, epoch_keys = ["accuracy", "loss"], ["accuracy", "loss", "lr"]
    per_epoch = [("batch_end", 0, batch_keys), ("batch_end", 1, batch_keys)]
    assert events == [("train_begin", True),
                      ("epoch_begin", 0), *per_epoch, ("epoch_end", 0, epoch_keys),
                      ("epoch_begin", 1), *per_epoch, ("epoch_end", 1, epoch_keys),
                      ("train_end", epoch_keys)]


def test_binary_accuracy_threshold_follows_the_loss():
    class Constant(nn.Module):
        def forward(self, x):
            return gs.full((len(x), 1), 0.3)

    X, y = gs.zeros(4, 2), gs.zeros(4, 1)
    # probabilities (BCELoss): 0.3 < 0.5 predicts 0; logits: 0.3 > 0 predicts 1
    assert evaluate(Constant(), nn.BCELoss(), (X, y))["accuracy"] == 1.0
    assert evaluate(Constant(), nn.BCEWithLogitsLoss(), (X, y))["accuracy"] == 0.0
    assert evaluate(Constant(), nn.functional.binary_cross_entropy, (X, y))["accuracy"] == 1.0


def test_predict_shapes_and_values():
    model = _mlp()
    X = gs.randn(23, 2)
    out = predict(model, X, batch_size=5)
    assert out.shape == (23, 3) and not out.requires_grad
    np.testing.assert_allclose(out.array, model(X).array, rtol=1e-6)
    assert predict(model, TensorDataset(X, gs.zeros(23)), batch_size=7).shape == (23, 3)
    assert predict(model, DataLoader(TensorDataset(X), batch_size=4)).shape == (23, 3)
    result = evaluate(model, nn.CrossEntropyLoss(), _spirals(n=9))
    assert set(result) == {"loss", "accuracy"} and 0 <= result["accuracy"] <= 1


def test_regression_metrics_in_evaluate():
    gs.manual_seed(0)
    model = nn.Linear(2, 1)
    X, y = gs.randn(13, 2), gs.randn(13, 1)
    result = evaluate(model, nn.MSELoss(), (X, y), metrics=("mse", "mae"), batch_size=4)
    assert result["mse"] == pytest.approx(result["loss"], rel=1e-5)
    assert result["mae"] == pytest.approx(np.mean(np.abs(model(X).array - y.array)), rel=1e-5)


def test_bad_data_and_batches_are_rejected():
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="train_data.*int"):
        fit(model, nn.CrossEntropyLoss(), opt, 5, verbose=0)
    triples = TensorDataset(gs.zeros(4, 2), gs.zeros(4), gs.zeros(4))
    with pytest.raises(TypeError, match="pair, got a list of 3"):
        fit(model, nn.CrossEntropyLoss(), opt, triples, verbose=0)
    with pytest.raises(ValueError, match="no batches.*3 samples.*batch_size=4"):
        fit(model, nn.CrossEntropyLoss(), opt,
            DataLoader(_spirals(n=3), batch_size=4, drop_last=True), verbose=0)
    with pytest.raises(ValueError, match="predict.*empty"):
        predict(model, gs.zeros(0, 2))
