"""Losses: values and input gradients against torch over option grids, gradchecks, float32,
numerical stability and the errors for bad input."""
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from gradsheet.ops import loss as L
from tests.helpers import check_against_torch, check_gradients, random_inputs, torch_or_skip

REDUCTIONS = ["mean", "sum", "none"]


@pytest.fixture(scope="module")
def torch():
    return torch_or_skip()


@pytest.fixture(scope="module")
def F(torch):
    return torch.nn.functional


def same_call(F, name, *constants, **kwargs):
    """The gradsheet and torch versions of loss ``name`` with the same arguments: PyTorch
    names and signatures, so one call describes both. Constants (targets, weights) are
    numpy arrays, wrapped for each library."""
    torch = torch_or_skip()

    def gs_fn(*inputs):
        return getattr(L, name)(*inputs, *[wrap(c, gs.tensor) for c in constants],
                                **{k: wrap(v, gs.tensor) for k, v in kwargs.items()})

    def torch_fn(*inputs):
        return getattr(F, name)(*inputs, *[wrap(c, torch.tensor) for c in constants],
                                **{k: wrap(v, torch.tensor) for k, v in kwargs.items()})

    return gs_fn, torch_fn


def wrap(value, make):
    return make(value) if isinstance(value, np.ndarray) else value


# ---------------------------------------------------------------- regression losses
REGRESSION = [("mse_loss", {}), ("l1_loss", {}), ("huber_loss", {"delta": 1.0}),
              ("huber_loss", {"delta": 0.4}), ("smooth_l1_loss", {"beta": 1.0}),
              ("smooth_l1_loss", {"beta": 0.3}), ("smooth_l1_loss", {"beta": 0.0})]


@pytest.mark.parametrize("name, kwargs", REGRESSION)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(7,), (3, 4)])
def test_regression_loss_matches_torch(F, name, kwargs, reduction, shape):
    x, t = random_inputs([shape, shape], seed=len(shape))
    check_against_torch(*same_call(F, name, reduction=reduction, **kwargs), [2 * x, t])


@pytest.mark.parametrize("name, kwargs", REGRESSION)
def test_regression_loss_gradcheck(name, kwargs):
    x, t = random_inputs([(2, 3), (2, 3)], seed=3)
    check_gradients(lambda a, b: getattr(L, name)(a, b, reduction="sum", **kwargs), [2 * x, t])


def test_mse_known_value():
    assert L.mse_loss(gs.tensor([1.0, 3.0]), gs.tensor([0.0, 1.0])).item() == pytest.approx(2.5)


# ---------------------------------------------------------------- binary cross-entropy
BCE_WEIGHTS = {"none": None, "full": (3, 4), "per column": (4,)}


@pytest.mark.parametrize("weight", list(BCE_WEIGHTS))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("hard_targets", [False, True])
def test_binary_cross_entropy_matches_torch(F, weight, reduction, hard_targets):
    rng = np.random.default_rng(0)
    z, y = rng.uniform(0.02, 0.98, (3, 4)), rng.uniform(0, 1, (3, 4))
    if hard_targets:
        y = np.round(y)
    w = None if BCE_WEIGHTS[weight] is None else rng.uniform(0.5, 2, BCE_WEIGHTS[weight])
    check_against_torch(*same_call(F, "binary_cross_entropy", weight=w, reduction=reduction),
                        [z, y])


