"""nn.init: gains and fans against torch; each distribution's bounds, mean and std within a
tolerance derived from the sample size; in-place, dtype-preserving, seeded behaviour."""
import math

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import nn
from gradsheet.nn import init
from tests.helpers import torch_or_skip

UNIFORM_KURTOSIS, NORMAL_KURTOSIS = 9 / 5, 3.0


def assert_std(values, expected_std, kurtosis, sigmas=6):
    """The sample std of n iid draws has relative sd ~ sqrt((kurtosis - 1) / (4 n))."""
    n = values.size
    tolerance = sigmas * math.sqrt((kurtosis - 1) / (4 * n))
    assert abs(values.std() / expected_std - 1) < tolerance, (values.std(), expected_std)


def assert_uniform(values, bound):
    """U(-bound, bound): inside the bounds, reaching close to both, std bound / sqrt(3)."""
    assert values.min() >= -bound and values.max() <= bound
    assert values.max() > bound * (1 - 20 / values.size)
    assert values.min() < -bound * (1 - 20 / values.size)
    assert_std(values, bound / math.sqrt(3), UNIFORM_KURTOSIS)


def assert_normal(values, std, mean=0.0):
    assert abs(values.mean() - mean) < 6 * std / math.sqrt(values.size)
    assert_std(values, std, NORMAL_KURTOSIS)


def empty(*shape, dtype="float32"):
    return nn.Parameter(gs.zeros(*shape, dtype=dtype))


@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("selu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5))])
def test_calculate_gain_matches_torch(nonlinearity, param):
    torch = torch_or_skip()
    expected = torch.nn.init.calculate_gain(nonlinearity, param)
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("nonlinearity, param, message", [
    ("swish", None, "unsupported nonlinearity 'swish'"),
    ("leaky_relu", True, "negative_slope True is not a valid number"),
    ("leaky_relu", "0.1", "negative_slope '0.1' is not a valid number")])
def test_calculate_gain_bad_input_raises(nonlinearity, param, message):
    with pytest.raises(ValueError, match=message):
        init.calculate_gain(nonlinearity, param)


@pytest.mark.parametrize("shape", [(3, 4), (16, 8, 3, 3), (2, 3, 4), (5, 1, 7)])
def test_fans_match_torch(shape):
    torch = torch_or_skip()
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init._calculate_fan_in_and_fan_out(gs.zeros(*shape)) == expected


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions, got shape \(5,\)"):
        init._calculate_fan_in_and_fan_out(gs.zeros(5))


def test_uniform_and_normal():
    assert_uniform(init.uniform_(empty(200, 150), -0.5, 0.5).array, 0.5)
    values = init.uniform_(empty(300, 100), 2.0, 3.0).array
    assert values.min() >= 2 and values.max() <= 3
    assert_normal(init.normal_(empty(300, 100), mean=1.5, std=0.3).array, 0.3, mean=1.5)


def test_xavier():
    fan_in, fan_out = 120, 250
    gain = init.calculate_gain("tanh")
    bound = gain * math.sqrt(6 / (fan_in + fan_out))
    assert_uniform(init.xavier_uniform_(empty(fan_out, fan_in), gain=gain).array, bound)
    std = math.sqrt(2 / (fan_in + fan_out))
    assert_normal(init.xavier_normal_(empty(fan_out, fan_in)).array, std)


def test_kaiming():
    # defaults: a = 0, fan_in, leaky_relu -> gain sqrt(2), bound sqrt(3) * sqrt(2 / fan_in)
    assert_uniform(init.kaiming_uniform_(empty(300, 150)).array, math.sqrt(6 / 150))
    # conv weight (out, in, kh, kw) with fan_out: fan = 64 * 3 * 3
    weight = init.kaiming_normal_(empty(64, 32, 3, 3), mode="fan_out", nonlinearity="relu")
    assert_normal(weight.array, math.sqrt(2 / (64 * 9)))
    # nn.Linear's choice a = sqrt(5): bound = 1 / sqrt(fan_in)
    assert_uniform(init.kaiming_uniform_(empty(400, 60), a=math.sqrt(5)).array,
                   1 / math.sqrt(60))


def test_kaiming_bad_mode_raises():
    with pytest.raises(ValueError, match="mode 'fan_avg' is not supported"):
        init.kaiming_uniform_(empty(3, 3), mode="fan_avg")


def test_kaiming_zero_size_is_left_alone():
    tensor = empty(0, 3)
    assert init.kaiming_normal_(tensor) is tensor


@pytest.mark.parametrize("fill", [
    lambda t: init.uniform_(t), lambda t: init.normal_(t), lambda t: init.xavier_uniform_(t),
    lambda t: init.kaiming_normal_(t), lambda t: init.orthogonal_(t),
    lambda t: init.constant_(t, 0.25)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fills_in_place_keeping_dtype_and_leaf(fill, dtype):
    param = empty(6, 4, dtype=dtype)
    array = param.array
    assert fill(param) is param
    assert param.array is array and param.dtype == np.dtype(dtype)
    assert param.is_leaf and param.requires_grad and np.any(param.array)


def test_seeding_and_explicit_generator():
    gs.manual_seed(7)
    first = init.normal_(empty(4, 4)).array.copy()
    gs.manual_seed(7)
    np.testing.assert_array_equal(init.normal_(empty(4, 4)).array, first)
    a = init.xavier_uniform_(empty(3, 5), generator=np.random.default_rng(1)).array
    b = init.xavier_uniform_(empty(3, 5), generator=np.random.default_rng(1)).array
    np.testing.assert_array_equal(a, b)


def test_constants_and_eye():
    np.testing.assert_array_equal(init.constant_(empty(2, 3), 0.5).array, 0.5)
    np.testing.assert_array_equal(init.ones_(empty(2, 3)).array, 1)
    np.testing.assert_array_equal(init.zeros_(init.ones_(empty(2, 3))).array, 0)
    np.testing.assert_array_equal(init.eye_(empty(2, 3)).array, np.eye(2, 3))
    with pytest.raises(ValueError, match=r"only 2-dimensional.*got shape \(2, 2, 2\)"):
        init.eye_(empty(2, 2, 2))


@pytest.mark.parametrize("shape", [(3, 7), (7, 3), (5, 5), (4, 2, 3)])
def test_orthogonal(shape):
    q = init.orthogonal_(empty(*shape, dtype="float64"), gain=2.0).array
    flat = q.reshape(shape[0], -1) / 2.0
    small = min(flat.shape)
    gram = flat @ flat.T if flat.shape[0] == small else flat.T @ flat
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)


def test_orthogonal_needs_two_dimensions():
    with pytest.raises(ValueError, match=r"2 or more dimensions.*got shape \(4,\)"):
        init.orthogonal_(empty(4))
