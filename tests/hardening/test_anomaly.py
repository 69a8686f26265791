"""detect_anomaly / set_detect_anomaly: the first op making NaN/inf raises, naming the op, its
input shapes and the user's line; against torch's mode switches and its backward check."""
import math
import warnings

import numpy as np
import pytest
import torch

import gradsheet as gs
import gradsheet.nn as nn
import gradsheet.nn.functional as F
from gradsheet.autograd import anomaly

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")

HERE = __file__


def _line_of(text):
    with open(HERE) as f:
        for number, line in enumerate(f, 1):
            if text in line:
                return number
    raise AssertionError(text)


def test_off_by_default_and_switches_like_torch():
    assert gs.autograd.is_anomaly_enabled() is torch.is_anomaly_enabled() is False
    with gs.autograd.detect_anomaly(), torch.autograd.detect_anomaly():
        assert gs.autograd.is_anomaly_enabled() is torch.is_anomaly_enabled() is True
        assert gs.autograd.is_anomaly_check_nan_enabled() is torch.is_anomaly_check_nan_enabled()
        with gs.autograd.set_detect_anomaly(False), torch.autograd.set_detect_anomaly(False):
            assert gs.autograd.is_anomaly_enabled() is torch.is_anomaly_enabled() is False
        assert gs.autograd.is_anomaly_enabled() is torch.is_anomaly_enabled() is True
    with gs.autograd.detect_anomaly(check_nan=False), torch.autograd.detect_anomaly(check_nan=False):
        assert gs.autograd.is_anomaly_check_nan_enabled() is torch.is_anomaly_check_nan_enabled()
    assert gs.autograd.is_anomaly_enabled() is torch.is_anomaly_enabled() is False
    # set_detect_anomaly as a plain call stays on
    gs.autograd.set_detect_anomaly(True)
    try:
        assert gs.autograd.is_anomaly_enabled()
    finally:
        gs.autograd.set_detect_anomaly(False)
    assert not gs.autograd.is_anomaly_enabled()


def test_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with gs.autograd.detect_anomaly():
            1 / 0
    assert not gs.autograd.is_anomaly_enabled()


def test_detect_anomaly_warns_as_torch():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gs.autograd.detect_anomaly()
        torch.autograd.detect_anomaly()
    assert [w.category for w in caught] == [UserWarning, UserWarning]


def test_backward_nan_names_op_shapes_and_line():
    x = gs.tensor([[0.0, 1.0, 4.0]], dtype=gs.float64, requires_grad=True)
    with gs.autograd.detect_anomaly():
        y = x.sqrt()  # MARK-sqrt
        loss = (y * gs.tensor([[0.0, 1.0, 1.0]], dtype=gs.float64)).sum()
        with pytest.raises(RuntimeError) as info:
            loss.backward()
    message = str(info.value)
    assert "'Sqrt'" in message and "backward" in message and "nan" in message
    assert "(1, 3)" in message
    assert f"{HERE}:{_line_of('MARK-sqrt')}" in message
    # torch raises at the same op (0 / (2 sqrt 0) is NaN)
    tx = torch.tensor([[0.0, 1.0, 4.0]], dtype=torch.float64, requires_grad=True)
    with torch.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="SqrtBackward0"):
            (tx.sqrt() * torch.tensor([[0.0, 1.0, 1.0]], dtype=torch.float64)).sum().backward()


def test_backward_inf_also_raises():
    # torch checks NaN only; gradsheet also stops at an infinite gradient
    x = gs.tensor([0.0, 1.0], dtype=gs.float64, requires_grad=True)
    with gs.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="'Sqrt' returned inf values in backward"):
            x.sqrt().sum().backward()


def test_backward_nan_from_a_finite_forward():
    # 0 * log(0)-free forward, NaN gradient: x / x at x = 0 is 0/0 forward (NaN) -> use pow
    x = gs.tensor([0.0, 2.0], dtype=gs.float64, requires_grad=True)
    with gs.autograd.detect_anomaly():
        y = (x ** 0.5) * 0.0  # MARK-pow (forward finite: 0 and 0)
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
    assert "'Pow" in str(info.value) or "Pow" in str(info.value)
    assert f":{_line_of('MARK-pow')}" in str(info.value)


def test_forward_inf_from_finite_inputs_raises():
    x = gs.tensor([0.0, 1.0], requires_grad=True)
    with gs.autograd.detect_anomaly():
        with pytest.raises(RuntimeError) as info:
            gs.log(x)  # MARK-log
    message = str(info.value)
    assert "'Log'" in message and "forward" in message and "(2,)" in message
    assert f"{HERE}:{_line_of('MARK-log')}" in message
    # without requires_grad too, and through nn.functional
    with gs.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="'Exp' returned inf values in its forward"):
            F.relu(gs.tensor([1000.0])).exp()


def test_nan_coming_in_is_not_blamed_on_the_next_op():
    x = gs.tensor([math.nan, 1.0])
    with gs.autograd.detect_anomaly():
        y = (x * 2).exp()  # NaN in, NaN out: the data made it
        m = gs.zeros(3).masked_fill(gs.tensor([True, False, False]), -math.inf)  # asked for
    assert math.isnan(y.array[0]) and m.array[0] == -math.inf


def test_check_nan_false_records_only():
    x = gs.tensor([0.0, 1.0], requires_grad=True)
    with gs.autograd.detect_anomaly(check_nan=False):
        y = gs.log(x)
        y.sum().backward()
    assert math.isinf(y.array[0]) and math.isinf(x.grad.array[0])


def test_decorator_and_no_record_outside():
    x = gs.tensor([0.0], requires_grad=True)

    @gs.autograd.detect_anomaly()
    def step():
        return x.sqrt().sum().backward()

    with pytest.raises(RuntimeError, match="Sqrt"):
        step()
    assert not gs.autograd.is_anomaly_enabled()
    y = x.sqrt()
    assert anomaly.RECORD not in y._ctx.__dict__
    y.sum().backward()  # no check outside: inf gradient accepted
    assert math.isinf(x.grad.array[0])


def test_a_model_step_is_unchanged_in_anomaly_mode():
    gs.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    x, target = gs.randn(5, 4), gs.tensor([0, 1, 1, 0, 1])
    F.cross_entropy(model(x), target).backward()
    plain = [p.grad.array.copy() for p in model.parameters()]
    model.zero_grad()
    with gs.autograd.detect_anomaly():
        F.cross_entropy(model(x), target).backward()
    for before, p in zip(plain, model.parameters()):
        np.testing.assert_array_equal(before, p.grad.array)


def test_set_detect_anomaly_rejects_non_bool():
    with pytest.raises(TypeError, match="set_detect_anomaly: mode must be a bool"):
        gs.autograd.set_detect_anomaly("yes")


def test_top_level_switches_match_torch():
    import torch
    for lib in (torch, gs):
        lib.set_anomaly_enabled(True)
        try:
            assert lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()
        finally:
            lib.set_anomaly_enabled(False)
        assert not lib.is_anomaly_enabled()