@pytest.mark.parametrize("weight", list(BCE_WEIGHTS))
@pytest.mark.parametrize("pos_weight", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_torch(F, weight, pos_weight, reduction):
    rng = np.random.default_rng(1)
    x, y = 3 * rng.standard_normal((3, 4)), rng.uniform(0, 1, (3, 4))
    w = None if BCE_WEIGHTS[weight] is None else rng.uniform(0.5, 2, BCE_WEIGHTS[weight])
    p = rng.uniform(0.5, 3, 4) if pos_weight else None
    check_against_torch(*same_call(F, "binary_cross_entropy_with_logits", weight=w,
                                   reduction=reduction, pos_weight=p), [x, y])


def test_binary_cross_entropy_gradcheck():
    rng = np.random.default_rng(2)
    w = gs.tensor(rng.uniform(0.5, 2, 3), dtype="float64")
    check_gradients(lambda z, y: L.binary_cross_entropy(z, y, weight=w, reduction="sum"),
                    [rng.uniform(0.1, 0.9, (2, 3)), rng.uniform(0.1, 0.9, (2, 3))])


def test_bce_with_logits_gradcheck():
    rng = np.random.default_rng(3)
    w = gs.tensor(rng.uniform(0.5, 2, (2, 3)), dtype="float64")
    p = gs.tensor(rng.uniform(0.5, 3, 3), dtype="float64")
    check_gradients(lambda x, y: L.binary_cross_entropy_with_logits(x, y, w, pos_weight=p),
                    [rng.standard_normal((2, 3)), rng.uniform(0, 1, (2, 3))])


def test_binary_cross_entropy_known_value():
    assert L.binary_cross_entropy(gs.tensor([0.5]), gs.tensor([1.0])).item() == \
        pytest.approx(math.log(2))


def test_binary_cross_entropy_at_zero_and_one_is_finite_and_matches_torch(F):
    z = np.array([0.0, 0.0, 1.0, 1.0, 0.5])
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0])
    out = check_against_torch(*same_call(F, "binary_cross_entropy", y, reduction="none"), [z])
    np.testing.assert_allclose(out.array, [0, 100, 100, 0, math.log(2)], rtol=1e-12)
    z32 = gs.tensor(z.astype(np.float32), requires_grad=True)
    L.binary_cross_entropy(z32, gs.tensor(y)).backward()
    assert np.isfinite(z32.grad.array).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_is_stable_at_huge_logits(F, torch, dtype):
    x = np.array([-1e4, -1e4, 1e4, 1e4, 0.0], dtype=dtype)
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0], dtype=dtype)
    xt = gs.tensor(x, requires_grad=True)
    out = L.binary_cross_entropy_with_logits(xt, gs.tensor(y), reduction="none")
    out.sum().backward()
    expected = F.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(y),
                                                  reduction="none")
    np.testing.assert_allclose(out.array, expected.numpy(), rtol=1e-6)
    np.testing.assert_allclose(xt.grad.array, [0, -1, 1, 0, -0.5], atol=1e-7)


# ---------------------------------------------------------------- cross-entropy, nll
SHAPES = {"batch": (5, 4), "spatial": (3, 4, 2, 3), "unbatched": (4,)}
IGNORE = ["none", "default -100", "ignore_index=1"]


def class_targets(shape, ignore, seed=0):
    """Integer targets for logits of ``shape`` and the ignore_index they go with."""
    target_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    target = np.random.default_rng(seed).integers(0, shape[1 if len(shape) > 1 else 0],
                                                  target_shape)
    if ignore == "none":
        return target, -100
    target.flat[::3] = -100 if ignore == "default -100" else 1  # unbatched: all ignored
    return target, (-100 if ignore == "default -100" else 1)


