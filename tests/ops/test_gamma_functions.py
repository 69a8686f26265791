"""lgamma, digamma and polygamma against torch: values and gradients on drawn shapes (0-d and
zero-size included), at the edges (0, -0, negative integers and half-integers, +-inf, NaN),
dtypes, methods, in-place twins, gradchecks and errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import gradsheet as gs
from tests.helpers import check_against_torch, check_gradients, torch_or_skip
from tests.ops.elementwise_edges import check_edges

torch = torch_or_skip()
pytest.importorskip("scipy.special")

shapes = array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)

# negative non-integers included: lgamma is log|Gamma| there, digamma is smooth
EDGE = np.array([-np.inf, -3.5, -2.5, -2.0, -1.0, -0.5, -0.0, 0.0, 1e-300, 1e-8, 0.5, 1.0, 1.5,
                 2.0, 10.0, 171.5, 1e10, 1e300, np.inf, np.nan])


def _draw(shape, seed, low=0.05, high=8.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def _polygamma_fn(n, lib):
    return lambda x: lib.polygamma(n, x)


@pytest.mark.parametrize("name", ["lgamma", "digamma"])
@settings(max_examples=8, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**16), negative=st.booleans())
def test_values_and_gradients_match_torch_on_drawn_shapes(name, shape, seed, negative):
    x = _draw(shape, seed)
    if negative:  # between the poles: -k - u with u in (0.05, 0.95)
        x = -np.floor(x) - np.random.default_rng(seed + 1).uniform(0.05, 0.95, size=shape)
    check_against_torch(getattr(gs, name), getattr(torch, name), [x], rtol=1e-8)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
@settings(max_examples=5, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_polygamma_matches_torch_on_drawn_shapes(n, shape, seed):
    check_against_torch(_polygamma_fn(n, gs), _polygamma_fn(n, torch), [_draw(shape, seed)],
                        rtol=1e-8)


@pytest.mark.parametrize("name", ["lgamma", "digamma"])
def test_edges_match_torch(name):
    check_edges(getattr(gs, name), getattr(torch, name), [EDGE], zero_signs=True,
                grad=name == "lgamma")
    # digamma's gradient, trigamma, at the negative integers: torch's series gives a huge
    # finite number there, SciPy inf (a pole): those points are compared for values only
    check_edges(getattr(gs, name), getattr(torch, name), [EDGE[~np.isin(EDGE, [-2.0, -1.0])]])


@pytest.mark.parametrize("n", [1, 2, 3])
def test_polygamma_edges_match_torch(n):
    # at the negative integers torch's trigamma gives a huge finite number (its series at a
    # pole), SciPy's inf: those points are left out for n = 1
    edge = EDGE if n != 1 else EDGE[~np.isin(EDGE, [-2.0, -1.0])]
    check_edges(_polygamma_fn(n, gs), _polygamma_fn(n, torch), [edge], grad=n < 3)


def test_polygamma_order_zero_is_digamma():
    x = gs.tensor(_draw((3, 4), 0))
    np.testing.assert_array_equal(gs.polygamma(0, x).array, gs.digamma(x).array)


@pytest.mark.parametrize("name", ["lgamma", "digamma"])
def test_gradcheck(name):
    check_gradients(getattr(gs, name), [_draw((2, 3), 1)])
    check_gradients(getattr(gs, name), [-_draw((2, 3), 2, 0.1, 0.9) - 1.0])


def test_polygamma_gradcheck():
    check_gradients(lambda x: gs.polygamma(2, x), [_draw((2, 3), 3, 0.3, 5.0)])


def test_second_derivative_through_polygamma_matches_torch():
    x = gs.tensor([0.7, 2.5], dtype=gs.float64, requires_grad=True)
    y = gs.digamma(x)
    # gradsheet's backward is not itself differentiated: compare polygamma(1)'s own gradient
    gs.polygamma(1, x).sum().backward()
    t = torch.tensor([0.7, 2.5], dtype=torch.float64, requires_grad=True)
    torch.polygamma(1, t).sum().backward()
    np.testing.assert_allclose(x.grad.array, t.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(y.array, torch.digamma(t).detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool", "float16"])
def test_dtypes_match_torch(dtype):
    values = np.array([1, 2, 3]) if dtype != "bool" else np.array([True, False])
    for name in ("lgamma", "digamma"):
        out = getattr(gs, name)(gs.tensor(values, dtype=dtype))
        expected = getattr(torch, name)(torch.tensor(values, dtype=getattr(torch, dtype)))
        assert str(out.dtype) == str(expected.dtype).replace("torch.", "")
        np.testing.assert_allclose(out.array.astype(np.float64),
                                   expected.double().numpy(), rtol=1e-3)
    out = gs.polygamma(1, gs.tensor(values, dtype=dtype))
    expected = torch.polygamma(1, torch.tensor(values, dtype=getattr(torch, dtype)))
    assert str(out.dtype) == str(expected.dtype).replace("torch.", "")


def test_methods_and_in_place_twins():
    values = np.array([0.3, 1.7, 4.2])
    x = gs.tensor(values)
    t = torch.tensor(values)
    np.testing.assert_allclose(x.lgamma().array, t.lgamma().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.digamma().array, t.digamma().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.polygamma(2).array, t.polygamma(2).numpy(), rtol=1e-12)
    for name, args in (("lgamma_", ()), ("digamma_", ()), ("polygamma_", (1,))):
        a, b = gs.tensor(values), torch.tensor(values)
        result = getattr(a, name)(*args)
        getattr(b, name)(*args)
        assert result is a
        np.testing.assert_allclose(a.array, b.numpy(), rtol=1e-8)  # torch: trigamma ~1e-10


def test_in_place_on_a_leaf_that_requires_grad_raises():
    x = gs.tensor([1.5], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x.lgamma_()


def test_bad_inputs_raise():
    with pytest.raises(TypeError, match="lgamma: argument 'input' must be a Tensor"):
        gs.lgamma([1.0, 2.0])
    with pytest.raises(TypeError, match="digamma: argument 'input' must be a Tensor"):
        gs.digamma(2.0)
    with pytest.raises(RuntimeError, match="polygamma: n must be >= 0"):
        gs.polygamma(-1, gs.tensor([1.0]))
    with pytest.raises(RuntimeError):  # torch raises too
        torch.polygamma(-1, torch.tensor([1.0]))
    with pytest.raises(TypeError, match="polygamma: n must be an int"):
        gs.polygamma(1.5, gs.tensor([1.0]))
