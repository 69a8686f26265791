"""Unary elementwise math against torch: values and gradients on hypothesis shapes (0-d and
zero-size included), at the edges (0, -0, +-1, +-inf, NaN), dtypes, methods, in-place twins,
gradchecks and errors."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import gradsheet as gs
from gradsheet.ops import unary
from tests.helpers import check_against_torch, check_gradients, torch_or_skip
from tests.ops.elementwise_edges import EDGES, check_edges

torch = torch_or_skip()
scipy_special = pytest.importorskip("scipy.special")

# name -> the domain its random inputs come from (differentiable inside it)
DOMAINS = {"any": (-3.0, 3.0), "unit": (-0.95, 0.95), "positive": (0.1, 4.0),
           "above1": (1.1, 4.0), "probability": (0.05, 0.95), "small": (-1.2, 1.2)}
SMOOTH = {
    "sin": "any", "cos": "any", "tan": "small", "asin": "unit", "acos": "unit", "atan": "any",
    "sinh": "any", "cosh": "any", "asinh": "any", "acosh": "above1", "atanh": "unit",
    "arcsin": "unit", "arccos": "unit", "arctan": "any", "arcsinh": "any", "arccosh": "above1",
    "arctanh": "unit", "rsqrt": "positive", "log1p": "positive", "expm1": "any",
    "log2": "positive", "log10": "positive", "exp2": "any", "erf": "any", "erfc": "any",
    "erfinv": "unit", "reciprocal": "positive", "square": "any", "deg2rad": "any",
    "rad2deg": "any", "sinc": "any", "logit": "probability", "i0": "any", "frac": "any",
    "nan_to_num": "any",
}
FLAT = ["sign", "sgn", "floor", "ceil", "round", "trunc", "fix"]
TESTS = ["isnan", "isinf", "isposinf", "isneginf", "isfinite", "isreal", "signbit"]
ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
           "arccosh": "acosh", "arctanh": "atanh", "fix": "trunc"}

shapes = array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)


def draw(shape, domain, seed):
    low, high = DOMAINS[domain]
    return np.random.default_rng(seed).uniform(low, high, size=shape)


@pytest.mark.parametrize("name", list(SMOOTH) + FLAT)
@settings(max_examples=6, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_values_and_gradients_match_torch_on_drawn_shapes(name, shape, seed):
    domain = SMOOTH.get(name, "any")
    torch_fn = getattr(torch, name)
    if name == "sgn":  # torch's gradient of sgn is a ZeroTensor, which has no .numpy()
        def torch_fn(x):
            return torch.sgn(x) + 0 * x
    check_against_torch(getattr(gs, name), torch_fn, [draw(shape, domain, seed)])


@pytest.mark.parametrize("name", list(SMOOTH))
def test_gradcheck(name):
    x = draw((2, 3), SMOOTH[name], seed=len(name))
    if name == "frac":  # away from the integers, where frac jumps
        x = np.floor(x) + np.random.default_rng(0).uniform(0.2, 0.8, size=x.shape)
    check_gradients(getattr(gs, name), [x])


EXTRA = np.array([1e-200, -1e-200, 0.25, 0.75, 1e-7, -1e-7, 30.0, -30.0, 710.0, 0.999999,
                  -0.999999, 3.5, -3.5, 1e300])
EDGE_VALUES = np.concatenate([EDGES, EXTRA])


# torch's vectorised float64 sinh/cosh (its AVX2 kernel) overflows to inf from about 709.8,
# although sinh(710) = cosh(710) = 1.117e308 is finite (torch's scalar path gives it): there the
# reference is math's value
SIMD_OVERFLOW = {"sinh": (710.0, math.sinh), "cosh": (710.0, math.cosh)}


@pytest.mark.parametrize("name", [n for n in list(SMOOTH) + FLAT if n != "logit"])
def test_values_and_gradients_match_torch_at_the_edges(name):
    values = EDGE_VALUES
    if name in SIMD_OVERFLOW:
        point, exact = SIMD_OVERFLOW[name]
        values = values[values != point]
        at_point = getattr(gs, name)(gs.tensor([point], dtype=gs.float64)).item()
        assert at_point == pytest.approx(exact(point), rel=1e-12)
    check_edges(getattr(gs, name), getattr(torch, name), [values], zero_signs=True)


@pytest.mark.parametrize("eps", [None, 0.1, 0.0, -0.5, 0.6])
def test_logit_at_the_edges_matches_torch(eps):
    # torch's logit backward gives 1/(x(1-x)) on its vectorised path but its scalar formula
    # (dy * inf at 0 and 1; NaN's gradient NaN with eps) on short tensors and tails: gradsheet
    # gives the scalar formula everywhere, so compare on chunks short enough for that path
    for chunk in np.array_split(np.concatenate([EDGE_VALUES, [0.05, 0.1, 0.9, 0.95]]), 6):
        check_edges(lambda x: gs.logit(x, eps=eps), lambda x: torch.logit(x, eps=eps), [chunk],
                    zero_signs=True)


@pytest.mark.parametrize("decimals", [0, 1, 2, 3, -1, -2])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_decimals_halves_to_even_as_torch(decimals, dtype):
    rng = np.random.default_rng(decimals + 10)
    x = np.concatenate([rng.standard_normal(200) * 10 ** (2 - decimals),
                        np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.125, 0.375, 2.675, 15.0, 25.0,
                                  -35.0, np.inf, -np.inf, np.nan])]).astype(dtype)
    actual = gs.round(gs.tensor(x), decimals=decimals)
    expected = torch.round(torch.tensor(x), decimals=decimals)
    assert actual.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(actual.array, expected.numpy())
    np.testing.assert_array_equal(gs.tensor(x).round(decimals=decimals).array, expected.numpy())


@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "round", "trunc", "fix", "sgn"])
def test_rounding_ops_record_a_zero_gradient_as_torch(name):
    x = gs.tensor([-1.5, -0.5, 0.0, 0.5, 2.5], dtype="float64", requires_grad=True)
    t = torch.tensor(x.array.copy(), requires_grad=True)
    y, expected = getattr(gs, name)(x), getattr(torch, name)(t)
    assert y.requires_grad and expected.requires_grad
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.array, np.zeros(5))


def test_sign_of_nan_is_zero_as_torch():
    x = np.array([np.nan, -np.nan, -0.0, 0.0, -np.inf, 3.0])
    np.testing.assert_array_equal(gs.sign(gs.tensor(x)).array, torch.sign(torch.tensor(x)).numpy())
    np.testing.assert_array_equal(gs.sgn(gs.tensor(x)).array, torch.sgn(torch.tensor(x)).numpy())


def test_sgn_of_complex_is_the_unit_phase():
    x = np.array([3 + 4j, 0j, -2j])
    np.testing.assert_allclose(gs.sgn(gs.tensor(x)).array, torch.sgn(torch.tensor(x)).numpy())


@pytest.mark.parametrize("name", TESTS)
def test_tests_give_bool_as_torch(name):
    x = np.concatenate([EDGES, [-np.nan, 1e-300, -1e-300]])
    actual = getattr(gs, name)(gs.tensor(x))
    expected = getattr(torch, name)(torch.tensor(x))
    assert actual.dtype == np.bool_
    np.testing.assert_array_equal(actual.array, expected.numpy())
    np.testing.assert_array_equal(getattr(gs.tensor(x), name)().array, expected.numpy())
    assert not actual.requires_grad


def test_isreal_of_complex():
    x = np.array([1 + 0j, 1 + 1j, np.nan + 0j])
    np.testing.assert_array_equal(gs.isreal(gs.tensor(x)).array, torch.isreal(torch.tensor(x)))


INT_DATA = {"int64": [0, 1, -1, 2, -3, 7], "int32": [0, 1, -1, 2, -3, 7],
            "uint8": [0, 1, 2, 3, 200, 7], "bool": [True, False, True, True, False, False],
            "float16": [0.0, 0.5, -1.0, 2.0, -3.0, 0.25], "float32": [0.0, 0.5, -1.0, 2.0, -3.0, 7.5]}


@pytest.mark.parametrize("dtype", list(INT_DATA))
@pytest.mark.parametrize("name", list(SMOOTH) + FLAT + TESTS)
def test_dtypes_and_errors_as_torch(name, dtype):
    data = np.array(INT_DATA[dtype], dtype=dtype)
    try:
        expected = getattr(torch, name)(torch.tensor(data))
    except (RuntimeError, TypeError):  # NotImplementedError is a RuntimeError
        with pytest.raises(TypeError, match=f"^{name if name not in ALIASES else ALIASES[name]}"):
            getattr(gs, name)(gs.tensor(data))
        return
    actual = getattr(gs, name)(gs.tensor(data))
    assert actual.dtype == np.dtype(str(expected.dtype).replace("torch.", ""))
    np.testing.assert_allclose(actual.array.astype(np.float64), expected.double().numpy(),
                               rtol=2e-3 if dtype == "float16" else 1e-6, equal_nan=True)


def test_float_ops_on_integers_give_the_default_dtype():
    previous = gs.get_default_dtype()
    try:
        gs.set_default_dtype(gs.float64)
        torch.set_default_dtype(torch.float64)
        for name in ["sin", "erf", "reciprocal", "logit", "deg2rad", "sinc"]:
            assert getattr(gs, name)(gs.tensor([1, 2])).dtype == np.float64
            assert getattr(torch, name)(torch.tensor([1, 2])).dtype == torch.float64
    finally:
        gs.set_default_dtype(previous)
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("name", list(SMOOTH) + FLAT)
def test_float32_values_match_torch(name):
    x = draw((50,), SMOOTH.get(name, "any"), seed=3).astype(np.float32)
    actual = getattr(gs, name)(gs.tensor(x))
    expected = getattr(torch, name)(torch.tensor(x))
    assert actual.dtype == np.float32
    np.testing.assert_allclose(actual.array, expected.numpy(), rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("name", list(SMOOTH) + FLAT)
def test_method_and_in_place_twin(name):
    x = draw((2, 3), SMOOTH.get(name, "any"), seed=7)
    expected = getattr(torch, name)(torch.tensor(x))
    np.testing.assert_allclose(getattr(gs.tensor(x), name)().array, expected.numpy())
    t = gs.tensor(x.copy())
    if not hasattr(torch.Tensor, name + "_"):
        assert not hasattr(gs.Tensor, name + "_")
        return
    returned = getattr(t, name + "_")()
    assert returned is t and t._version == 1
    np.testing.assert_allclose(t.array, expected.numpy())


def test_in_place_twin_records_the_gradient():
    x = gs.tensor([0.3, -0.4, 0.9], dtype="float64", requires_grad=True)
    t = torch.tensor(x.array.copy(), requires_grad=True)
    y = x * 2
    y.asin_()
    u = t * 2
    u.asin_()
    y.sum().backward()
    u.sum().backward()
    np.testing.assert_allclose(x.grad.array, t.grad.numpy())


def test_a_float_op_in_place_on_an_integer_tensor_raises_as_torch():
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).sin_()
    with pytest.raises(RuntimeError, match="sin_: result type float32 can't be cast"):
        gs.tensor([1, 2]).sin_()


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_nan_to_num_defaults_per_dtype_as_torch(dtype):
    x = np.array([np.nan, np.inf, -np.inf, 1.5, -0.0], dtype=dtype)
    for kwargs in [{}, {"nan": 1.5, "posinf": 2.0, "neginf": -3.0}, {"posinf": 1e300},
                   {"nan": -1}]:
        actual = gs.nan_to_num(gs.tensor(x), **kwargs)
        expected = torch.nan_to_num(torch.tensor(x), **kwargs)
        assert actual.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(actual.array, expected.numpy())


def test_nan_to_num_of_integers_is_a_copy():
    x = gs.tensor([1, 2])
    y = gs.nan_to_num(x, nan=3.5)
    assert y.dtype == np.int64 and y.array is not x.array
    np.testing.assert_array_equal(y.array, [1, 2])


def test_i0_at_infinity_is_nan_as_torch():
    x = np.array([np.inf, -np.inf, 720.0, -700.0])
    np.testing.assert_allclose(gs.i0(gs.tensor(x)).array, torch.i0(torch.tensor(x)).numpy())


# ------------------------------------------------------------ the fallbacks without SciPy
def test_erfinv_fallback_matches_scipy():
    x = np.concatenate([np.linspace(-0.999999, 0.999999, 2001), [-1.0, 1.0, 1.5, -2.0, np.nan, 0.0]])
    np.testing.assert_allclose(unary._erfinv_fallback(x), scipy_special.erfinv(x), rtol=1e-10,
                               atol=1e-12)
    assert unary._erfinv_fallback(x.astype(np.float32)).dtype == np.float32


def test_i1_fallback_matches_scipy():
    x = np.concatenate([np.linspace(-40, 40, 801), [0.0, 14.99, 15.01, 100.0, -300.0]])
    np.testing.assert_allclose(unary._bessel_i1_fallback(x), scipy_special.i1(x), rtol=1e-9,
                               atol=1e-300)


@pytest.mark.parametrize("fallback", [True, False])
def test_i0_erfc_erfinv_without_scipy(monkeypatch, fallback):
    if fallback:
        monkeypatch.setattr(unary, "_scipy_special", None)
    x = np.array([-0.9, -0.3, 0.0, 0.4, 0.8])
    for name in ["i0", "erfc", "erfinv"]:
        check_against_torch(getattr(gs, name), getattr(torch, name), [x], rtol=1e-8)


# ------------------------------------------------------------ errors
@pytest.mark.parametrize("name", ["sin", "erf", "floor", "isnan", "round", "nan_to_num", "frac"])
def test_a_number_instead_of_a_tensor_raises_type_error(name):
    with pytest.raises(TypeError):
        getattr(torch, name)(1.5)
    with pytest.raises(TypeError, match=f"^{name}: argument 'input' must be a Tensor, not float"):
        getattr(gs, name)(1.5)


def test_integer_only_errors_name_the_op_and_dtype():
    with pytest.raises(TypeError, match="frac: not implemented for int64"):
        gs.frac(gs.tensor([1, 2]))
    with pytest.raises(TypeError, match="floor: not implemented for bool"):
        gs.floor(gs.tensor([True]))
    with pytest.raises(TypeError, match="round: decimals=1 is not implemented for integer"):
        gs.round(gs.tensor([15, 25]), decimals=1)
    with pytest.raises(RuntimeError):
        torch.round(torch.tensor([15, 25]), decimals=1)


def test_zero_size_and_zero_d():
    for name in list(SMOOTH) + FLAT + TESTS:
        assert getattr(gs, name)(gs.zeros(0, 3)).shape == (0, 3)
        assert getattr(gs, name)(gs.tensor(0.5)).shape == ()


def test_aliases_are_the_same_functions():
    for alias, name in ALIASES.items():
        assert getattr(gs, alias) is getattr(gs, name)
        x = gs.tensor([0.25, 0.5])
        np.testing.assert_array_equal(getattr(x, alias)().array, getattr(x, name)().array)
    assert math.isclose(gs.deg2rad(gs.tensor([180.0], dtype="float64")).item(), math.pi)