def class_weight(shape, weighted):
    num_classes = shape[1] if len(shape) > 1 else shape[0]
    return np.linspace(0.5, 2.0, num_classes) if weighted else None


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", IGNORE)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_with_class_indices_matches_torch(F, shape, reduction, weighted, ignore,
                                                        label_smoothing):
    shape = SHAPES[shape]
    target, ignore_index = class_targets(shape, ignore)
    (x,) = random_inputs([shape], seed=1)
    check_against_torch(*same_call(F, "cross_entropy", target, weight=class_weight(shape, weighted),
                                   ignore_index=ignore_index, reduction=reduction,
                                   label_smoothing=label_smoothing), [3 * x])


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_with_probabilities_matches_torch(F, shape, reduction, weighted,
                                                        label_smoothing):
    shape = SHAPES[shape]
    x, scores = random_inputs([shape, shape], seed=2)
    class_dim = 1 if len(shape) > 1 else 0
    probabilities = np.exp(scores) / np.exp(scores).sum(axis=class_dim, keepdims=True)
    check_against_torch(*same_call(F, "cross_entropy", weight=class_weight(shape, weighted),
                                   reduction=reduction, label_smoothing=label_smoothing),
                        [3 * x, probabilities])


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", IGNORE)
def test_nll_loss_matches_torch(F, shape, reduction, weighted, ignore):
    shape = SHAPES[shape]
    target, ignore_index = class_targets(shape, ignore, seed=3)
    (x,) = random_inputs([shape], seed=4)
    check_against_torch(*same_call(F, "nll_loss", target, weight=class_weight(shape, weighted),
                                   ignore_index=ignore_index, reduction=reduction), [x])


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 6), c=st.integers(1, 5), seed=st.integers(0, 2**16),
       reduction=st.sampled_from(REDUCTIONS), smoothing=st.sampled_from([0.0, 0.1, 1.0]),
       weighted=st.booleans(), scale=st.sampled_from([0.1, 1.0, 30.0]))
def test_cross_entropy_matches_torch_on_random_cases(n, c, seed, reduction, smoothing, weighted,
                                                     scale):
    F = torch_or_skip().nn.functional
    rng = np.random.default_rng(seed)
    target = rng.integers(0, c, n)
    weight = rng.uniform(0.1, 2, c) if weighted else None
    check_against_torch(*same_call(F, "cross_entropy", target, weight=weight,
                                   reduction=reduction, label_smoothing=smoothing),
                        [scale * rng.standard_normal((n, c))])


def test_cross_entropy_gradcheck_indices():
    target, ignore_index = class_targets((2, 3, 2), "ignore_index=1")
    check_gradients(lambda x: L.cross_entropy(x, gs.tensor(target), gs.tensor([0.5, 1.0, 2.0]),
                                              ignore_index=ignore_index, label_smoothing=0.3),
                    random_inputs([(2, 3, 2)], seed=5))


def test_cross_entropy_gradcheck_probabilities():
    x, t = random_inputs([(2, 3), (2, 3)], seed=6, low=0.1, high=1.0)
    weight = gs.tensor([0.5, 1.0, 2.0])
    check_gradients(lambda x, t: L.cross_entropy(x, t, weight, label_smoothing=0.1),
                    [x, t / t.sum(1, keepdims=True)])


def test_nll_loss_gradcheck():
    check_gradients(lambda x: L.nll_loss(x, gs.tensor([2, 0, -100]), gs.tensor([0.5, 1.0, 2.0])),
                    random_inputs([(3, 3)], seed=7))


def test_cross_entropy_known_values():
    x = gs.tensor([[0.0, 0.0], [0.0, math.log(3)]])
    assert L.cross_entropy(x[:1], gs.tensor([1])).item() == pytest.approx(math.log(2))
    # row 2: p = (1/4, 3/4), so -log p_0 = log 4; smoothing eps = 0.5 mixes in the uniform
    # half: 0.75 log 4 + 0.25 log(4/3)
    loss = L.cross_entropy(x[1:], gs.tensor([0]), label_smoothing=0.5)
    assert loss.item() == pytest.approx(0.75 * math.log(4) + 0.25 * math.log(4 / 3))


def test_cross_entropy_equals_nll_of_log_softmax():
    x = gs.tensor(random_inputs([(4, 5)], seed=8)[0], requires_grad=True)
    target = gs.tensor([4, 0, 2, 2])
    fused = L.cross_entropy(x, target, reduction="none")
    composed = L.nll_loss(gs.log_softmax(x, dim=1), target, reduction="none")
    np.testing.assert_allclose(fused.array, composed.array, rtol=1e-6)


