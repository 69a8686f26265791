"""batch_norm, layer_norm, group_norm against PyTorch (values and every gradient), gradchecks,
running statistics, dtypes and bad inputs."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from gradsheet.ops import norm
from tests.helpers import check_against_torch, check_gradients, torch_or_skip

SHAPES = [(5, 3), (4, 3, 6), (3, 2, 4, 5), (2, 4, 1, 3)]


def _inputs(shape, seed=0, affine=True):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3 + 2  # off-centre and wide: the statistics matter
    if not affine:
        return [x]
    return [x, rng.standard_normal(shape[1]), rng.standard_normal(shape[1])]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_matches_torch(shape, affine):
    torch = torch_or_skip()
    check_against_torch(lambda x, *wb: norm.batch_norm(x, None, None, *wb, training=True),
                        lambda x, *wb: torch.nn.functional.batch_norm(x, None, None, *wb,
                                                                      training=True),
                        _inputs(shape, affine=affine))


@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_eval_uses_the_running_statistics_like_torch(shape):
    torch = torch_or_skip()
    rng = np.random.default_rng(3)
    mean, var = rng.standard_normal(shape[1]), rng.uniform(0.5, 2.0, shape[1])
    check_against_torch(
        lambda x, w, b: norm.batch_norm(x, gs.tensor(mean), gs.tensor(var), w, b),
        lambda x, w, b: torch.nn.functional.batch_norm(x, torch.tensor(mean), torch.tensor(var),
                                                       w, b),
        _inputs(shape))


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(SHAPES), st.floats(0.0, 1.0), st.integers(0, 2**16))
def test_running_statistics_update_like_torch(shape, momentum, seed):
    torch = torch_or_skip()
    x = _inputs(shape, seed, affine=False)[0]
    mean, var = gs.zeros(shape[1], dtype="float64"), gs.ones(shape[1], dtype="float64")
    t_mean, t_var = torch.zeros(shape[1], dtype=torch.float64), torch.ones(shape[1],
                                                                        dtype=torch.float64)
    norm.batch_norm(gs.tensor(x), mean, var, training=True, momentum=momentum)
    torch.nn.functional.batch_norm(torch.tensor(x), t_mean, t_var, training=True,
                                   momentum=momentum)
    np.testing.assert_allclose(mean.array, t_mean.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(var.array, t_var.numpy(), rtol=1e-10, atol=1e-12)


def test_running_variance_is_the_unbiased_batch_variance():
    x = np.random.default_rng(0).standard_normal((6, 2, 3))
    var = gs.zeros(2, dtype="float64")
    norm.batch_norm(gs.tensor(x), gs.zeros(2, dtype="float64"), var, training=True, momentum=1.0)
    np.testing.assert_allclose(var.array, x.transpose(1, 0, 2).reshape(2, -1).var(axis=1, ddof=1))


@pytest.mark.parametrize("shape", SHAPES)
def test_layer_norm_matches_torch(shape):
    torch = torch_or_skip()
    rng = np.random.default_rng(1)
    for k in range(1, len(shape)):
        normalized = shape[-k:]
        arrays = [rng.standard_normal(shape) * 2 + 1, rng.standard_normal(normalized),
                  rng.standard_normal(normalized)]
        check_against_torch(lambda x, w, b: norm.layer_norm(x, normalized, w, b),
                            lambda x, w, b: torch.nn.functional.layer_norm(x, normalized, w, b),
                            arrays)
        check_against_torch(lambda x: norm.layer_norm(x, normalized),
                            lambda x: torch.nn.functional.layer_norm(x, normalized), arrays[:1])


@pytest.mark.parametrize("shape", [(3, 4), (2, 6, 5), (2, 4, 3, 3)])
@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_matches_torch(shape, groups, affine):
    torch = torch_or_skip()
    check_against_torch(lambda x, *wb: norm.group_norm(x, groups, *wb),
                        lambda x, *wb: torch.nn.functional.group_norm(x, groups, *wb),
                        _inputs(shape, affine=affine))


@pytest.mark.parametrize("fn", [
    lambda x, w, b: norm.batch_norm(x, None, None, w, b, training=True),
    lambda x, w, b: norm.batch_norm(x, gs.tensor([0.5, -1.0, 0.0], dtype="float64"),
                                    gs.tensor([2.0, 0.5, 1.0], dtype="float64"), w, b),
    lambda x, w, b: norm.group_norm(x, 3, w, b),
], ids=["batch_norm_train", "batch_norm_eval", "group_norm"])
def test_gradcheck(fn):
    check_gradients(fn, _inputs((4, 3, 2, 3), seed=5))


def test_gradcheck_layer_norm():
    rng = np.random.default_rng(2)
    check_gradients(lambda x, w, b: norm.layer_norm(x, (3, 4), w, b),
                    [rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 4)),
                     rng.standard_normal((3, 4))])


def test_batch_norm_output_is_standardized_per_channel():
    x = _inputs((64, 3, 5, 5))[0]
    y = norm.batch_norm(gs.tensor(x), None, None, training=True, eps=0.0).array
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, rtol=1e-12)


@pytest.mark.parametrize("fn", [
    lambda x: norm.batch_norm(x, gs.zeros(3), gs.ones(3), gs.ones(3), gs.zeros(3),
                              training=True),
    lambda x: norm.layer_norm(x, (3, 4), gs.ones(3, 4), gs.zeros(3, 4)),
    lambda x: norm.group_norm(x, 3, gs.ones(3), gs.zeros(3)),
])
def test_float32_stays_float32(fn):
    x = gs.tensor(np.random.default_rng(0).standard_normal((5, 3, 4)).astype(np.float32),
                  requires_grad=True)
    y = fn(x)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


@pytest.mark.parametrize("call, match", [
    (lambda: norm.batch_norm(gs.zeros(1, 3), None, None, training=True),
     r"expected more than 1 value per channel when training, got input of shape \(1, 3\)"),
    (lambda: norm.batch_norm(gs.zeros(1, 3, 1, 1), gs.zeros(3), gs.ones(3), training=True),
     r"more than 1 value per channel .* shape \(1, 3, 1, 1\)"),
    (lambda: norm.batch_norm(gs.zeros(4, 3), gs.zeros(4), gs.ones(4)),
     r"running_mean of shape \(4,\) does not match the 3 channels of input of shape \(4, 3\)"),
    (lambda: norm.batch_norm(gs.zeros(4, 3), None, None, gs.ones(2), training=True),
     r"weight of shape \(2,\) does not match the 3 channels"),
    (lambda: norm.batch_norm(gs.zeros(4, 3), None, None),
     r"running_mean and running_var must be given in evaluation mode"),
    (lambda: norm.batch_norm(gs.zeros(4, 3), gs.zeros(3), None, training=True),
     r"both running_mean and running_var or neither"),
    (lambda: norm.batch_norm(gs.zeros(4), None, None, training=True),
     r"at least 2 dimensions .* got shape \(4,\)"),
    (lambda: norm.layer_norm(gs.zeros(3, 5), (4,)),
     r"normalized_shape=\(4,\) expects input of shape \(\*, 4\), got shape \(3, 5\)"),
    (lambda: norm.layer_norm(gs.zeros(3, 4), 4, gs.ones(5)),
     r"weight of shape \(5,\) must have normalized_shape \(4,\)"),
    (lambda: norm.group_norm(gs.zeros(2, 6, 3), 4),
     r"num_groups=4 must divide the number of channels C=6 of input of shape \(2, 6, 3\)"),
    (lambda: norm.group_norm(gs.zeros(2, 6), 3, gs.ones(5)),
     r"weight of shape \(5,\) does not match the 6 channels"),
])
def test_bad_inputs_name_the_values(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_a_failed_training_call_leaves_the_running_statistics_alone():
    mean, var = gs.zeros(3), gs.ones(3)
    with pytest.raises(ValueError):
        norm.batch_norm(gs.ones(1, 3), mean, var, training=True)
    np.testing.assert_array_equal(mean.array, 0)
    np.testing.assert_array_equal(var.array, 1)
