"""Dropout layer: inverted scaling in training, identity in eval, seeded, validated."""
import math

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import nn
from tests.helpers import torch_or_skip


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_training_drops_a_fraction_p_and_scales_survivors(p):
    x = gs.ones(200, 100)
    y = nn.Dropout(p)(x).array
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-6)
    n = y.size
    assert abs((~kept).mean() - p) < 6 * math.sqrt(p * (1 - p) / n)


def test_gradient_is_the_scaled_mask():
    x = gs.randn(30, 20, requires_grad=True)
    y = nn.Dropout(0.4)(x)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.array, (y.array != 0) / 0.6, rtol=1e-6)


def test_eval_mode_is_identity_and_follows_the_parent():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    x = gs.randn(3, 4)
    model.eval()
    np.testing.assert_array_equal(model(x).array, model[0](x).array)
    assert model[1](x) is x
    model.train()
    assert not np.array_equal(model(gs.ones(50, 4)).array, model[0](gs.ones(50, 4)).array)


def test_seeded_masks_repeat():
    gs.manual_seed(3)
    first = nn.Dropout()(gs.ones(10, 10)).array
    gs.manual_seed(3)
    np.testing.assert_array_equal(nn.Dropout()(gs.ones(10, 10)).array, first)


def test_repr_matches_torch():
    torch = torch_or_skip()
    assert repr(nn.Dropout(0.25)) == repr(torch.nn.Dropout(0.25))
    assert repr(nn.Dropout()) == repr(torch.nn.Dropout())


@pytest.mark.parametrize("p", [-0.1, 1.5, "half", True])
def test_bad_probability_raises(p):
    with pytest.raises(ValueError, match=f"between 0 and 1, but got {p!r}"):
        nn.Dropout(p)
