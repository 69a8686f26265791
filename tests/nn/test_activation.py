"""Activation layers: values and gradients equal torch's modules, reprs equal torch's."""
import numpy as np
import pytest

import gradsheet as gs
from gradsheet import nn
from tests.helpers import check_against_torch, torch_or_skip

LAYERS = [("Sigmoid", (), {}), ("Tanh", (), {}), ("ReLU", (), {}), ("SiLU", (), {}),
          ("LeakyReLU", (), {}), ("LeakyReLU", (0.2,), {}), ("ELU", (), {}),
          ("ELU", (0.5,), {}), ("Softplus", (), {}), ("Softplus", (2.0, 1.5), {}),
          ("GELU", (), {}), ("GELU", (), {"approximate": "tanh"}), ("Softmax", (1,), {}),
          ("LogSoftmax", (), {"dim": 0}), ("Softmax", (-1,), {})]


@pytest.mark.parametrize("name, args, kwargs", LAYERS)
def test_layer_matches_torch(name, args, kwargs):
    torch = torch_or_skip()
    layer, ref = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    x = np.random.default_rng(0).standard_normal((4, 5)) * 3
    check_against_torch(layer, ref, [x], rtol=1e-6)
    assert repr(layer) == repr(ref)


@pytest.mark.parametrize("name, kwargs", [("ReLU", {"inplace": True}),
                                          ("LeakyReLU", {"negative_slope": 0.1, "inplace": True}),
                                          ("ELU", {"inplace": True}), ("SiLU", {"inplace": True}),
                                          ("Softmax", {})])
def test_reprs_of_flags_match_torch(name, kwargs):
    torch = torch_or_skip()
    assert repr(getattr(nn, name)(**kwargs)) == repr(getattr(torch.nn, name)(**kwargs))


def test_inplace_flag_gives_same_values_out_of_place():
    x = gs.tensor([-1.0, 2.0])
    y = nn.ReLU(inplace=True)(x)
    np.testing.assert_array_equal(y.array, [0, 2])
    np.testing.assert_array_equal(x.array, [-1, 2])


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'fast'"):
        nn.GELU("fast")
    with pytest.raises(TypeError, match="softmax: pass dim="):
        nn.Softmax()(gs.randn(2, 3))
    with pytest.raises(IndexError, match=r"dim 2 is out of range for shape \(2, 3\)"):
        nn.LogSoftmax(2)(gs.randn(2, 3))
