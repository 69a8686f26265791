"""Tensor: properties, conversions, dtypes (float32 stays float32) and operator dispatch."""
import numpy as np
import pytest

import gradsheet as gs


@pytest.fixture
def x32():
    return gs.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)


# ---------------------------------------------------------------- properties
def test_shape_ndim_size_dtype(x32):
    assert x32.shape == (2, 3) and x32.ndim == 2 and x32.dim() == 2
    assert x32.size() == (2, 3) and x32.size(1) == 3 and x32.size(-2) == 2
    assert x32.numel() == 6 and len(x32) == 2
    assert x32.dtype == np.float32 == gs.float32


def test_transpose_property_T_reverses_dims_and_carries_gradient():
    x = gs.randn(2, 3, 4, requires_grad=True)
    assert x.T.shape == (4, 3, 2)
    np.testing.assert_array_equal(x.T.array, x.array.transpose())
    (x.T * gs.tensor([0.0, 1.0])).sum().backward()  # weights the last dim of x.T
    np.testing.assert_array_equal(x.grad.array, np.broadcast_to([[[0.0]], [[1.0]]], (2, 3, 4)))


def test_item_numpy_tolist():
    t = gs.tensor([[1.5, 2.5]])
    assert t[0, 1].item() == 2.5 and isinstance(t.sum().item(), float)
    assert t.tolist() == [[1.5, 2.5]]
    assert isinstance(t.numpy(), np.ndarray)
    np.testing.assert_array_equal(t.numpy(), [[1.5, 2.5]])
    assert float(gs.tensor(3.0)) == 3.0 and int(gs.tensor(7)) == 7


def test_item_of_many_elements_raises_naming_the_shape():
    with pytest.raises(ValueError, match=r"item.*\(2,\)"):
        gs.tensor([1.0, 2.0]).item()


def test_numpy_of_a_tensor_requiring_grad_asks_for_detach(x32):
    with pytest.raises(RuntimeError, match="detach"):
        x32.numpy()
    np.testing.assert_array_equal(x32.detach().numpy(), x32.array)


def test_bool_of_many_elements_is_ambiguous():
    assert bool(gs.tensor([1.0]))
    with pytest.raises(RuntimeError, match=r"ambiguous.*\(2,\)|\(2,\).*ambiguous"):
        bool(gs.tensor([1.0, 0.0]))


def test_iteration_yields_rows_that_carry_gradient(x32):
    rows = list(x32)
    assert [r.shape for r in rows] == [(3,), (3,)]
    (rows[1] * 2.0).sum().backward()
    np.testing.assert_array_equal(x32.grad.array, [[0, 0, 0], [2, 2, 2]])


def test_repr_mentions_dtype_and_grad():
    assert "requires_grad=True" in repr(gs.tensor([1.0], requires_grad=True))
    assert "float64" in repr(gs.tensor([1.0], dtype="float64"))
    assert "int64" in repr(gs.tensor([1]))
    assert "grad_fn" in repr(gs.tensor([1.0], requires_grad=True) * 2.0)


def test_numpy_functions_see_the_array():
    np.testing.assert_array_equal(np.asarray(gs.tensor([1.0, 2.0])), [1.0, 2.0])


# ---------------------------------------------------------------- dtypes
def test_float32_is_the_default_and_float64_on_request():
    assert gs.tensor([1.0]).dtype == np.float32
    assert gs.tensor([1.0], dtype=gs.float64).dtype == np.float64
    assert gs.tensor([1.0], dtype="float64").dtype == np.float64
    assert gs.tensor([1, 2]).dtype == np.int64
    assert gs.tensor([True]).dtype == np.bool_
    assert gs.tensor(np.ones(2, dtype=np.float64)).dtype == np.float64  # arrays keep theirs


def test_set_default_dtype_changes_new_tensors_only():
    before = gs.tensor([1.0])
    gs.set_default_dtype(gs.float64)
    try:
        assert gs.get_default_dtype() == np.float64
        assert gs.tensor([1.0]).dtype == np.float64 and gs.zeros(2).dtype == np.float64
        assert before.dtype == np.float32
    finally:
        gs.set_default_dtype(gs.float32)
    assert gs.tensor([1.0]).dtype == np.float32


def test_set_default_dtype_rejects_non_floats():
    with pytest.raises(TypeError, match="floating.*int64"):
        gs.set_default_dtype(gs.int64)
    with pytest.raises(TypeError, match="'float128x'"):
        gs.tensor([1.0], dtype="float128x")


def test_double_float_to_convert_and_backpropagate_in_the_source_dtype(x32):
    d = x32.double()
    assert d.dtype == np.float64 and d.float().dtype == np.float32
    assert x32.to(gs.float64).dtype == np.float64 and x32.to("float64").dtype == np.float64
    assert x32.to(gs.float32) is x32  # no-op conversion
    (d * d).sum().backward()
    assert x32.grad.dtype == np.float32
    np.testing.assert_allclose(x32.grad.array, 2 * x32.array)


def test_integer_conversions_carry_no_gradient(x32):
    assert x32.long().dtype == np.int64 and not x32.long().requires_grad
    assert x32.int().dtype == np.int32 and x32.bool().dtype == np.bool_


