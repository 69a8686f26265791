"""fit(on_divergence=...) and the NaN-in-validation warning."""
import math
import warnings

import pytest

import gradsheet as gs
import gradsheet.nn as nn
from gradsheet.train import evaluate, fit
from gradsheet.train import loop


def _data(n=64):
    gs.manual_seed(0)
    x = gs.randn(n, 3)
    return x, x.sum(1, keepdim=True)


def _run(lr, **kwargs):
    x, y = _data()
    gs.manual_seed(1)
    model = nn.Linear(3, 1)
    return fit(model, nn.MSELoss(), gs.optim.SGD(model.parameters(), lr=lr), (x, y), epochs=6,
               batch_size=32, shuffle=False, metrics=(), verbose=0, **kwargs)


def test_divergence_raises_naming_epoch_and_step():
    with pytest.raises(FloatingPointError,
                       match=r"fit: training diverged at epoch \d+/6, step \d/2: the loss .* "
                             r"over 10000 times its running minimum"):
        _run(3.0, on_divergence="raise")


def test_the_raise_is_at_the_first_step_beyond_the_factor():
    losses = []
    # the losses of the same run without the check: the first one over 1e4 x min is where it stops
    x, y = _data()
    gs.manual_seed(1)
    model = nn.Linear(3, 1)
    opt = gs.optim.SGD(model.parameters(), lr=3.0)
    for _ in range(6):
        for i in range(2):
            loss = nn.MSELoss()(model(x[32 * i:32 * i + 32]), y[32 * i:32 * i + 32])
            losses.append(loss.item())
            if not math.isfinite(losses[-1]):
                break
            opt.zero_grad()
            loss.backward()
            opt.step()
    smallest, expected = math.inf, None
    for k, value in enumerate(losses):
        if value > loop.DIVERGENCE_FACTOR * max(smallest, loop.DIVERGENCE_FLOOR):
            expected = k
            break
        smallest = min(smallest, value)
    assert expected is not None
    with pytest.raises(FloatingPointError) as info:
        _run(3.0, on_divergence="raise")
    assert f"epoch {expected // 2 + 1}/6, step {expected % 2 + 1}/2" in str(info.value)


def test_warn_goes_on_and_default_is_unchanged():
    with pytest.warns(RuntimeWarning, match="fit: training diverged at epoch"):
        try:
            _run(3.0, on_divergence="warn")
        except FloatingPointError as error:  # the loss later overflows: NaN/inf still raises
            assert "the loss became" in str(error)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = _run(0.05)  # converging: no warning, no check by default
    assert len(history.history["loss"]) == 6
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(_run(0.05, on_divergence="raise").history["loss"]) == 6


def test_on_divergence_is_checked():
    with pytest.raises(ValueError, match="fit: on_divergence must be one of"):
        _run(0.05, on_divergence="explode")


def test_nan_in_validation_warns_naming_metric_and_epoch():
    x, y = _data()
    xv = x.clone()
    xv[3, 1] = math.nan
    model = nn.Linear(3, 1)
    with pytest.warns(RuntimeWarning, match=r"fit: val_loss is nan at epoch") as caught:
        fit(model, nn.MSELoss(), gs.optim.SGD(model.parameters(), lr=0.01), (x, y),
            val_data=(xv, y), epochs=2, metrics=(), verbose=0)
    assert [str(w.message)[:33] for w in caught] == [f"fit: val_loss is nan at epoch {e}/2" for e in (1, 2)]
    with pytest.warns(RuntimeWarning, match=r"evaluate: loss is nan"):
        evaluate(model, nn.MSELoss(), (xv, y), metrics=())
