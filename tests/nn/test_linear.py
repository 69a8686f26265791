"""Linear (vs torch with copied weights, default init, dtypes, seeding), Identity, Flatten."""
import math

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import nn
from tests.helpers import torch_or_skip


@pytest.mark.parametrize("input_shape", [(5, 3), (2, 4, 3), (2, 3, 4, 3), (0, 4, 3), (3,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_forward_backward_match_torch(input_shape, bias):
    torch = torch_or_skip()
    ref = torch.nn.Linear(3, 4, bias=bias, dtype=torch.float64)
    layer = nn.Linear(3, 4, bias=bias, dtype="float64")
    layer.load_state_dict(ref.state_dict())
    x = np.random.default_rng(0).standard_normal(input_shape)
    gx, tx = gs.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref_out = layer(gx), ref(tx)
    np.testing.assert_allclose(out.array, ref_out.detach().numpy(), rtol=1e-12, atol=1e-14)
    upstream = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(gs.tensor(upstream))
    ref_out.backward(torch.tensor(upstream))
    pairs = [(gx, tx), (layer.weight, ref.weight)] + ([(layer.bias, ref.bias)] if bias else [])
    for mine, theirs in pairs:
        np.testing.assert_allclose(mine.grad.array, theirs.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_linear_on_a_non_contiguous_batch_matches_torch():
    """3-d inputs take one 2-d GEMM over their rows when C-contiguous; a transposed (strided)
    input and its gradient still match torch."""
    torch = torch_or_skip()
    ref = torch.nn.Linear(3, 4, dtype=torch.float64)
    layer = nn.Linear(3, 4, dtype="float64")
    layer.load_state_dict(ref.state_dict())
    base = np.random.default_rng(2).standard_normal((5, 2, 3))
    gx, tx = gs.tensor(base, requires_grad=True), torch.tensor(base, requires_grad=True)
    out, ref_out = layer(gx.transpose(0, 1)), ref(tx.transpose(0, 1))
    np.testing.assert_allclose(out.array, ref_out.detach().numpy(), rtol=1e-12, atol=1e-14)
    upstream = np.random.default_rng(3).standard_normal(out.shape).transpose(1, 0, 2).copy()
    out.backward(gs.tensor(upstream.transpose(1, 0, 2)))
    ref_out.backward(torch.tensor(upstream).transpose(0, 1))
    for mine, theirs in [(gx, tx), (layer.weight, ref.weight), (layer.bias, ref.bias)]:
        np.testing.assert_allclose(mine.grad.array, theirs.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_linear_shapes_and_repr_match_torch():
    torch = torch_or_skip()
    layer = nn.Linear(8, 64, bias=False)
    assert layer.weight.shape == (64, 8) and layer.bias is None
    assert repr(layer) == repr(torch.nn.Linear(8, 64, bias=False))
    assert [n for n, _ in nn.Linear(2, 3).named_parameters()] == ["weight", "bias"]


def test_linear_default_init_bounds_and_spread():
    """W, b ~ U(-k, k) with k = 1/sqrt(in_features). For n draws the sample std of U(-k, k)
    is k/sqrt(3) with relative sd sqrt((kurtosis - 1) / (4n)), kurtosis 9/5; allow 6 sd."""
    gs.manual_seed(0)
    layer = nn.Linear(50, 400)
    bound = 1 / math.sqrt(50)
    for values in (layer.weight.array, layer.bias.array):
        n = values.size
        assert values.min() >= -bound and values.max() <= bound
        # the extremes come within a few spacings 2k/n of the bounds
        assert values.max() > bound * (1 - 20 / n) and values.min() < -bound * (1 - 20 / n)
    n = layer.weight.array.size
    tolerance = 6 * math.sqrt((9 / 5 - 1) / (4 * n))
    assert abs(layer.weight.array.std() / (bound / math.sqrt(3)) - 1) < tolerance


def test_linear_dtype_default_and_explicit():
    assert nn.Linear(2, 2).weight.dtype == np.float32
    layer = nn.Linear(2, 2, dtype="float64")
    assert layer.weight.dtype == layer.bias.dtype == np.float64
    previous = gs.get_default_dtype()
    gs.set_default_dtype("float64")
    try:
        assert nn.Linear(2, 2).weight.dtype == np.float64
    finally:
        gs.set_default_dtype(previous)


def test_linear_float32_stays_float32():
    layer = nn.Linear(3, 2)
    out = layer(gs.randn(4, 3))
    out.sum().backward()
    assert out.dtype == np.float32 and layer.weight.grad.dtype == np.float32


def test_manual_seed_makes_init_reproducible():
    gs.manual_seed(123)
    first = nn.Sequential(nn.Linear(4, 5), nn.Linear(5, 2)).state_dict()
    gs.manual_seed(123)
    second = nn.Sequential(nn.Linear(4, 5), nn.Linear(5, 2)).state_dict()
    for key in first:
        np.testing.assert_array_equal(first[key].array, second[key].array)
    gs.manual_seed(124)
    assert not np.array_equal(nn.Linear(4, 5).weight.array, first["0.weight"].array)


def test_reset_parameters_redraws():
    layer = nn.Linear(3, 3)
    before = layer.weight.array.copy()
    weight = layer.weight
    layer.reset_parameters()
    assert layer.weight is weight and not np.array_equal(before, layer.weight.array)


def test_linear_zero_in_features():
    layer = nn.Linear(0, 3)
    np.testing.assert_array_equal(layer.bias.array, 0)
    assert layer(gs.zeros(2, 0)).shape == (2, 3)


@pytest.mark.parametrize("args, message", [
    ((-1, 3), "in_features must be a non-negative integer, got -1"),
    ((2, 2.5), "out_features must be a non-negative integer, got 2.5")])
def test_linear_bad_sizes_raise(args, message):
    with pytest.raises(ValueError, match=message):
        nn.Linear(*args)


def test_linear_wrong_input_width_raises():
    with pytest.raises(ValueError, match=r"input of shape \(4, 5\).*in_features=3"):
        nn.Linear(3, 2)(gs.randn(4, 5))


def test_identity_returns_input_and_ignores_arguments():
    x = gs.randn(2, 3)
    assert nn.Identity(54, unused="argument")(x) is x


@pytest.mark.parametrize("dims", [(), (0,), (2, 3), (1, -2)])
def test_flatten_matches_torch(dims):
    torch = torch_or_skip()
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    mine, ref = nn.Flatten(*dims), torch.nn.Flatten(*dims)
    np.testing.assert_array_equal(mine(gs.tensor(x)).array, ref(torch.tensor(x)).numpy())
    assert repr(mine) == repr(ref)
