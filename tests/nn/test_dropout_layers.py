"""Dropout1d/2d/3d, AlphaDropout and FeatureAlphaDropout layers: training masks checked
statistically (binomial and CLT bounds, against torch's layers on the same inputs), eval mode
the identity, gradients the masks, reprs, in-place flags and errors as torch."""
import math
import warnings

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import nn
from tests.helpers import torch_or_skip

torch = torch_or_skip()

# (layer, input shape, leading dims that index the masks: (N, C) batched, (C,) unbatched)
CHANNEL = [("Dropout1d", (40, 50, 6), 2), ("Dropout1d", (60, 7), 1),
           ("Dropout2d", (40, 50, 3, 2), 2), ("Dropout2d", (40, 50, 5), 2),
           ("Dropout3d", (40, 50, 2, 2, 2), 2), ("Dropout3d", (60, 2, 2, 2), 1)]
SHAPES = {"Dropout1d": (8, 8, 3), "Dropout2d": (8, 8, 2, 2), "Dropout3d": (8, 8, 2, 2, 2),
          "AlphaDropout": (8, 8, 3), "FeatureAlphaDropout": (8, 8, 2, 2)}


def _quiet(layer, x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the rank warnings, tested below
        return layer(x)


def _channels(y, shape, lead):
    """y as (masks, positions): each row one (sample, channel) that a mask is shared over."""
    return y.reshape(int(np.prod(shape[:lead])), -1)


@pytest.mark.parametrize("name, shape, lead", CHANNEL)
@pytest.mark.parametrize("p", [0.2, 0.6])
def test_channel_dropout_drops_whole_channels_at_rate_p(name, shape, lead, p):
    gs.manual_seed(0)
    x = gs.tensor(np.random.default_rng(0).uniform(1, 2, shape), requires_grad=True)
    layer = getattr(nn, name)(p)
    y = _quiet(layer, x)
    rows = _channels(y.array / x.array, shape, lead)
    dropped = np.all(rows == 0, axis=1)
    kept = np.all(np.isclose(rows, 1 / (1 - p)), axis=1)
    assert np.all(dropped | kept), "a channel is neither all dropped nor all kept"
    n = rows.shape[0]
    assert abs(dropped.mean() - p) < 6 * math.sqrt(p * (1 - p) / n)
    # torch's layer on the same input: its dropped fraction lies within the same bounds
    t = _quiet(getattr(torch.nn, name)(p), torch.tensor(x.array))
    t_rows = _channels(t.numpy() / x.array, shape, lead)
    assert abs(np.all(t_rows == 0, axis=1).mean() - p) < 6 * math.sqrt(p * (1 - p) / n)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.array, y.array / x.array, rtol=1e-12)


