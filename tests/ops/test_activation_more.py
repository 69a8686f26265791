"""The activations of issue 10 (relu6, hardtanh, hardswish, hardsigmoid, mish, selu, celu,
logsigmoid, softsign, softmin, glu, prelu, threshold, tanhshrink, softshrink, hardshrink, rrelu)
and the inplace= arguments: values and gradients against torch on hypothesis shapes, at the
kinks and at inf/NaN, gradchecks, the Tensor methods, in-place twins and bad input."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import gradsheet as gs
import gradsheet.nn.functional as GF
from tests.helpers import check_against_torch, check_gradients, random_inputs, torch_or_skip

torch = torch_or_skip()
F = torch.nn.functional

# name -> (gradsheet, torch); elementwise ones
POINTWISE = {
    "relu6": (GF.relu6, F.relu6),
    "hardtanh": (GF.hardtanh, F.hardtanh),
    "hardtanh -2 0.5": (lambda x: GF.hardtanh(x, -2.0, 0.5), lambda x: F.hardtanh(x, -2.0, 0.5)),
    "hardswish": (GF.hardswish, F.hardswish),
    "hardsigmoid": (GF.hardsigmoid, F.hardsigmoid),
    "mish": (GF.mish, F.mish),
    "selu": (GF.selu, F.selu),
    "torch.selu": (gs.selu, torch.selu),
    "celu": (GF.celu, F.celu),
    "celu 0.5": (lambda x: GF.celu(x, 0.5), lambda x: F.celu(x, 0.5)),
    "torch.celu 2": (lambda x: gs.celu(x, alpha=2.0), lambda x: torch.celu(x, alpha=2.0)),
    "logsigmoid": (GF.logsigmoid, F.logsigmoid),
    "softsign": (GF.softsign, F.softsign),
    "threshold 0.5 -2": (lambda x: GF.threshold(x, 0.5, -2.0), lambda x: F.threshold(x, 0.5, -2.0)),
    "torch.threshold": (lambda x: gs.threshold(x, 1.0, 3.0), lambda x: torch.threshold(x, 1.0, 3.0)),
    "tanhshrink": (GF.tanhshrink, F.tanhshrink),
    "softshrink": (GF.softshrink, F.softshrink),
    "softshrink 1": (lambda x: GF.softshrink(x, 1.0), lambda x: F.softshrink(x, 1.0)),
    "hardshrink": (GF.hardshrink, F.hardshrink),
    "hardshrink 1": (lambda x: gs.hardshrink(x, lambd=1.0), lambda x: torch.hardshrink(x, lambd=1.0)),
    "method hardshrink": (lambda x: x.hardshrink(0.3), lambda x: x.hardshrink(0.3)),
    "rrelu eval": (GF.rrelu, F.rrelu),
    "rrelu eval 0.2 0.6": (lambda x: gs.rrelu(x, 0.2, 0.6), lambda x: torch.rrelu(x, 0.2, 0.6)),
    "prelu 1": (lambda x: GF.prelu(x, gs.tensor([0.25], dtype="float64")),
                lambda x: F.prelu(x, torch.tensor([0.25], dtype=torch.float64))),
    "leaky_relu": (GF.leaky_relu, F.leaky_relu),
    "elu": (GF.elu, F.elu),
}
# a kink at these points (central differences across a kink are meaningless)
KINKS = [-3.0, -2.0, -1.0, -0.5, 0.0, 0.3, 0.5, 1.0, 3.0, 6.0]
EDGES = np.array([-np.inf, -1000.0, -30.0, -6.0, -3.0, -2.0, -1.0, -0.5, -1e-3, 0.0, 1e-3, 0.3,
                  0.5, 1.0, 3.0, 6.0, 30.0, 1000.0, np.inf, np.nan])

shapes = array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)


def _away_from_kinks(a):
    """Move values within 0.01 of a kink away from it (gradcheck needs smooth neighbourhoods)."""
    for k in KINKS:
        near = np.abs(a - k) < 0.01
        a = np.where(near, k + 0.05, a)
    return a


@pytest.mark.parametrize("name", list(POINTWISE))
@settings(max_examples=8, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_pointwise_matches_torch_on_drawn_shapes(name, shape, seed):
    gs_fn, torch_fn = POINTWISE[name]
    a = _away_from_kinks(3.0 * random_inputs([shape], seed=seed)[0])
    check_against_torch(gs_fn, torch_fn, [a])


@pytest.mark.parametrize("name", list(POINTWISE))
def test_pointwise_gradcheck(name):
    gs_fn, _ = POINTWISE[name]
    a = _away_from_kinks(3.0 * random_inputs([(3, 5)], seed=len(name))[0])
    check_gradients(gs_fn, [a])


@pytest.mark.parametrize("name", list(POINTWISE))
def test_pointwise_at_kinks_infinities_and_nan_matches_torch(name):
    gs_fn, torch_fn = POINTWISE[name]
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        check_against_torch(gs_fn, torch_fn, [EDGES])


@pytest.mark.parametrize("name", list(POINTWISE))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pointwise_keeps_the_dtype(name, dtype):
    gs_fn, _ = POINTWISE[name]
    if name.startswith("prelu"):
        gs_fn = lambda x: GF.prelu(x, gs.tensor([0.25], dtype=dtype))  # noqa: E731
    x = gs.randn(3, 4, dtype=dtype, requires_grad=True)
    y = gs_fn(x)
    assert y.dtype == dtype
    (y * y).sum().backward()
    assert x.grad.dtype == dtype


@pytest.mark.parametrize("gs_fn, torch_fn", [
    (GF.relu6, F.relu6), (GF.hardtanh, F.hardtanh),
    (lambda x: GF.threshold(x, 2, 0), lambda x: F.threshold(x, 2, 0)),
    (GF.softsign, F.softsign), (GF.tanhshrink, F.tanhshrink),
])
def test_integer_inputs_keep_or_promote_the_dtype_as_torch(gs_fn, torch_fn):
    values = [-4, -1, 0, 1, 2, 7]
    ours, theirs = gs_fn(gs.tensor(values)), torch_fn(torch.tensor(values))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.array, theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("fn", [GF.hardswish, GF.hardsigmoid, GF.mish, GF.selu, GF.celu,
                                GF.logsigmoid, GF.softshrink, GF.hardshrink, GF.rrelu])
def test_integer_inputs_raise_where_torch_has_no_integer_kernel(fn):
    with pytest.raises(TypeError, match=r"^\w+: expects a floating-point tensor, got int64"):
        fn(gs.tensor([1, 2]))


# ---------------------------------------------------------------- softmin, glu, prelu
@settings(max_examples=15, deadline=None)
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4), data=st.data())
def test_softmin_matches_torch(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    a = random_inputs([shape], seed=sum(shape))[0]
    check_against_torch(lambda x: GF.softmin(x, dim), lambda x: F.softmin(x, dim), [a])
    if all(shape):
        check_gradients(lambda x: GF.softmin(x, dim=dim), [a])


def test_softmin_dtype_casts_first_and_needs_a_dim():
    x = gs.randn(2, 3)
    assert GF.softmin(x, 1, dtype=gs.float64).dtype == "float64"
    np.testing.assert_allclose(GF.softmin(x, 1).array, F.softmin(torch.tensor(x.array), 1).numpy(),
                               rtol=1e-6)
    with pytest.raises(TypeError, match="softmin: pass dim="):
        GF.softmin(x)
    with pytest.raises(IndexError, match=r"softmin: dim 2 is out of range for shape \(2, 3\)"):
        GF.softmin(x, 2)


@settings(max_examples=15, deadline=None)
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3), data=st.data())
def test_glu_matches_torch(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    shape = list(shape)
    shape[dim] *= 2
    a = random_inputs([tuple(shape)], seed=sum(shape))[0]
    check_against_torch(lambda x: GF.glu(x, dim), lambda x: F.glu(x, dim), [a])
    if all(shape):
        check_gradients(lambda x: GF.glu(x, dim), [a])


def test_glu_default_dim_is_last_and_bad_input_raises():
    a = random_inputs([(2, 4)])[0]
    check_against_torch(GF.glu, F.glu, [a])
    with pytest.raises(RuntimeError, match="glu: Halving dimension must be even, but dimension 1 "
                                           r"is size 3 \(input shape \(2, 3\)\)"):
        GF.glu(gs.ones(2, 3))
    with pytest.raises(RuntimeError, match="glu: glu does not support scalars"):
        GF.glu(gs.tensor(1.0))
    with pytest.raises(IndexError, match=r"glu: dim 5 is out of range for shape \(2, 4\)"):
        GF.glu(gs.ones(2, 4), 5)


@pytest.mark.parametrize("input_shape, weight_shape", [
    ((5, 3), (3,)), ((2, 3, 4), (3,)), ((2, 3, 2, 2), (3,)), ((2, 3, 4), (1,)), ((4,), (1,)),
    ((), (1,)), ((), ()), ((2, 3), ()), ((0, 3), (3,)), ((2, 3, 0), (3,)),
])
def test_prelu_matches_torch_with_the_gradient_to_the_weight(input_shape, weight_shape):
    x, w = random_inputs([input_shape, weight_shape], seed=len(input_shape))
    w = np.abs(w) * 0.3
    check_against_torch(GF.prelu, F.prelu, [x, w])
    check_against_torch(lambda a, b: a.prelu(b), lambda a, b: a.prelu(b), [x, w])
    check_against_torch(gs.prelu, torch.prelu, [x, w])
    if np.prod(input_shape):
        check_gradients(GF.prelu, [_away_from_kinks(x), w])


def test_prelu_bad_weight_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"prelu: Mismatch of parameter numbers and input channel "
                                           r"size. Found parameter numbers = 4 and channel size = 3 "
                                           r"\(input shape \(2, 3, 4\), weight shape \(4,\)\)"):
        GF.prelu(gs.ones(2, 3, 4), gs.ones(4))
    with pytest.raises(RuntimeError, match=r"prelu: Expected `weight` to be a scalar or 1D tensor, "
                                           r"but got: ndim = 2 \(weight shape \(1, 3\)\)"):
        GF.prelu(gs.ones(2, 3), gs.ones(1, 3))
    with pytest.raises(RuntimeError, match="channel size = 1"):
        GF.prelu(gs.ones(3), gs.ones(3))


# ---------------------------------------------------------------- rrelu in training
def test_rrelu_training_draws_a_slope_per_negative_element_and_its_gradient_is_that_slope():
    gs.manual_seed(0)
    n = 100_000
    x = gs.tensor(-np.abs(np.random.default_rng(0).standard_normal(n)) - 0.1, requires_grad=True)
    lower, upper = 0.1, 0.4
    y = GF.rrelu(x, lower, upper, training=True)
    slopes = y.array / x.array
    assert slopes.min() >= lower and slopes.max() <= upper
    # U(lower, upper): mean (l + u) / 2, sd (u - l) / sqrt(12); six standard errors
    assert abs(slopes.mean() - (lower + upper) / 2) <= 6 * (upper - lower) / np.sqrt(12 * n)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.array, slopes, rtol=1e-12)
    positive = gs.tensor([0.5, 2.0], requires_grad=True)
    out = GF.rrelu(positive, training=True)
    out.sum().backward()
    assert out.array.tolist() == [0.5, 2.0] and positive.grad.array.tolist() == [1.0, 1.0]


def test_rrelu_training_is_reproducible_with_manual_seed_and_gradchecks_with_a_fixed_draw():
    x = gs.randn(50)
    gs.manual_seed(7)
    first = GF.rrelu(x, training=True).array
    gs.manual_seed(7)
    np.testing.assert_array_equal(GF.rrelu(x, training=True).array, first)

    def fixed(t):
        gs.manual_seed(3)
        return GF.rrelu(t, training=True)
    check_gradients(fixed, [_away_from_kinks(random_inputs([(4, 3)])[0])])


def test_rrelu_at_zero_in_training_takes_the_negative_branch_as_torch():
    x = gs.tensor([0.0], requires_grad=True)
    GF.rrelu(x, 0.2, 0.2, training=True).sum().backward()
    t = torch.tensor([0.0], requires_grad=True)
    F.rrelu(t, 0.2, 0.2, training=True).sum().backward()
    np.testing.assert_allclose(x.grad.array, t.grad.numpy(), rtol=1e-6)


# ---------------------------------------------------------------- inplace= and the _ twins
INPLACE = {
    "relu": (lambda x: GF.relu(x, inplace=True), lambda x: F.relu(x, inplace=True)),
    "relu_": (GF.relu_, F.relu_),
    "torch.relu_": (gs.relu_, torch.relu_),
    "leaky_relu": (lambda x: GF.leaky_relu(x, 0.2, True), lambda x: F.leaky_relu(x, 0.2, True)),
    "leaky_relu_": (lambda x: GF.leaky_relu_(x, 0.2), lambda x: F.leaky_relu_(x, 0.2)),
    "elu": (lambda x: GF.elu(x, 0.5, inplace=True), lambda x: F.elu(x, 0.5, inplace=True)),
    "elu_": (GF.elu_, F.elu_),
    "silu": (lambda x: GF.silu(x, inplace=True), lambda x: F.silu(x, inplace=True)),
    "relu6": (lambda x: GF.relu6(x, inplace=True), lambda x: F.relu6(x, inplace=True)),
    "hardtanh": (lambda x: GF.hardtanh(x, inplace=True), lambda x: F.hardtanh(x, inplace=True)),
    "hardtanh_": (lambda x: GF.hardtanh_(x, -0.5, 0.5), lambda x: F.hardtanh_(x, -0.5, 0.5)),
    "hardswish": (lambda x: GF.hardswish(x, True), lambda x: F.hardswish(x, True)),
    "hardsigmoid": (lambda x: GF.hardsigmoid(x, True), lambda x: F.hardsigmoid(x, True)),
    "mish": (lambda x: GF.mish(x, inplace=True), lambda x: F.mish(x, inplace=True)),
    "selu": (lambda x: GF.selu(x, inplace=True), lambda x: F.selu(x, inplace=True)),
    "selu_": (GF.selu_, F.selu_),
    "torch.selu_": (gs.selu_, torch.selu_),
    "celu": (lambda x: GF.celu(x, 2.0, True), lambda x: F.celu(x, 2.0, True)),
    "celu_": (GF.celu_, F.celu_),
    "torch.celu_": (lambda x: gs.celu_(x, 0.5), lambda x: torch.celu_(x, 0.5)),
    "threshold": (lambda x: GF.threshold(x, 0.1, 9.0, True), lambda x: F.threshold(x, 0.1, 9.0, True)),
    "threshold_": (lambda x: GF.threshold_(x, 0.1, 9.0), lambda x: F.threshold_(x, 0.1, 9.0)),
    "torch.threshold_": (lambda x: gs.threshold_(x, 0.1, 9.0), lambda x: torch.threshold_(x, 0.1, 9.0)),
    "rrelu": (lambda x: GF.rrelu(x, inplace=True), lambda x: F.rrelu(x, inplace=True)),
    "rrelu_": (GF.rrelu_, F.rrelu_),
    "torch.rrelu_": (gs.rrelu_, torch.rrelu_),
    "method relu_": (lambda x: x.relu_(), lambda x: x.relu_()),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_writes_into_the_input_and_differentiates_as_torch(name):
    gs_fn, torch_fn = INPLACE[name]
    a = _away_from_kinks(2.0 * random_inputs([(3, 4)], seed=len(name))[0])
    x = gs.tensor(a)
    assert gs_fn(x) is x
    t = torch.tensor(a)
    torch_fn(t)
    np.testing.assert_allclose(x.array, t.numpy(), rtol=1e-6)
    # through a non-leaf (a clone), the gradient reaches the leaf, as in torch
    check_against_torch(lambda v: gs_fn(v * 1.0), lambda v: torch_fn(v * 1.0), [a])


def test_inplace_on_a_leaf_that_requires_grad_raises():
    with pytest.raises(RuntimeError, match="hardtanh_: a leaf tensor that requires grad"):
        GF.hardtanh_(gs.randn(3, requires_grad=True))


# ---------------------------------------------------------------- bad arguments
def test_bad_arguments_name_the_values():
    x = gs.randn(3)
    with pytest.raises(ValueError, match="hardtanh: min_val cannot be greater than max_val, got "
                                         "min_val=2.0 and max_val=1.0"):
        GF.hardtanh(x, 2.0, 1.0)
    with pytest.raises(RuntimeError, match="celu: ZeroDivisionError: alpha cannot be 0"):
        GF.celu(x, 0.0)
    with pytest.raises(RuntimeError, match=r"softshrink: lambda must be greater or equal to 0, got "
                                           r"lambd=-1.0"):
        GF.softshrink(x, -1.0)
    with pytest.raises(RuntimeError, match="rrelu: Lower bound should be less than or equal to the "
                                           "upper bound, got lower=0.5 and upper=0.1"):
        GF.rrelu(x, 0.5, 0.1)


def test_hardshrink_accepts_a_negative_lambda_as_torch():
    a = random_inputs([(5,)])[0]
    check_against_torch(lambda x: GF.hardshrink(x, -1.0), lambda x: F.hardshrink(x, -1.0), [a])


def test_torch_level_names_exist_in_torch():
    for name in ["selu", "selu_", "celu", "celu_", "prelu", "threshold", "threshold_",
                 "hardshrink", "rrelu", "rrelu_", "relu_"]:
        assert hasattr(torch, name) and getattr(gs, name) is getattr(GF, name)
