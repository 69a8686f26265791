"""Comparisons, bitwise and logical ops, isclose/allclose/equal/isin against torch: dtype
promotion, broadcasting, bool results, operators, in-place twins and errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import gradsheet as gs
from tests.helpers import torch_or_skip

torch = torch_or_skip()

OPERANDS = {
    "int64": lambda lib: lib.tensor([5, -7, 3, 2]),
    "int32": lambda lib: lib.tensor(np.array([5, -7, 3, 2], dtype=np.int32)),
    "uint8": lambda lib: lib.tensor(np.array([5, 7, 3, 2], dtype=np.uint8)),
    "bool": lambda lib: lib.tensor([True, False, True, False]),
    "float32": lambda lib: lib.tensor(np.array([5.5, -7.0, 3.0, 2.0], dtype=np.float32)),
    "float64": lambda lib: lib.tensor(np.array([5.5, -7.0, 3.0, np.nan])),
    "0-d int64": lambda lib: lib.tensor(2),
    "0-d float64": lambda lib: lib.tensor(np.float64(2.5)),
    "int": lambda lib: 2,
    "float": lambda lib: 2.5,
    "bool number": lambda lib: True,
}
PAIRS = [("int64", "int64"), ("int32", "float"), ("int64", "float32"), ("bool", "bool"),
         ("bool", "int64"), ("uint8", "int32"), ("float32", "float64"), ("int32", "0-d int64"),
         ("float32", "0-d float64"), ("int64", "int"), ("bool", "bool number"),
         ("float64", "int"), ("int", "float32")]


def call(lib, name, a, b):
    operators = {"==": lambda x, y: x == y, "!=": lambda x, y: x != y, "<": lambda x, y: x < y,
                 "<=": lambda x, y: x <= y, ">": lambda x, y: x > y, ">=": lambda x, y: x >= y,
                 "&": lambda x, y: x & y, "|": lambda x, y: x | y, "^": lambda x, y: x ^ y}
    if name in operators:
        return operators[name](a, b)
    return getattr(lib, name)(a, b)


COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge", "not_equal", "less", "less_equal", "greater",
               "greater_equal", "==", "!=", "<", "<=", ">", ">="]
BITWISE = ["bitwise_and", "bitwise_or", "bitwise_xor", "&", "|", "^"]
LOGICAL = ["logical_and", "logical_or", "logical_xor"]


@pytest.mark.parametrize("left, right", PAIRS)
@pytest.mark.parametrize("name", COMPARISONS + BITWISE + LOGICAL)
def test_dtype_promotion_and_results_as_torch(name, left, right):
    a, b = OPERANDS[left](torch), OPERANDS[right](torch)
    if not isinstance(a, torch.Tensor) and name in LOGICAL + ["eq", "ne", "lt", "le", "gt", "ge",
                                                              "not_equal", "less", "less_equal",
                                                              "greater", "greater_equal",
                                                              "bitwise_and", "bitwise_or",
                                                              "bitwise_xor"]:
        a, b = b, a  # torch's functions want the tensor first
        left, right = right, left
    try:
        expected = call(torch, name, a, b)
    except TypeError:  # torch's logical ops take tensors only; gradsheet also takes numbers
        return
    except RuntimeError:  # bitwise ops of floats: torch raises, so does gradsheet
        with pytest.raises(TypeError, match="^bitwise_"):
            call(gs, name, OPERANDS[left](gs), OPERANDS[right](gs))
        return
    actual = call(gs, name, OPERANDS[left](gs), OPERANDS[right](gs))
    assert str(actual.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_array_equal(actual.array, expected.numpy())


pairs = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0,
                                      max_side=3)


@pytest.mark.parametrize("name", ["eq", "lt", "ge", "bitwise_xor", "logical_or", "isclose"])
@settings(max_examples=15, deadline=None)
@given(shapes=pairs, seed=st.integers(0, 2**16))
def test_broadcast_shapes_match_torch(name, shapes, seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(-2, 3, shapes.input_shapes[0])
    b = rng.integers(-2, 3, shapes.input_shapes[1])
    actual = getattr(gs, name)(gs.tensor(a), gs.tensor(b))
    expected = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
    assert actual.dtype == np.dtype(str(expected.dtype).replace("torch.", ""))
    np.testing.assert_array_equal(actual.array, expected.numpy())


def test_comparisons_with_nan_and_infinities_as_torch():
    v = np.array([-np.inf, -1.0, -0.0, 0.0, 1.0, np.inf, np.nan])
    a, b = v[:, None], v[None, :]
    for name in ["eq", "ne", "lt", "le", "gt", "ge"]:
        np.testing.assert_array_equal(getattr(gs, name)(gs.tensor(a), gs.tensor(b)).array,
                                      getattr(torch, name)(torch.tensor(a), torch.tensor(b)))


def test_comparison_results_have_no_gradient():
    x = gs.tensor([1.0, 2.0], requires_grad=True)
    for y in [x == 1, x < 2, gs.isclose(x, x), gs.isin(x, gs.tensor([1.0]))]:
        assert y.dtype == np.bool_ and not y.requires_grad


@pytest.mark.parametrize("name", ["logical_not", "bitwise_not"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float32"])
def test_unary_logical_and_bitwise_not_as_torch(name, dtype):
    data = np.array([0, 1, 2, 5], dtype=dtype)
    try:
        expected = getattr(torch, name)(torch.tensor(data))
    except RuntimeError:
        with pytest.raises(TypeError, match=f"^{name}: bitwise ops need integer or bool"):
            getattr(gs, name)(gs.tensor(data))
        return
    actual = getattr(gs, name)(gs.tensor(data))
    assert str(actual.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_array_equal(actual.array, expected.numpy())
    if name == "bitwise_not":
        np.testing.assert_array_equal((~gs.tensor(data)).array, (~torch.tensor(data)).numpy())


@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor", "logical_and",
                                  "logical_or", "logical_xor"])
@pytest.mark.parametrize("dtype", ["int64", "bool", "float32"])
def test_in_place_twins_as_torch(name, dtype):
    data = np.array([0, 1, 2, 5], dtype=dtype)
    other = np.array([1, 1, 0, 3], dtype=dtype)
    t = torch.tensor(data)
    try:
        getattr(t, name + "_")(torch.tensor(other))
    except RuntimeError:
        with pytest.raises((TypeError, RuntimeError)):
            getattr(gs.tensor(data), name + "_")(gs.tensor(other))
        return
    x = gs.tensor(data)
    assert getattr(x, name + "_")(gs.tensor(other)) is x
    assert x.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(x.array, t.numpy())


def test_in_place_operators_as_torch():
    x, t = gs.tensor([12, 10, 7]), torch.tensor([12, 10, 7])
    x &= 6
    t &= 6
    x |= 1
    t |= 1
    x ^= 3
    t ^= 3
    np.testing.assert_array_equal(x.array, t.numpy())
    np.testing.assert_array_equal((6 & gs.tensor([3, 5])).array, (6 & torch.tensor([3, 5])).numpy())
    np.testing.assert_array_equal((6 | gs.tensor([3, 5])).array, (6 | torch.tensor([3, 5])).numpy())
    np.testing.assert_array_equal((6 ^ gs.tensor([3, 5])).array, (6 ^ torch.tensor([3, 5])).numpy())


def test_comparison_errors_name_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"^lt: shapes \(2, 3\) and \(4,\) do not broadcast"):
        gs.lt(gs.ones(2, 3), gs.ones(4))
    with pytest.raises(TypeError, match="^bitwise_and: bitwise ops need integer or bool tensors, "
                                        "got float32"):
        gs.ones(2) & gs.ones(2)


# ------------------------------------------------------------ isclose, allclose, equal, isin
EDGE = np.array([-np.inf, -1.0, -0.0, 0.0, 1e-9, 1e-5, 1.0, 1.00001, 1.0001, np.inf, np.nan])


@pytest.mark.parametrize("kwargs", [{}, {"equal_nan": True}, {"rtol": 0.0, "atol": 0.0},
                                    {"rtol": 1e-3}, {"atol": 0.5}, {"rtol": 0.0, "atol": 1e-8}])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_isclose_and_allclose_at_the_edges_as_torch(kwargs, dtype):
    a, b = EDGE[:, None].astype(dtype), EDGE[None, :].astype(dtype)
    actual = gs.isclose(gs.tensor(a), gs.tensor(b), **kwargs)
    expected = torch.isclose(torch.tensor(a), torch.tensor(b), **kwargs)
    np.testing.assert_array_equal(actual.array, expected.numpy())
    np.testing.assert_array_equal(gs.tensor(a).isclose(gs.tensor(b), **kwargs).array, expected)
    for x, y in [(a, b), (a, a), (b, b), (np.ones(3, dtype), np.ones(3, dtype) + 1e-7)]:
        result = gs.allclose(gs.tensor(x), gs.tensor(y), **kwargs)
        assert type(result) is bool
        assert result == torch.allclose(torch.tensor(x), torch.tensor(y), **kwargs)
        assert gs.tensor(x).allclose(gs.tensor(y), **kwargs) == result


def test_isclose_of_integers_and_bools_as_torch():
    for a, b, kwargs in [([1, 2, 100], [1, 3, 101], {"rtol": 0.02}), ([1, 2], [1, 3], {"atol": 1}),
                         ([1, 2], [1, 3], {"rtol": 0, "atol": 0}), ([True, False], [True, True], {})]:
        np.testing.assert_array_equal(gs.isclose(gs.tensor(a), gs.tensor(b), **kwargs).array,
                                      torch.isclose(torch.tensor(a), torch.tensor(b), **kwargs))


def test_isclose_errors_as_torch():
    with pytest.raises(RuntimeError):
        torch.isclose(torch.ones(2), torch.ones(2, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="^isclose: float32 did not match float64"):
        gs.isclose(gs.ones(2), gs.ones(2, dtype="float64"))
    with pytest.raises(RuntimeError, match="^allclose: int64 did not match float32"):
        gs.allclose(gs.tensor([1]), gs.ones(1))
    with pytest.raises(RuntimeError, match="^isclose: rtol must be greater than or equal to "
                                           "zero, but got -1"):
        gs.isclose(gs.ones(2), gs.ones(2), rtol=-1)
    with pytest.raises(RuntimeError, match="^isclose: atol must be greater"):
        gs.isclose(gs.ones(2), gs.ones(2), atol=-1)
    with pytest.raises(ValueError, match=r"^isclose: shapes \(2, 3\) and \(4,\) do not broadcast"):
        gs.isclose(gs.ones(2, 3), gs.ones(4))
    with pytest.raises(TypeError, match="^isclose: argument 'input' must be a Tensor"):
        gs.isclose(1.0, gs.ones(2))


def test_isclose_broadcasts_and_takes_a_number():
    np.testing.assert_array_equal(gs.isclose(gs.ones(2, 3), gs.ones(3)).array, np.ones((2, 3)))
    np.testing.assert_array_equal(gs.isclose(gs.tensor([1.0, 1.1]), 1.0).array, [True, False])
    assert gs.allclose(gs.ones(2, 3), gs.ones(3)) is torch.allclose(torch.ones(2, 3), torch.ones(3))


@pytest.mark.parametrize("a, b", [
    (lambda lib: lib.ones(2, 3), lambda lib: lib.ones(2, 3)),
    (lambda lib: lib.ones(2, 3), lambda lib: lib.ones(3)),
    (lambda lib: lib.tensor(1.0), lambda lib: lib.tensor([1.0])),
    (lambda lib: lib.tensor([1.0, 2.0]), lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64)),
    (lambda lib: lib.tensor([1, 2]), lambda lib: lib.tensor([1.0, 2.0])),
    (lambda lib: lib.tensor([True]), lambda lib: lib.tensor([1])),
    (lambda lib: lib.tensor([np.nan]), lambda lib: lib.tensor([np.nan])),
    (lambda lib: lib.ones(0), lambda lib: lib.ones(0, 2)),
    (lambda lib: lib.ones(0, 2), lambda lib: lib.ones(0, 2)),
    (lambda lib: lib.tensor([1.0, 2.0]), lambda lib: lib.tensor([1.0, 2.5])),
])
def test_equal_as_torch(a, b):
    result = gs.equal(a(gs), b(gs))
    assert type(result) is bool
    assert result == torch.equal(a(torch), b(torch))
    assert a(gs).equal(b(gs)) == result


def test_equal_needs_tensors():
    with pytest.raises(TypeError, match="^equal: expects two Tensors, got Tensor and list"):
        gs.equal(gs.ones(2), [1.0, 1.0])


@pytest.mark.parametrize("elements, tests, kwargs", [
    ([1, 2, 3], [2, 5], {}),
    ([1.0, 2.5], [2.5, 3.0], {}),
    ([1, 2], [1.5, 2.0], {}),
    ([[1, 2], [3, 4]], [[2], [3]], {"invert": True}),
    ([1.0, np.nan], [np.nan], {}),
    ([3, 1, 2], [1, 2, 3], {"assume_unique": True}),
    ([], [1, 2], {}),
])
def test_isin_as_torch(elements, tests, kwargs):
    actual = gs.isin(gs.tensor(elements), gs.tensor(tests), **kwargs)
    expected = torch.isin(torch.tensor(elements), torch.tensor(tests), **kwargs)
    assert actual.dtype == np.bool_ and actual.shape == tuple(expected.shape)
    np.testing.assert_array_equal(actual.array, expected.numpy())


def test_isin_with_numbers_as_torch():
    np.testing.assert_array_equal(gs.isin(gs.tensor([1, 2, 3]), 2).array,
                                  torch.isin(torch.tensor([1, 2, 3]), 2).numpy())
    y = gs.isin(2, gs.tensor([1, 2]))
    assert y.shape == () and bool(y) == bool(torch.isin(2, torch.tensor([1, 2])))
    with pytest.raises(TypeError, match="^isin: expects a Tensor"):
        gs.isin(1, 2)