@pytest.mark.parametrize("name", ["Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                                  "FeatureAlphaDropout"])
def test_eval_mode_is_the_identity_and_follows_the_parent(name):
    layer = getattr(nn, name)(0.5)
    model = nn.Sequential(layer)
    shape = SHAPES[name]
    x = gs.randn(*shape)
    model.eval()
    assert not layer.training
    assert layer(x) is x
    t = torch.randn(shape)
    assert getattr(torch.nn, name)(0.5).eval()(t) is t
    model.train()
    assert layer.training
    assert not np.array_equal(layer(gs.ones(*shape)).array, np.ones(shape))


@pytest.mark.parametrize("name", ["Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                                  "FeatureAlphaDropout"])
def test_p_zero_keeps_and_p_one_zeroes_as_torch(name):
    x = np.random.default_rng(1).standard_normal(SHAPES[name])
    for p in (0.0, 1.0):
        ours = getattr(nn, name)(p)(gs.tensor(x)).array
        theirs = getattr(torch.nn, name)(p)(torch.tensor(x)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("name, shape, per_channel", [
    ("AlphaDropout", (200, 300), False), ("FeatureAlphaDropout", (300, 200, 2), True)])
@pytest.mark.parametrize("p", [0.1, 0.5])
def test_alpha_dropout_keeps_zero_mean_and_unit_variance(name, shape, per_channel, p):
    gs.manual_seed(1)
    a = np.random.default_rng(2).standard_normal(shape)
    x = gs.tensor(a, requires_grad=True)
    y = getattr(nn, name)(p)(x)
    t = getattr(torch.nn, name)(p)(torch.tensor(a)).numpy()
    alpha_prime = -1.7580993408473766
    scale = 1 / math.sqrt((1 - p) * (1 + p * alpha_prime ** 2))
    shift = -scale * alpha_prime * p
    dropped = np.isclose(y.array, scale * alpha_prime + shift)
    n = dropped[..., 0].size if per_channel else dropped.size
    fraction = dropped[..., 0].mean() if per_channel else dropped.mean()
    assert abs(fraction - p) < 6 * math.sqrt(p * (1 - p) / n)
    if per_channel:
        assert np.all(dropped == dropped[..., :1])
    np.testing.assert_allclose(y.array[~dropped], scale * a[~dropped] + shift, rtol=1e-9)
    for out in (y.array, t):  # N(0, 1) in, mean 0 and variance 1 out (loose CLT bounds)
        units = n if per_channel else out.size
        assert abs(out.mean()) < 8 / math.sqrt(units)
        assert abs(out.var() - 1) < 0.1
    y.sum().backward()
    np.testing.assert_allclose(x.grad.array, np.where(dropped, 0, scale), rtol=1e-12)


def test_channel_dropouts_warn_on_ranks_as_torch():
    for name, shape in [("Dropout2d", (2, 3, 4)), ("Dropout2d", (2, 3, 4, 5, 6)),
                        ("Dropout3d", (2, 3))]:
        with warnings.catch_warnings(record=True) as ours:
            warnings.simplefilter("always")
            getattr(nn, name)()(gs.ones(*shape))
        with warnings.catch_warnings(record=True) as theirs:
            warnings.simplefilter("always")
            getattr(torch.nn, name)()(torch.ones(shape))
        assert len(ours) == len(theirs) >= 1
        for w, u in zip(ours, theirs):
            assert str(u.message) in str(w.message)
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 4D"):
        nn.Dropout1d()(gs.ones(2, 3, 4, 5))


@pytest.mark.parametrize("name", ["Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                                  "FeatureAlphaDropout"])
def test_repr_attributes_and_p_checks_match_torch(name):
    for args in [(), (0.2,), (0.7, True)]:
        ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
        assert repr(ours) == repr(theirs)
        assert (ours.p, ours.inplace) == (theirs.p, theirs.inplace)
        assert list(ours.state_dict()) == list(theirs.state_dict()) == []
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match=f"{name}: dropout probability has to be between 0 "
                                             f"and 1, but got {p}"):
            getattr(nn, name)(p)
        with pytest.raises(ValueError):
            getattr(torch.nn, name)(p)
    with pytest.raises(TypeError, match=f"{name}: dropout probability must be a number"):
        getattr(nn, name)("0.5")


@pytest.mark.parametrize("name", ["Dropout2d", "AlphaDropout", "FeatureAlphaDropout"])
def test_inplace_layers_write_the_result_into_their_input(name):
    gs.manual_seed(4)
    x = gs.ones(6, 5, 3, 3)
    y = getattr(nn, name)(0.5, inplace=True)(x)
    np.testing.assert_array_equal(x.array, y.array)
    assert not np.all(x.array == 1)


def test_seeded_masks_repeat():
    for name in ("Dropout2d", "FeatureAlphaDropout"):
        gs.manual_seed(7)
        first = getattr(nn, name)()(gs.ones(10, 10, 2, 2)).array
        gs.manual_seed(7)
        np.testing.assert_array_equal(getattr(nn, name)()(gs.ones(10, 10, 2, 2)).array, first)
