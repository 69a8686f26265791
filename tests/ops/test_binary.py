"""Binary elementwise math against torch: values and both gradients on broadcast hypothesis
shapes (0-d and zero-size included), on the grid of edge values (0, -0, +-inf, NaN, ...),
dtype promotion, operators (// % and their in-place forms), methods, in-place twins,
gradchecks, errors, and pow's gradients at zero and negative bases."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import gradsheet as gs
from tests.helpers import check_against_torch, check_gradients, torch_or_skip
from tests.ops.elementwise_edges import EDGES, check_edges, grid

torch = torch_or_skip()


def div_trunc(lib):
    return lambda a, b: lib.div(a, b, rounding_mode="trunc")


def div_floor(lib):
    return lambda a, b: lib.div(a, b, rounding_mode="floor")


# name -> (gradsheet, torch, how the second operand is drawn)
BINARY = {
    "atan2": (gs.atan2, torch.atan2, "any"),
    "arctan2": (gs.arctan2, torch.arctan2, "any"),
    "fmod": (gs.fmod, torch.fmod, "away from 0"),
    "remainder": (gs.remainder, torch.remainder, "away from 0"),
    "hypot": (gs.hypot, torch.hypot, "any"),
    "logaddexp": (gs.logaddexp, torch.logaddexp, "any"),
    "logaddexp2": (gs.logaddexp2, torch.logaddexp2, "any"),
    "xlogy": (gs.xlogy, torch.xlogy, "positive"),
    "copysign": (gs.copysign, torch.copysign, "any"),
    "fmax": (gs.fmax, torch.fmax, "any"),
    "fmin": (gs.fmin, torch.fmin, "any"),
    "float_power": (lambda a, b: gs.float_power(b, a), lambda a, b: torch.float_power(b, a),
                    "positive"),
    "pow": (lambda a, b: gs.pow(b, a), lambda a, b: torch.pow(b, a), "positive"),
    "mod operator": (lambda a, b: a % b, lambda a, b: a % b, "away from 0"),
    "div trunc": (div_trunc(gs), div_trunc(torch), "away from 0"),
    "div floor": (div_floor(gs), div_floor(torch), "away from 0"),
    "lerp scalar weight": (lambda a, b: gs.lerp(a, b, 0.3), lambda a, b: torch.lerp(a, b, 0.3),
                           "any"),
    "lerp large weight": (lambda a, b: a.lerp(b, 1.7), lambda a, b: a.lerp(b, 1.7), "any"),
}
DIFFERENTIABLE = [n for n in BINARY if not n.startswith("div")]

pairs = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0,
                                      max_side=3)


def operands(shapes, seed, second):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shapes[0])
    b = rng.standard_normal(shapes[1])
    if second == "positive":
        b = np.abs(b) + 0.5
    elif second == "away from 0":
        b = np.sign(b + 1e-3) * (np.abs(b) + 0.5)
    return [a, b]


@pytest.mark.parametrize("name", list(BINARY))
@settings(max_examples=10, deadline=None)
@given(shapes=pairs, seed=st.integers(0, 2**16))
def test_values_and_gradients_match_torch_on_broadcast_shapes(name, shapes, seed):
    gs_fn, torch_fn, second = BINARY[name]
    check_against_torch(gs_fn, torch_fn, operands(shapes.input_shapes, seed, second))


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_gradcheck(name):
    gs_fn, _, second = BINARY[name]
    a, b = operands([(2, 3), (3,)], seed=len(name), second=second)
    if name in ("fmax", "fmin"):
        b = b + 0.1  # no ties, where the gradient jumps
    if name in ("fmod", "remainder", "mod operator"):  # away from the jumps of a / b
        a = (np.floor(a / b) + np.random.default_rng(1).uniform(0.2, 0.8, a.shape)) * b
    check_gradients(gs_fn, [a, b])


@settings(max_examples=10, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, min_side=0,
                                            max_side=3),
       seed=st.integers(0, 2**16))
def test_lerp_with_a_tensor_weight_matches_torch(shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(shapes.input_shapes[0]), rng.standard_normal(shapes.input_shapes[1])
    w = rng.uniform(-0.5, 1.5, shapes.input_shapes[2])
    check_against_torch(gs.lerp, torch.lerp, [a, b, w])


def test_lerp_gradcheck_with_a_tensor_weight():
    rng = np.random.default_rng(0)
    check_gradients(gs.lerp, [rng.standard_normal((2, 3)), rng.standard_normal(3),
                              rng.uniform(0, 1, (2, 1))])


EDGE_OPS = {
    "atan2": (gs.atan2, torch.atan2),
    "fmod": (gs.fmod, torch.fmod),
    "remainder": (gs.remainder, torch.remainder),
    "hypot": (gs.hypot, torch.hypot),
    "logaddexp": (gs.logaddexp, torch.logaddexp),
    "logaddexp2": (gs.logaddexp2, torch.logaddexp2),
    "xlogy": (gs.xlogy, torch.xlogy),
    "copysign": (gs.copysign, torch.copysign),
    "fmax": (gs.fmax, torch.fmax),
    "fmin": (gs.fmin, torch.fmin),
    "float_power": (gs.float_power, torch.float_power),
    "pow": (gs.pow, torch.pow),
    "div trunc": (div_trunc(gs), div_trunc(torch)),
    "div floor": (div_floor(gs), div_floor(torch)),
    "lerp 0.3": (lambda a, b: gs.lerp(a, b, 0.3), lambda a, b: torch.lerp(a, b, 0.3)),
    "lerp 0.7": (lambda a, b: gs.lerp(a, b, 0.7), lambda a, b: torch.lerp(a, b, 0.7)),
    "lerp weight": (lambda a, w: gs.lerp(a * 0 + 1.5, a, w),
                    lambda a, w: torch.lerp(a * 0 + 1.5, a, w)),
}


@pytest.mark.parametrize("name", list(EDGE_OPS))
def test_values_and_gradients_match_torch_on_the_edge_grid(name):
    gs_fn, torch_fn = EDGE_OPS[name]
    check_edges(gs_fn, torch_fn, grid(), zero_signs=True)


def test_floor_divide_values_on_the_edge_grid_and_its_backward_raises_as_torch():
    check_edges(gs.floor_divide, torch.floor_divide, grid(), zero_signs=True, grad=False)
    check_edges(lambda a, b: a // b, lambda a, b: a // b, grid(), zero_signs=True, grad=False)
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="not implemented"):
        torch.floor_divide(x, 2).sum().backward()
    y = gs.ones(2, requires_grad=True)
    out = gs.floor_divide(y, 2)
    assert out.requires_grad
    with pytest.raises(RuntimeError, match="floor_divide: the derivative for floor_divide is not"):
        out.sum().backward()


# ------------------------------------------------------------ pow at zero and negative bases
@pytest.mark.parametrize("exponent", [0.0, -1.0, -2.0, -0.5, 0.5, 1.0, 2.0, 3.0, np.inf, np.nan])
def test_pow_with_a_number_exponent_matches_torch_at_the_edges(exponent):
    check_edges(lambda a: a ** exponent, lambda a: a ** exponent, [EDGES], zero_signs=True)
    check_edges(lambda a: gs.pow(a, exponent), lambda a: torch.pow(a, exponent), [EDGES])


@pytest.mark.parametrize("base", [0.0, -0.0, -2.0, -1.0, 1.0, 2.5, np.inf, np.nan])
def test_pow_with_a_number_base_matches_torch_at_the_edges(base):
    check_edges(lambda p: base ** p, lambda p: base ** p, [EDGES], zero_signs=True)


def test_pow_gradients_at_zero_base_as_torch():
    # d/da a**0 = 0 even at a = 0 (not 0 * inf); d/dp 0**p: 0 for p >= 0, -inf for p < 0;
    # negative bases give NaN to the exponent
    a = gs.tensor([0.0, 0.0, 0.0, 0.0, -2.0, -2.0], dtype="float64", requires_grad=True)
    p = gs.tensor([0.0, -1.0, 0.5, 2.0, 2.0, 0.5], dtype="float64", requires_grad=True)
    ta = torch.tensor(a.array.copy(), requires_grad=True)
    tp = torch.tensor(p.array.copy(), requires_grad=True)
    (a ** p).sum().backward()
    (ta ** tp).sum().backward()
    np.testing.assert_array_equal(a.grad.array, ta.grad.numpy())
    np.testing.assert_array_equal(p.grad.array, tp.grad.numpy())
    assert a.grad.array[0] == 0 and p.grad.array[1] == -np.inf and np.isnan(p.grad.array[4])


def test_pow_gradient_keeps_float32():
    x = gs.tensor([0.0, 1.5, 2.0], requires_grad=True)
    y = 3.0 ** x
    y.sum().backward()
    assert x.grad.dtype == np.float32
    t = torch.tensor([0.0, 1.5, 2.0], requires_grad=True)
    (3.0 ** t).sum().backward()
    np.testing.assert_allclose(x.grad.array, t.grad.numpy(), rtol=1e-6)


# ------------------------------------------------------------ dtypes
def torch_dtype_name(dtype):
    return str(dtype).replace("torch.", "")


OPERANDS = {
    "int64": lambda lib: lib.tensor([5, -7, 3]),
    "int32": lambda lib: lib.tensor(np.array([5, -7, 3], dtype=np.int32)),
    "uint8": lambda lib: lib.tensor(np.array([5, 7, 3], dtype=np.uint8)),
    "bool": lambda lib: lib.tensor([True, False, True]),
    "float16": lambda lib: lib.tensor(np.array([5.5, -7.0, 3.0], dtype=np.float16)),
    "float32": lambda lib: lib.tensor(np.array([5.5, -7.0, 3.0], dtype=np.float32)),
    "float64": lambda lib: lib.tensor(np.array([5.5, -7.0, 3.0])),
    "0-d int64": lambda lib: lib.tensor(2),
    "0-d float64": lambda lib: lib.tensor(np.float64(2.5)),
    "int": lambda lib: 2,
    "float": lambda lib: 2.5,
}
PROMOTING = {
    "atan2": "atan2", "fmod": "fmod", "remainder": "remainder", "floor_divide": "floor_divide",
    "hypot": "hypot", "logaddexp": "logaddexp", "logaddexp2": "logaddexp2", "xlogy": "xlogy",
    "copysign": "copysign", "fmax": "fmax", "fmin": "fmin", "float_power": "float_power",
}
PAIRS = [("int64", "int64"), ("int32", "int64"), ("int32", "int"), ("uint8", "int64"),
         ("bool", "bool"), ("bool", "int64"), ("float32", "float64"), ("int64", "float32"),
         ("float16", "int64"), ("float32", "0-d float64"), ("int32", "0-d int64"),
         ("int64", "float"), ("float32", "int"), ("int", "float32"), ("float16", "float")]


@pytest.mark.parametrize("left, right", PAIRS)
@pytest.mark.parametrize("name", list(PROMOTING) + ["div trunc", "div floor"])
def test_dtype_promotion_and_dtype_errors_as_torch(name, left, right):
    if name.startswith("div"):
        gs_fn, torch_fn = (div_trunc(gs), div_trunc(torch)) if "trunc" in name else \
            (div_floor(gs), div_floor(torch))
    else:
        gs_fn, torch_fn = getattr(gs, name), getattr(torch, name)
    a, b = OPERANDS[left](torch), OPERANDS[right](torch)
    try:
        expected = torch_fn(a, b)
    except TypeError:  # torch takes tensors only here; gradsheet also accepts the number
        return
    except RuntimeError:  # NotImplementedError ("not implemented for 'Long'") or division by 0
        with pytest.raises((TypeError, RuntimeError), match=f"^{name.split()[0]}"):
            gs_fn(OPERANDS[left](gs), OPERANDS[right](gs))
        return
    actual = gs_fn(OPERANDS[left](gs), OPERANDS[right](gs))
    assert str(actual.dtype) == torch_dtype_name(expected.dtype)
    np.testing.assert_allclose(actual.array.astype(np.float64), expected.double().numpy(),
                               rtol=2e-3, equal_nan=True)


@pytest.mark.parametrize("op", ["fmod", "remainder", "floor_divide"])
def test_integer_division_by_zero_raises_as_torch(op):
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        getattr(torch, op)(torch.tensor([5, 3]), torch.tensor([0, 1]))
    with pytest.raises(RuntimeError, match=f"^{op}: ZeroDivisionError"):
        getattr(gs, op)(gs.tensor([5, 3]), gs.tensor([0, 1]))
    with pytest.raises(RuntimeError, match=f"^{op}: ZeroDivisionError"):
        getattr(gs, op)(gs.tensor([5, 3]), 0)
    with pytest.raises(RuntimeError, match="^div: ZeroDivisionError"):
        gs.div(gs.tensor([5, 3]), 0, rounding_mode="floor")


def test_float_division_by_zero_gives_infinities_as_torch():
    x = np.array([5.0, -5.0, 0.0])
    for op in ["fmod", "remainder", "floor_divide"]:
        np.testing.assert_array_equal(getattr(gs, op)(gs.tensor(x), 0.0).array,
                                      getattr(torch, op)(torch.tensor(x), 0.0).numpy())


def test_integer_results_match_python_and_c_semantics_as_torch():
    a = np.array([7, -7, 7, -7, 0, 5])
    b = np.array([2, 2, -2, -2, 3, -5])
    for op in ["fmod", "remainder", "floor_divide"]:
        np.testing.assert_array_equal(getattr(gs, op)(gs.tensor(a), gs.tensor(b)).array,
                                      getattr(torch, op)(torch.tensor(a), torch.tensor(b)).numpy())
    for mode in ["trunc", "floor"]:
        actual = gs.div(gs.tensor(a), gs.tensor(b), rounding_mode=mode)
        assert actual.dtype == np.int64
        np.testing.assert_array_equal(actual.array, torch.div(torch.tensor(a), torch.tensor(b),
                                                              rounding_mode=mode).numpy())


def test_float_power_computes_in_float64_and_casts_gradients_back():
    x = gs.tensor([1.5, 2.0, 0.5], requires_grad=True)
    t = torch.tensor([1.5, 2.0, 0.5], requires_grad=True)
    y, expected = gs.float_power(x, 3), torch.float_power(t, 3)
    assert y.dtype == np.float64 and expected.dtype == torch.float64
    y.sum().backward()
    expected.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.array, t.grad.numpy())
    np.testing.assert_allclose(gs.float_power(2, gs.tensor([1, 3])).array, [2.0, 8.0])
    assert gs.float_power(gs.tensor([1, 3]), gs.tensor([2, 2])).dtype == np.float64


def test_lerp_dtype_rules_as_torch():
    f32, f64 = gs.tensor([1.0, 2.0]), gs.tensor([1.0, 2.0], dtype="float64")
    with pytest.raises(RuntimeError):
        torch.lerp(torch.ones(2), torch.ones(2, dtype=torch.float64), 0.5)
    with pytest.raises(RuntimeError, match="lerp: expected dtype float32 for end but got dtype "
                                           "float64"):
        gs.lerp(f32, f64, 0.5)
    with pytest.raises(RuntimeError, match="lerp: expected dtype float32 for weight"):
        gs.lerp(f32, f32, gs.tensor([0.5, 0.2], dtype="float64"))
    with pytest.raises(RuntimeError, match="lerp: expected dtype float32 for end"):
        gs.lerp(f32, gs.tensor(1.0, dtype="float64"), 0.5)
    # a 0-d weight of another dtype is allowed, as torch
    np.testing.assert_allclose(gs.lerp(f32, f32 * 2, gs.tensor(0.5, dtype="float64")).array,
                               torch.lerp(torch.tensor([1.0, 2.0]), torch.tensor([2.0, 4.0]),
                                          torch.tensor(0.5, dtype=torch.float64)).numpy())
    with pytest.raises(TypeError, match="lerp: not implemented for int64"):
        gs.lerp(gs.tensor([1, 2]), gs.tensor([1, 2]), 0.5)
    with pytest.raises(TypeError, match="lerp: input and end must be Tensors"):
        gs.lerp(f32, 2.0, 0.5)


# ------------------------------------------------------------ operators, methods, in place
def test_floordiv_and_mod_operators_match_torch():
    a = np.array([7.5, -7.5, 3.0, -0.5])
    b = np.array([2.0, 2.0, -2.5, 0.75])
    for f in [lambda x, y: x // 2, lambda x, y: x % 2, lambda x, y: 7 // x, lambda x, y: 7 % x,
              lambda x, y: x // -2.5, lambda x, y: x % -2.5, lambda x, y: x // y,
              lambda x, y: x % y]:
        np.testing.assert_array_equal(f(gs.tensor(a), gs.tensor(b)).array,
                                      f(torch.tensor(a), torch.tensor(b)).numpy())
    i = np.array([7, -7, 3, 0])
    for f in [lambda x: x // 2, lambda x: x % 3, lambda x: 9 // (x + 10), lambda x: 9 % (x + 10)]:
        actual, expected = f(gs.tensor(i)), f(torch.tensor(i))
        assert actual.dtype == np.int64 and expected.dtype == torch.int64
        np.testing.assert_array_equal(actual.array, expected.numpy())


def test_in_place_floordiv_and_mod_as_torch():
    x, t = gs.tensor([5, -5, 7]), torch.tensor([5, -5, 7])
    original = x
    x //= 2
    t //= 2
    assert x is original and x.dtype == np.int64
    np.testing.assert_array_equal(x.array, t.numpy())
    x %= 2
    t %= 2
    np.testing.assert_array_equal(x.array, t.numpy())
    y, u = gs.tensor([5.0, -5.0]), torch.tensor([5.0, -5.0])
    y %= 3
    u %= 3
    np.testing.assert_array_equal(y.array, u.numpy())
    with pytest.raises(RuntimeError):
        u = torch.tensor([5, 3])
        u //= 2.5
    with pytest.raises(RuntimeError, match="__ifloordiv__: result type float32 can't be cast"):
        z = gs.tensor([5, 3])
        z //= 2.5


METHODS = ["atan2", "arctan2", "fmod", "remainder", "floor_divide", "hypot", "logaddexp",
           "logaddexp2", "xlogy", "copysign", "fmax", "fmin", "float_power"]


@pytest.mark.parametrize("name", METHODS)
def test_method_and_in_place_twin_as_torch(name):
    a = np.array([[0.5, 1.5, 2.5], [3.0, 0.25, 1.0]])
    b = np.array([1.5, 0.5, 2.0])
    expected = getattr(torch.tensor(a), name)(torch.tensor(b))
    np.testing.assert_allclose(getattr(gs.tensor(a), name)(gs.tensor(b)).array, expected.numpy())
    assert hasattr(gs.Tensor, name + "_") == hasattr(torch.Tensor, name + "_")
    if hasattr(torch.Tensor, name + "_"):
        x = gs.tensor(a.copy())
        assert getattr(x, name + "_")(gs.tensor(b)) is x
        np.testing.assert_allclose(x.array, expected.numpy())


def test_in_place_twin_records_the_gradient():
    x = gs.tensor([0.3, -0.4, 0.9], dtype="float64", requires_grad=True)
    t = torch.tensor(x.array.copy(), requires_grad=True)
    b = gs.tensor([1.0, 2.0, -1.0], dtype="float64", requires_grad=True)
    tb = torch.tensor(b.array.copy(), requires_grad=True)
    y = x * 2
    y.atan2_(b)
    u = t * 2
    u.atan2_(tb)
    y.sum().backward()
    u.sum().backward()
    np.testing.assert_allclose(x.grad.array, t.grad.numpy())
    np.testing.assert_allclose(b.grad.array, tb.grad.numpy())


def test_float_power_in_place_needs_float64_as_torch():
    with pytest.raises(RuntimeError):
        torch.ones(2).float_power_(2)
    with pytest.raises(RuntimeError, match="float_power_: the base given to float_power_ has "
                                           "dtype float32"):
        gs.ones(2).float_power_(2)
    x = gs.tensor([2.0, 3.0], dtype="float64")
    assert x.float_power_(2) is x
    np.testing.assert_array_equal(x.array, [4.0, 9.0])


def test_lerp_in_place_twin():
    x, t = gs.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])
    assert x.lerp_(gs.tensor([3.0, 6.0]), 0.25) is x
    t.lerp_(torch.tensor([3.0, 6.0]), 0.25)
    np.testing.assert_allclose(x.array, t.numpy())
    with pytest.raises(RuntimeError, match="lerp_: the result has shape"):
        gs.tensor([1.0, 2.0]).lerp_(gs.ones(3, 2), 0.5)


def test_div_rounding_mode_method_in_place_and_zero_gradient():
    x = gs.tensor([5.0, -5.0, 7.5], requires_grad=True)
    t = torch.tensor([5.0, -5.0, 7.5], requires_grad=True)
    y = x.div(2, rounding_mode="floor")
    expected = t.div(2, rounding_mode="floor")
    np.testing.assert_array_equal(y.array, expected.detach().numpy())
    y.sum().backward()
    expected.sum().backward()
    np.testing.assert_array_equal(x.grad.array, t.grad.numpy())
    i, ti = gs.tensor([5, -5]), torch.tensor([5, -5])
    assert i.div_(2, rounding_mode="trunc") is i
    ti.div_(2, rounding_mode="trunc")
    np.testing.assert_array_equal(i.array, ti.numpy())


# ------------------------------------------------------------ errors
@pytest.mark.parametrize("name", ["atan2", "fmod", "remainder", "floor_divide", "hypot",
                                  "logaddexp", "logaddexp2", "xlogy", "copysign", "fmax", "fmin"])
def test_broadcast_mismatch_names_the_op_and_both_shapes(name):
    with pytest.raises(RuntimeError):
        getattr(torch, name)(torch.ones(2, 3), torch.ones(4, 1, 2))
    with pytest.raises(ValueError, match=rf"^{name}: shapes \(2, 3\) and \(4, 1, 2\) do not "
                                         "broadcast"):
        getattr(gs, name)(gs.ones(2, 3), gs.ones(4, 1, 2))


def test_lerp_broadcast_mismatch_names_the_shapes():
    with pytest.raises(ValueError, match=r"lerp: shapes \(2, 3\) and \(4,\) and \(\) do not"):
        gs.lerp(gs.ones(2, 3), gs.ones(4), 0.5)


def test_bad_rounding_mode_raises_as_torch():
    with pytest.raises(RuntimeError, match="rounding_mode"):
        torch.div(torch.ones(2), 2, rounding_mode="round")
    with pytest.raises(RuntimeError, match="^div: expected rounding_mode to be one of None, "
                                           "'trunc', or 'floor' but found 'round'"):
        gs.div(gs.ones(2), 2, rounding_mode="round")


def test_floating_only_ops_reject_integers():
    for name in ["hypot", "logaddexp", "logaddexp2"]:
        with pytest.raises(RuntimeError):  # NotImplementedError
            getattr(torch, name)(torch.tensor([1, 2]), torch.tensor([3, 4]))
        with pytest.raises(TypeError, match=f"^{name}: not implemented for int64 operands"):
            getattr(gs, name)(gs.tensor([1, 2]), gs.tensor([3, 4]))
    with pytest.raises(TypeError, match="^fmod: not implemented for bool operands"):
        gs.fmod(gs.tensor([True]), gs.tensor([True]))


def test_two_numbers_or_a_bad_operand_raise_type_error():
    with pytest.raises(TypeError, match="^atan2: expects a Tensor operand, got float and float"):
        gs.atan2(1.0, 2.0)
    with pytest.raises(TypeError, match="^hypot: unsupported operand type str"):
        gs.hypot(gs.ones(2), "a")
    with pytest.raises(TypeError, match="^float_power: expects a Tensor operand"):
        gs.float_power(2, 3)


def test_zero_size_and_zero_d_results():
    for name in METHODS:
        assert getattr(gs, name)(gs.ones(0, 3), gs.ones(3)).shape == (0, 3)
        assert getattr(gs, name)(gs.tensor(1.5), gs.tensor(2.0)).shape == ()
    assert gs.lerp(gs.ones(0, 2), gs.ones(2), gs.ones(1, 1)).shape == (0, 2)
