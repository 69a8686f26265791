"""The activation layers of issue 11 (PReLU, ReLU6, Hardtanh, ..., Softmax2d) against torch's:
values and input/parameter gradients in float64, reprs, state dicts, in-place flags, RReLU's
random slopes, errors."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import gradsheet as gs
from gradsheet import nn
from tests.helpers import check_gradients, torch_or_skip
from tests.nn.layer_compare import compare_layers

torch = torch_or_skip()

# (name, args, kwargs): elementwise layers, any shape
ELEMENTWISE = [
    ("ReLU6", (), {}), ("Hardtanh", (), {}), ("Hardtanh", (-2.0, 0.5), {}),
    ("Hardswish", (), {}), ("Hardsigmoid", (), {}), ("Mish", (), {}), ("SELU", (), {}),
    ("CELU", (), {}), ("CELU", (0.5,), {}), ("LogSigmoid", (), {}), ("Softsign", (), {}),
    ("Threshold", (0.1, 20.0), {}), ("Threshold", (-1.0, -3.0), {}), ("Tanhshrink", (), {}),
    ("Softshrink", (), {}), ("Softshrink", (1.5,), {}), ("Hardshrink", (), {}),
    ("Hardshrink", (0.25,), {}), ("RReLU", (), {}), ("RReLU", (0.2, 0.4), {}),
    ("PReLU", (), {}), ("PReLU", (), {"init": -0.3}),
]
EDGES = np.array([-np.inf, -6.0, -3.0, -1.5, -1.0, -0.5, -0.25, 0.0, 0.1, 0.25, 0.5, 1.0, 1.5,
                  3.0, 6.0, 20.0, np.inf, np.nan])


def _layers(name, args, kwargs):
    return getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


@pytest.mark.parametrize("name, args, kwargs", ELEMENTWISE)
@settings(max_examples=8, deadline=None)
@given(shape=array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
       seed=st.integers(0, 2**16))
def test_elementwise_layer_matches_torch_on_drawn_shapes(name, args, kwargs, shape, seed):
    ours, theirs = _layers(name, args, kwargs)
    ours.eval(), theirs.eval()  # RReLU: the deterministic slope
    x = np.random.default_rng(seed).standard_normal(shape) * 4
    compare_layers(ours, theirs, [x])


@pytest.mark.parametrize("name, args, kwargs", ELEMENTWISE)
def test_elementwise_layer_at_edge_values(name, args, kwargs):
    ours, theirs = _layers(name, args, kwargs)
    ours.eval(), theirs.eval()
    compare_layers(ours, theirs, [EDGES])


@pytest.mark.parametrize("name, args, kwargs", [c for c in ELEMENTWISE if c[0] != "RReLU"])
def test_elementwise_layer_gradcheck(name, args, kwargs):
    layer = getattr(nn, name)(*args, **kwargs).double()
    # away from the kinks (0, +-lambd, +-1, +-3, 6, the thresholds)
    x = np.array([-5.1, -2.2, -1.3, -0.7, -0.4, 0.35, 0.7, 1.2, 2.2, 4.1, 7.3])
    check_gradients(layer, [x])


@pytest.mark.parametrize("name, dim, shape", [
    ("Softmin", 1, (3, 4)), ("Softmin", -1, (2, 3, 4)), ("Softmin", 0, (5,)),
    ("Softmin", 0, ()), ("Softmin", 1, (2, 0)), ("GLU", -1, (3, 4)), ("GLU", 0, (4, 3)),
    ("GLU", 1, (2, 6, 1)), ("GLU", -1, (0, 2))])
def test_dim_layers_match_torch(name, dim, shape):
    ours, theirs = getattr(nn, name)(dim), getattr(torch.nn, name)(dim)
    x = np.random.default_rng(3).standard_normal(shape) * 3
    compare_layers(ours, theirs, [x])


@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 3, 4, 5), (1, 1, 1, 1), (0, 3, 2, 2), (2, 1, 3)])
def test_softmax2d_matches_torch(shape):
    x = np.random.default_rng(4).standard_normal(shape) * 3
    compare_layers(nn.Softmax2d(), torch.nn.Softmax2d(), [x])


@pytest.mark.parametrize("ndim", [2, 5])
def test_softmax2d_rejects_other_ranks(ndim):
    x = gs.zeros(*(2,) * ndim)
    with pytest.raises(ValueError, match=f"Softmax2d: expected input to be 3D or 4D, got {ndim}D"):
        nn.Softmax2d()(x)
    with pytest.raises(ValueError):
        torch.nn.Softmax2d()(torch.zeros((2,) * ndim))


@pytest.mark.parametrize("num_parameters, shape", [
    (1, (4, 3)), (3, (4, 3)), (3, (2, 3, 5)), (2, (2, 2, 3, 3)), (1, ()), (1, (5,)),
    (1, (2, 3, 2, 2)), (4, (0, 4, 2))])
def test_prelu_matches_torch_with_weight_gradient(num_parameters, shape):
    ours, theirs = nn.PReLU(num_parameters, 0.1), torch.nn.PReLU(num_parameters, 0.1)
    with torch.no_grad():  # distinct slopes per channel
        theirs.weight.copy_(torch.linspace(-0.5, 0.8, num_parameters))
    x = np.random.default_rng(5).standard_normal(shape) * 2
    compare_layers(ours, theirs, [x])


def test_prelu_parameter_state_dict_and_dtype():
    layer = nn.PReLU(3, init=0.4, dtype=gs.float64)
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert layer.weight.shape == (3,) and layer.weight.dtype == np.float64
    np.testing.assert_array_equal(layer.weight.array, [0.4] * 3)
    assert layer.init == 0.4 and layer.num_parameters == 3
    assert nn.PReLU().weight.dtype == gs.get_default_dtype()
    layer.weight.array[:] = 1.0
    layer.reset_parameters()
    np.testing.assert_array_equal(layer.weight.array, [0.4] * 3)
    with pytest.raises(RuntimeError, match="PReLU: gradsheet has no CUDA device"):
        nn.PReLU(device="cuda")


def test_prelu_gradcheck_in_weight_and_input():
    x = np.array([[-1.3, 0.7, -0.2], [2.1, -0.8, 0.4]])
    w = np.array([0.3, -0.6, 0.9])
    check_gradients(lambda a, b: gs.nn.functional.prelu(a, b), [x, w])


def test_prelu_channel_mismatch_raises():
    with pytest.raises(RuntimeError, match="prelu: Mismatch of parameter numbers and input "
                                           "channel size. Found parameter numbers = 3 and "
                                           "channel size = 4"):
        nn.PReLU(3)(gs.zeros(2, 4))


LAYERS_WITH_REPRS = [
    "ReLU6()", "ReLU6(inplace=True)", "Hardtanh()", "Hardtanh(-2, 3, True)", "Hardswish()",
    "Hardswish(True)", "Hardsigmoid(inplace=True)", "Mish()", "Mish(True)", "SELU()",
    "SELU(inplace=True)", "CELU()", "CELU(0.5, True)", "LogSigmoid()", "Softsign()", "Softmin()",
    "Softmin(dim=1)", "GLU()", "GLU(0)", "Threshold(0.1, 20)", "Threshold(0.1, 20, True)",
    "Tanhshrink()", "Softshrink()", "Softshrink(2)", "Hardshrink(0.3)", "RReLU()",
    "RReLU(0.1, 0.3, True)", "Softmax2d()", "PReLU()", "PReLU(3, 0.1)",
]


@pytest.mark.parametrize("expression", LAYERS_WITH_REPRS)
def test_repr_and_attributes_match_torch(expression):
    ours, theirs = eval("nn." + expression), eval("torch.nn." + expression)
    assert repr(ours) == repr(theirs)
    attributes = {k: v for k, v in vars(theirs).items() if not k.startswith("_")}
    for key, value in attributes.items():
        assert getattr(ours, key) == value, key


@pytest.mark.parametrize("name, args", [
    ("ReLU6", ()), ("Hardtanh", (-0.5, 0.5)), ("Hardswish", ()), ("Hardsigmoid", ()),
    ("Mish", ()), ("SELU", ()), ("CELU", (0.7,)), ("Threshold", (0.2, -1.0)), ("RReLU", ())])
def test_inplace_layers_write_into_their_input_as_torch(name, args):
    a = np.random.default_rng(6).standard_normal((3, 4)) * 4
    ours = getattr(nn, name)(*args, inplace=True).eval()
    theirs = getattr(torch.nn, name)(*args, inplace=True).eval()
    x, t = gs.tensor(a), torch.tensor(a)
    y, u = ours(x), theirs(t)
    np.testing.assert_allclose(x.array, t.numpy(), rtol=1e-6)
    np.testing.assert_allclose(y.array, u.numpy(), rtol=1e-6)
    # through a graph: the in-place result and the gradient of the op before it
    xa, ta = gs.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ours(xa * 2).sum().backward()
    theirs(ta * 2).sum().backward()
    np.testing.assert_allclose(xa.grad.array, ta.grad.numpy(), rtol=1e-6, atol=1e-12)


def test_rrelu_training_draws_slopes_in_its_range():
    gs.manual_seed(0)
    lower, upper = 0.1, 0.3
    layer = nn.RReLU(lower, upper)
    assert layer.training
    x = gs.tensor(-np.ones(40000), requires_grad=True)
    y = layer(x)
    slopes = -y.array
    assert slopes.min() >= lower and slopes.max() <= upper
    # U(lower, upper): mean (l + u) / 2, sd (u - l) / sqrt(12); 6-sigma bounds on the mean
    sd = (upper - lower) / math.sqrt(12)
    assert abs(slopes.mean() - 0.2) < 6 * sd / math.sqrt(slopes.size)
    assert abs(slopes.std() - sd) < 0.05 * sd
    y.sum().backward()
    np.testing.assert_allclose(x.grad.array, slopes, rtol=1e-6)  # the same slope per element
    positive = gs.tensor(np.arange(1.0, 6.0))
    np.testing.assert_array_equal(layer(positive).array, positive.array)
    layer.eval()
    np.testing.assert_allclose(layer(gs.tensor([-2.0])).array, [-0.4], rtol=1e-6)


def test_hardtanh_checks_and_deprecated_names():
    with pytest.raises(AssertionError, match=r"Hardtanh: max_val \(1\) must be greater than "
                                             r"min_val \(1\)"):
        nn.Hardtanh(1, 1)
    with pytest.warns(FutureWarning, match="`min_value` is deprecated"):
        layer = nn.Hardtanh(min_value=-3.0)
    assert layer.min_val == -3.0
    with pytest.warns(FutureWarning, match="`max_value` is deprecated"):
        assert nn.Hardtanh(max_value=2.0).max_val == 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert repr(nn.Hardtanh(min_value=-3.0)) == repr(torch.nn.Hardtanh(min_value=-3.0))


@pytest.mark.parametrize("layer, match", [
    (lambda: nn.Softshrink(-1.0), "softshrink: lambda must be greater or equal to 0"),
    (lambda: nn.CELU(0.0), "celu: ZeroDivisionError: alpha cannot be 0"),
    (lambda: nn.RReLU(0.5, 0.1), "rrelu: Lower bound should be less than or equal to the upper"),
    (lambda: nn.GLU(0), "glu: Halving dimension must be even, but dimension 0 is size 3"),
])
def test_bad_arguments_raise_in_forward_as_torch(layer, match):
    with pytest.raises(RuntimeError, match=match):
        layer()(gs.zeros(3, 2))


def test_glu_bad_dim_raises_index_error():
    with pytest.raises(IndexError, match="glu: dim 2 is out of range"):
        nn.GLU(2)(gs.zeros(2, 2))
