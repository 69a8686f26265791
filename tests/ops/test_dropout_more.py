"""Channel dropouts (dropout1d/2d/3d), alpha_dropout and feature_alpha_dropout: whole channels
dropped, drop fractions and (for alpha dropout) mean and variance within binomial / CLT bounds,
the gradient (the same mask and scale), torch's ranks, warnings and errors, eval identity."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import gradsheet as gs
import gradsheet.nn.functional as GF
from gradsheet.ops.dropout import ALPHA_PRIME
from tests.helpers import torch_or_skip

torch = torch_or_skip()
F = torch.nn.functional
SIGMAS = 6  # a correct implementation fails a 6-sigma bound with probability ~2e-9

CHANNEL = {"dropout1d": (GF.dropout1d, F.dropout1d), "dropout2d": (GF.dropout2d, F.dropout2d),
           "dropout3d": (GF.dropout3d, F.dropout3d)}


def _channels(y, batched):
    """y as rows, one per (sample, channel)."""
    return y.reshape(y.shape[0] * y.shape[1] if batched else y.shape[0], -1)


@pytest.mark.parametrize("name, shape, batched", [
    ("dropout1d", (40, 50, 3), True), ("dropout1d", (2000, 3), False),
    ("dropout2d", (40, 50, 2, 2), True), ("dropout2d", (40, 50, 3), True),
    ("dropout3d", (20, 100, 2, 1, 2), True), ("dropout3d", (2000, 2, 1, 2), False),
])
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_whole_channels_are_dropped_with_probability_p_and_the_rest_scaled(name, shape, batched, p):
    fn = CHANNEL[name][0]
    gs.manual_seed(0)
    x = gs.tensor(np.random.default_rng(0).uniform(1, 2, shape), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = fn(x, p)
    rows, x_rows = _channels(y.array, batched), _channels(x.array, batched)
    dropped = np.all(rows == 0, axis=1)
    kept = np.all(np.isclose(rows, x_rows / (1 - p), rtol=1e-12), axis=1)
    assert np.all(dropped | kept)  # every channel wholly dropped or wholly kept
    n = len(rows)
    assert abs(dropped.mean() - p) <= SIGMAS * math.sqrt(p * (1 - p) / n)
    g = np.random.default_rng(1).standard_normal(shape)
    y.backward(gs.tensor(g))
    np.testing.assert_allclose(x.grad.array, g * y.array / x.array, rtol=1e-12)


@settings(max_examples=15, deadline=None)
@given(shape=array_shapes(min_dims=4, max_dims=4, min_side=0, max_side=3),
       p=st.sampled_from([0.0, 0.3, 1.0]), seed=st.integers(0, 2**16))
def test_dropout2d_on_drawn_shapes_keeps_the_shape_and_masks_channels(shape, p, seed):
    gs.manual_seed(seed)
    x = gs.ones(*shape, dtype="float64")
    y = GF.dropout2d(x, p).array
    assert y.shape == shape
    if y.size:
        per_channel = y.reshape(shape[0], shape[1], -1)
        assert np.all(per_channel == per_channel[..., :1])
        assert set(np.unique(y)) <= {0.0, 1.0 / (1 - p) if p < 1 else 0.0}


def test_unbatched_inputs_drop_channels_along_dim_0():
    gs.manual_seed(3)
    y = GF.dropout1d(gs.ones(400, 5), 0.5).array
    assert np.all(y == y[:, :1]) and 0 < (y[:, 0] == 0).sum() < 400
    y = GF.dropout3d(gs.ones(400, 2, 2, 2), 0.5).array
    assert np.all(y.reshape(400, -1) == y.reshape(400, -1)[:, :1])


def _warnings_of(fn, *args):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn(*args)
    return [str(w.message) for w in caught]


@pytest.mark.parametrize("name, shape", [
    ("dropout2d", (2, 3, 4)), ("dropout2d", (2, 3)), ("dropout2d", (2, 3, 2, 2, 2)),
    ("dropout2d", (2, 3, 2, 2)), ("dropout3d", (2, 3)), ("dropout3d", (2, 3, 4)),
    ("dropout3d", (3,)), ("dropout3d", (2, 3, 2, 2)), ("dropout1d", (2, 3)),
])
def test_rank_warnings_are_torchs(name, shape):
    fn, torch_fn = CHANNEL[name]
    assert _warnings_of(fn, gs.ones(*shape), 0.5) == _warnings_of(torch_fn, torch.ones(shape), 0.5)


@pytest.mark.parametrize("name, shape, message", [
    ("dropout1d", (3,), r"dropout1d: Expected 2D or 3D input, but received a 1D input \(shape \(3,\)\)"),
    ("dropout1d", (2, 3, 4, 5), "dropout1d: Expected 2D or 3D input, but received a 4D input"),
    ("dropout2d", (5,), r"dropout2d: Feature dropout requires at least 2 dimensions in the input, "
                        r"got shape \(5,\)"),
    ("dropout3d", (), "dropout3d: Feature dropout requires at least 2 dimensions"),
])
def test_bad_ranks_raise_runtime_errors_as_torch(name, shape, message):
    fn, torch_fn = CHANNEL[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError):
            torch_fn(torch.ones(shape), 0.5)
        with pytest.raises(RuntimeError, match=message):
            fn(gs.ones(shape), 0.5)


@pytest.mark.parametrize("fn", [GF.dropout1d, GF.dropout2d, GF.dropout3d, GF.alpha_dropout,
                                GF.feature_alpha_dropout, GF.dropout])
def test_p_out_of_range_is_named(fn):
    with pytest.raises(ValueError, match=r"probability p must lie in \[0, 1\].*got p=1.5"):
        fn(gs.ones(2, 3, 4), 1.5)


def test_eval_mode_p_zero_and_empty_inputs_are_the_identity():
    x = gs.randn(2, 3, 4, 4)
    for fn in (GF.dropout2d, GF.dropout3d):
        assert fn(x, 0.5, training=False) is x and fn(x, 0.0) is x
    row = x[0]
    assert GF.dropout1d(row, 0.5, False) is row
    assert GF.alpha_dropout(x, 0.5) is x  # torch's default training=False
    assert GF.feature_alpha_dropout(x, 0.5) is x
    assert GF.alpha_dropout(x, 0.0, True) is x
    empty = gs.ones(0, 3, 2, 2)
    assert GF.dropout2d(empty, 0.5) is empty


def test_p_one_gives_zeros_with_no_gradient_even_where_the_rank_is_unusual():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fn, shape in [(GF.dropout2d, (5,)), (GF.dropout3d, (2, 3, 4, 4, 4)),
                          (lambda x, p: GF.alpha_dropout(x, p, True), (3, 4)),
                          (lambda x, p: GF.feature_alpha_dropout(x, p, True), (3, 4))]:
            x = gs.randn(*shape, requires_grad=True)
            y = fn(x, 1.0)
            y.sum().backward()
            assert not np.any(y.array) and not np.any(x.grad.array)
        assert not np.any(F.dropout2d(torch.ones(5), 1.0).numpy())


def test_inplace_writes_into_the_input():
    gs.manual_seed(0)
    x = gs.ones(4, 6, 5)
    assert GF.dropout1d(x, 0.5, inplace=True) is x
    assert set(np.unique(x.array)) <= {0.0, 2.0} and np.all(x.array == x.array[..., :1])
    x = gs.ones(3, 4, 2, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the in-place path warns once, not twice
        assert GF.dropout2d(x, 0.5, inplace=True) is x
    x = gs.zeros(1000)
    assert GF.alpha_dropout(x, 0.5, True, inplace=True) is x and len(np.unique(x.array)) == 2
    x = gs.ones(4)
    assert GF.dropout(x, 0.5, inplace=True) is x and set(np.unique(x.array)) <= {0.0, 2.0}


def test_manual_seed_makes_the_channel_mask_reproducible():
    x = gs.ones(10, 20, 3)
    gs.manual_seed(5)
    first = GF.dropout1d(x).array
    gs.manual_seed(5)
    np.testing.assert_array_equal(GF.dropout1d(x).array, first)


# ---------------------------------------------------------------- alpha dropout
def _alpha_constants(p):
    a = ((1 - p) * (1 + p * ALPHA_PRIME ** 2)) ** -0.5
    return a, -a * ALPHA_PRIME * p


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_alpha_dropout_values_are_torchs_two_affine_maps(p):
    # on zeros, the output holds b (kept) and a alpha' + b (dropped); torch's likewise
    gs.manual_seed(0)
    ours = np.unique(GF.alpha_dropout(gs.zeros(10_000, dtype="float64"), p, True).array)
    theirs = np.unique(F.alpha_dropout(torch.zeros(10_000, dtype=torch.float64), p, True).numpy())
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    a, b = _alpha_constants(p)
    np.testing.assert_allclose(sorted(ours), sorted([b, a * ALPHA_PRIME + b]), rtol=1e-12)


@pytest.mark.parametrize("feature", [False, True])
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_alpha_dropout_keeps_zero_mean_and_unit_variance_within_clt_bounds(feature, p):
    gs.manual_seed(1)
    shape = (200, 1000) if not feature else (200_000, 1)
    x = np.random.default_rng(0).standard_normal(shape)
    fn = GF.feature_alpha_dropout if feature else GF.alpha_dropout
    y = fn(gs.tensor(x), p, training=True).array.ravel()
    n = y.size
    a, b = _alpha_constants(p)
    c = a * ALPHA_PRIME + b  # every dropped unit's value
    # y is a + b x (prob 1 - p) or c (prob p), x ~ N(0, 1): E y = 0, Var y = 1 (a, b are chosen
    # so), and E y**4 = (1 - p)(3 a**4 + 6 a**2 b**2 + b**4) + p c**4 bounds the variance's error
    fourth = (1 - p) * (3 * a ** 4 + 6 * a ** 2 * b ** 2 + b ** 4) + p * c ** 4
    assert abs(y.mean()) <= SIGMAS / math.sqrt(n)
    assert abs(y.var() - 1) <= SIGMAS * math.sqrt((fourth - 1) / n) + 1 / n
    assert abs(np.mean(np.isclose(y, c, rtol=1e-12)) - p) <= SIGMAS * math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("fn", [GF.alpha_dropout, GF.feature_alpha_dropout])
def test_alpha_dropout_gradient_is_a_times_the_mask(fn):
    p = 0.3
    a, b = _alpha_constants(p)
    gs.manual_seed(2)
    x = gs.tensor(np.random.default_rng(0).standard_normal((50, 8, 3)), requires_grad=True)
    y = fn(x, p, True)
    kept = np.isclose(y.array, a * x.array + b, rtol=1e-12)
    g = np.random.default_rng(1).standard_normal(x.shape)
    y.backward(gs.tensor(g))
    np.testing.assert_allclose(x.grad.array, np.where(kept, a * g, 0), rtol=1e-12)
    if fn is GF.feature_alpha_dropout:
        assert np.all(kept == kept[..., :1])  # one draw per (sample, channel)


def test_feature_alpha_dropout_needs_two_dimensions():
    with pytest.raises(RuntimeError):
        F.feature_alpha_dropout(torch.ones(3), 0.5, True)
    with pytest.raises(RuntimeError, match="feature_alpha_dropout: Feature dropout requires at "
                                           r"least 2 dimensions in the input, got shape \(3,\)"):
        GF.feature_alpha_dropout(gs.ones(3), 0.5, True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("fn, shape", [
    (GF.dropout1d, (2, 3, 4)), (GF.dropout2d, (2, 3, 4, 4)), (GF.dropout3d, (2, 3, 4, 4, 2)),
    (lambda x, p: GF.alpha_dropout(x, p, True), (3, 4)),
    (lambda x, p: GF.feature_alpha_dropout(x, p, True), (2, 3, 4))])
def test_dropouts_keep_the_dtype(fn, shape, dtype):
    x = gs.randn(*shape, dtype=dtype, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = fn(x, 0.4)
    assert y.dtype == dtype
    y.sum().backward()
    assert x.grad.dtype == dtype