def test_cross_entropy_with_every_target_ignored_is_nan_with_zero_gradient(F, torch):
    x = gs.tensor(np.ones((2, 3)), requires_grad=True)
    out = L.cross_entropy(x, gs.tensor([-100, -100]))
    out.backward()
    expected = F.cross_entropy(torch.ones(2, 3), torch.tensor([-100, -100]))
    assert math.isnan(out.item()) and math.isnan(expected.item())
    np.testing.assert_array_equal(x.grad.array, np.zeros((2, 3)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_is_stable_at_huge_logits(F, torch, dtype, label_smoothing):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [0.0, 0.0, -1e4]], dtype=dtype)
    target = np.array([1, 0, 2])
    xt = gs.tensor(x, requires_grad=True)
    out = L.cross_entropy(xt, gs.tensor(target), reduction="none", label_smoothing=label_smoothing)
    out.sum().backward()
    expected = F.cross_entropy(torch.tensor(x), torch.tensor(target), reduction="none",
                               label_smoothing=label_smoothing)
    assert np.isfinite(out.array).all() and np.isfinite(xt.grad.array).all()
    np.testing.assert_allclose(out.array, expected.numpy(), rtol=1e-6)


# ---------------------------------------------------------------- float32 stays float32
FLOAT32_CASES = {
    "mse_loss": lambda x, r: L.mse_loss(x, np.zeros(x.shape, np.float32), r),
    "l1_loss": lambda x, r: L.l1_loss(x, np.zeros(x.shape, np.float32), r),
    "huber_loss": lambda x, r: L.huber_loss(x, np.zeros(x.shape, np.float32), r, delta=0.5),
    "smooth_l1_loss": lambda x, r: L.smooth_l1_loss(x, np.zeros(x.shape, np.float32), r, 0.5),
    "binary_cross_entropy": lambda x, r: L.binary_cross_entropy(
        gs.sigmoid(x), np.full(x.shape, 0.3), weight=np.ones(4), reduction=r),
    "bce_with_logits": lambda x, r: L.binary_cross_entropy_with_logits(
        x, np.full(x.shape, 0.3), np.ones(4), r, pos_weight=np.full(4, 2.0)),
    "cross_entropy": lambda x, r: L.cross_entropy(x, np.array([0, 3, -100]), np.ones(4),
                                                  reduction=r, label_smoothing=0.1),
    "cross_entropy probabilities": lambda x, r: L.cross_entropy(x, np.full((3, 4), 0.25),
                                                                reduction=r),
    "nll_loss": lambda x, r: L.nll_loss(x, np.array([0, 3, -100]), np.ones(4), reduction=r),
}


@pytest.mark.parametrize("name", list(FLOAT32_CASES))
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_float32_in_float32_out_and_gradient(name, reduction):
    x = gs.tensor(np.random.default_rng(9).standard_normal((3, 4)).astype(np.float32),
                  requires_grad=True)
    out = FLOAT32_CASES[name](x, reduction)
    assert out.dtype == np.float32
    # call the loss node's backward directly: the engine would cast a leaf's gradient anyway
    grads = out.grad_fn.backward(np.ones(out.shape, np.float32))
    assert grads[0].dtype == np.float32


# ---------------------------------------------------------------- bad input
def raises(kind, *fragments):
    """pytest.raises for ``kind`` whose message contains every fragment, in order."""
    return pytest.raises(kind, match=".*".join(re.escape(f) for f in fragments))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss",
                                  "binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_pointwise_loss_shape_mismatch_names_both_shapes(name):
    with raises(ValueError, name, "(4,)", "(4, 1)"):
        getattr(L, name)(gs.full((4, 1), 0.5), gs.full((4,), 0.5))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss",
                                  "binary_cross_entropy", "binary_cross_entropy_with_logits",
                                  "cross_entropy", "nll_loss"])
def test_unknown_reduction_is_named(name):
    with raises(ValueError, name, "'average'"):
        getattr(L, name)(gs.full((2, 3), 0.5), gs.zeros(2, 3), reduction="average")