def float32_expressions():
    """Every way a Python or NumPy scalar (or a plain array) could promote float32 to float64."""
    return {
        "x * 2.0": lambda x: x * 2.0,
        "2.0 * x": lambda x: 2.0 * x,
        "2.0 - x": lambda x: 2.0 - x,
        "x - 1": lambda x: x - 1,
        "x ** 2": lambda x: x ** 2,
        "x ** 0.5": lambda x: x.abs() ** 0.5,
        "2.0 ** x": lambda x: 2.0 ** x,
        "x / np.float64(3)": lambda x: x / np.float64(3),
        "np.float64(3) / x": lambda x: np.float64(3) / x,
        "x * np.float64(2)": lambda x: x * np.float64(2),
        "np.float64(2) + x": lambda x: np.float64(2) + x,
        "x ** np.float64(2)": lambda x: x ** np.float64(2),
        "np.ones(3) * x": lambda x: np.ones(3) * x,
        "x + np.arange(3)": lambda x: x + np.arange(3),
        "x + int tensor": lambda x: x + gs.tensor([1, 2, 3]),
        "bool tensor * x": lambda x: gs.tensor([True, False, True]) * x,
        "np.ones((2, 3)) @ x": lambda x: np.ones((2, 3)) @ x,
        "clamp np.float64": lambda x: x.clamp(np.float64(-0.5), np.float64(0.5)),
        "where 0.0": lambda x: gs.where(x > 0, x, 0.0),
        "where np.float64": lambda x: gs.where(x > 0, np.float64(1.0), x),
        "maximum np.float64": lambda x: gs.maximum(x, np.float64(0.0)),
        "mean": lambda x: x.mean(),
        "std": lambda x: x.std(),
        "softmax": lambda x: x.softmax(0),
    }


@pytest.mark.parametrize("name", list(float32_expressions()))
def test_float32_stays_float32_in_values_and_gradients(name):
    fn = float32_expressions()[name]
    x = gs.tensor([0.5, -1.5, 2.0], requires_grad=True)
    y = fn(x)
    assert y.dtype == np.float32, f"{name} gave {y.dtype}"
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_float32_with_float64_tensor_computes_in_float64_as_torch():
    a, b = gs.tensor([1.0], requires_grad=True), gs.tensor([2.0], dtype="float64")
    y = a * b
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and a.grad.item() == 2.0


def test_integer_tensors_follow_torch_promotion():
    i = gs.tensor([1, 2, 3])
    assert (i + 1).dtype == np.int64
    assert (i * 2.5).dtype == np.float32  # torch: the default float dtype, not float64
    assert (i / 2).dtype == np.float32  # true division of integers is floating
    np.testing.assert_allclose((i / 2).array, [0.5, 1.0, 1.5])


# ---------------------------------------------------------------- operators
@pytest.mark.parametrize("expression, expected, grad", [
    (lambda x: 2.0 - x, [1.0, 0.0], [-1.0, -1.0]),
    (lambda x: 6.0 / x, [6.0, 3.0], [-6.0, -1.5]),
    (lambda x: 3.0 + x, [4.0, 5.0], [1.0, 1.0]),
    (lambda x: 3.0 * x, [3.0, 6.0], [3.0, 3.0]),
    (lambda x: 2.0 ** x, [2.0, 4.0], [2.0 * np.log(2), 4.0 * np.log(2)]),
    (lambda x: np.array([1.0, 1.0]) - x, [0.0, -1.0], [-1.0, -1.0]),
    (lambda x: np.ones(2) * x, [1.0, 2.0], [1.0, 1.0]),
    (lambda x: np.array([2.0, 4.0]) / x, [2.0, 2.0], [-2.0, -1.0]),
    (lambda x: -x, [-1.0, -2.0], [-1.0, -1.0]),
    (lambda x: +x, [1.0, 2.0], [1.0, 1.0]),
    (lambda x: abs(-x), [1.0, 2.0], [1.0, 1.0]),
])
def test_reversed_and_unary_operators(expression, expected, grad):
    x = gs.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    y = expression(x)
    assert isinstance(y, gs.Tensor)
    np.testing.assert_allclose(y.array, expected)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.array, grad)


def test_matmul_operator_and_reversed_with_an_array():
    x = gs.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    np.testing.assert_allclose((x @ x).array, x.array @ x.array)
    left = np.array([[1.0, 0.0]])
    y = left @ x
    assert isinstance(y, gs.Tensor)
    np.testing.assert_allclose(y.array, [[1.0, 2.0]])


def test_comparisons_give_bool_tensors_without_gradient():
    x = gs.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result, expected in [(x < 2, [1, 0, 0]), (x <= 2, [1, 1, 0]), (x > 2, [0, 0, 1]),
                             (x >= 2, [0, 1, 1]), (x == 2, [0, 1, 0]), (x != 2, [1, 0, 1]),
                             (x.eq(x), [1, 1, 1]), (2.5 > x, [1, 1, 0]),
                             (np.array([3.0, 2.0, 1.0]) < x, [0, 0, 1])]:
        assert isinstance(result, gs.Tensor)
        assert result.dtype == np.bool_ and not result.requires_grad
        np.testing.assert_array_equal(result.array, np.array(expected, dtype=bool))
    mask = (x > 1) & (x < 3) | (x == 1)
    np.testing.assert_array_equal((~mask).array, [False, False, True])


def test_tensors_stay_hashable_despite_elementwise_eq():
    a, b = gs.tensor([1.0]), gs.tensor([1.0])
    assert len({a, b}) == 2


def test_setitem_writes_outside_the_graph():
    t = gs.zeros(3)
    t[1] = 5.0
    t[gs.tensor([0, 2])] = gs.tensor([1.0, 2.0])
    np.testing.assert_array_equal(t.array, [1.0, 5.0, 2.0])
    with pytest.raises(RuntimeError, match="setitem: a leaf tensor that requires grad"):
        gs.zeros(3, requires_grad=True)[0] = 1.0


def test_unsupported_operand_raises_type_error():
    with pytest.raises(TypeError, match="str"):
        gs.tensor([1.0]) + "a"


def test_clone_copies_and_carries_gradient():
    x = gs.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert not np.shares_memory(c.array, x.array)
    (c * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [3.0, 3.0])