def test_binary_cross_entropy_names_values_outside_the_unit_interval():
    with raises(ValueError, "input", "[1.5, -0.25]"):
        L.binary_cross_entropy(gs.tensor([0.5, 1.5, -0.25]), gs.tensor([0.0, 1.0, 1.0]))
    with raises(ValueError, "target", "[2.0]"):
        L.binary_cross_entropy(gs.tensor([0.5, 0.5]), gs.tensor([0.0, 2.0]))


@pytest.mark.parametrize("name", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_bce_weight_that_does_not_broadcast_names_shapes(name):
    with raises(ValueError, "weight", "(3,)", "(2, 4)"):
        getattr(L, name)(gs.full((2, 4), 0.5), gs.full((2, 4), 0.5), weight=gs.ones(3))
    with raises(ValueError, "weight", "(2, 2, 4)", "(2, 4)"):  # would grow the loss
        getattr(L, name)(gs.full((2, 4), 0.5), gs.full((2, 4), 0.5), weight=gs.ones(2, 2, 4))


def test_bce_with_logits_pos_weight_that_does_not_broadcast_names_shapes():
    with raises(ValueError, "pos_weight", "(3,)", "(2, 4)"):
        L.binary_cross_entropy_with_logits(gs.zeros(2, 4), gs.zeros(2, 4), pos_weight=gs.ones(3))


def test_huber_and_smooth_l1_parameters_are_checked():
    with raises(ValueError, "huber_loss", "delta=0"):
        L.huber_loss(gs.zeros(2), gs.zeros(2), delta=0)
    with raises(ValueError, "smooth_l1_loss", "beta=-1"):
        L.smooth_l1_loss(gs.zeros(2), gs.zeros(2), beta=-1)


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("bad", [3, -1, 7])
def test_target_out_of_range_names_the_value_and_the_class_count(name, bad):
    with raises(IndexError, name, f"target {bad}", "3 classes"):
        getattr(L, name)(gs.zeros(4, 3), gs.tensor([0, bad, 2, -100]))


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_target_of_wrong_shape_names_both_shapes(name):
    with raises(ValueError, name, "(5,)", "(4, 3)", "(4,)"):
        getattr(L, name)(gs.zeros(4, 3), gs.tensor([0, 1, 2, 0, 1]))
    with raises(ValueError, name, "(4, 3)", "(4, 3, 2)", "(4, 2)"):
        getattr(L, name)(gs.zeros(4, 3, 2), gs.zeros(4, 3, dtype="int64"))


def test_cross_entropy_float_target_of_another_shape_names_both_shapes():
    with raises(ValueError, "cross_entropy", "(4, 3)", "(4,)"):
        L.cross_entropy(gs.zeros(4, 3), gs.tensor([0.0, 1.0, 2.0, 0.0]))


def test_cross_entropy_integer_target_of_the_input_shape_must_be_floating():
    with raises(TypeError, "cross_entropy", "(4, 3)", "int64"):
        L.cross_entropy(gs.zeros(4, 3), gs.zeros(4, 3, dtype="int64"))


def test_nll_loss_float_target_is_rejected():
    with raises(TypeError, "nll_loss", "float"):
        L.nll_loss(gs.zeros(4, 3), gs.zeros(4))


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_class_weight_of_wrong_shape_names_shapes(name):
    with raises(ValueError, name, "(3,)", "(2,)"):
        getattr(L, name)(gs.zeros(4, 3), gs.tensor([0, 1, 2, 0]), weight=gs.ones(2))


def test_cross_entropy_options_are_checked():
    with raises(ValueError, "label_smoothing", "1.5"):
        L.cross_entropy(gs.zeros(2, 3), gs.tensor([0, 1]), label_smoothing=1.5)
    with raises(ValueError, "ignore_index=0", "(2, 3)"):
        L.cross_entropy(gs.zeros(2, 3), gs.full((2, 3), 1 / 3), ignore_index=0)
    with raises(ValueError, "cross_entropy", "0-d"):
        L.cross_entropy(gs.tensor(1.0), gs.tensor(0))
