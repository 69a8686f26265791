"""Elementwise ops: values and gradients against torch, gradchecks, broadcasting, errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import gradsheet as gs
from tests.helpers import check_against_torch, check_gradients, random_inputs, torch_or_skip

torch = torch_or_skip()

# name -> (gradsheet, torch, whether the second operand must be positive)
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, False),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, False),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, False),
    "div": (lambda a, b: a / b, lambda a, b: a / b, True),
    "pow": (lambda a, b: b ** a, lambda a, b: b ** a, True),  # positive base
    "maximum": (gs.maximum, torch.maximum, False),
    "minimum": (gs.minimum, torch.minimum, False),
    "functional add": (gs.add, torch.add, False),
    "functional sub": (gs.sub, torch.sub, False),
    "functional mul": (gs.mul, torch.mul, False),
    "functional div": (gs.div, torch.div, True),
    "functional pow": (lambda a, b: gs.pow(b, a), lambda a, b: torch.pow(b, a), True),
}

pairs = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)


def binary_inputs(shapes, seed, positive_second):
    a, b = random_inputs(shapes, seed=seed)
    if positive_second:
        b = np.abs(b) + 0.5
    return [a, b]


@pytest.mark.parametrize("name", list(BINARY))
@settings(max_examples=25, deadline=None)
@given(shapes=pairs, seed=st.integers(0, 2**16))
def test_binary_op_matches_torch_on_broadcast_shapes(name, shapes, seed):
    gs_fn, torch_fn, positive = BINARY[name]
    check_against_torch(gs_fn, torch_fn, binary_inputs(shapes.input_shapes, seed, positive))


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow", "maximum", "minimum"])
@settings(max_examples=10, deadline=None)
@given(shapes=pairs, seed=st.integers(0, 2**16))
def test_binary_op_gradcheck_on_broadcast_shapes(name, shapes, seed):
    gs_fn, _, positive = BINARY[name]
    check_gradients(gs_fn, binary_inputs(shapes.input_shapes, seed, positive))


@pytest.mark.parametrize("name, expression", [
    ("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b), ("pow", lambda a, b: a ** b),
    ("maximum", gs.maximum), ("minimum", gs.minimum),
])
def test_broadcast_mismatch_raises_naming_the_op_and_both_shapes(name, expression):
    a, b = gs.ones(2, 3), gs.ones(4, 1, 2)
    with pytest.raises(ValueError, match=rf"{name}: shapes \(2, 3\) and \(4, 1, 2\) do not "
                                         "broadcast"):
        expression(a, b)


def test_broadcast_mismatch_with_an_array_constant_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3,\) and \(4,\)"):
        gs.ones(3) + np.ones(4)


def test_reversed_operators_with_arrays_broadcast_and_reduce_gradients():
    x = gs.tensor(np.arange(3.0), dtype="float64", requires_grad=True)
    y = np.ones((2, 3)) * x - np.full((2, 1), 2.0)
    assert y.shape == (2, 3)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.array, [2.0, 2.0, 2.0])


# ---------------------------------------------------------------- unary ops
UNARY = {
    "exp": (gs.exp, torch.exp, None),
    "log": (gs.log, torch.log, "positive"),
    "sqrt": (gs.sqrt, torch.sqrt, "positive"),
    "abs": (gs.abs, torch.abs, None),
    "neg": (gs.neg, torch.neg, None),
    "method exp": (lambda x: x.exp(), lambda x: x.exp(), None),
    "method log": (lambda x: x.log(), lambda x: x.log(), "positive"),
    "method sqrt": (lambda x: x.sqrt(), lambda x: x.sqrt(), "positive"),
    "method abs": (lambda x: x.abs(), lambda x: x.abs(), None),
    "clip both": (lambda x: gs.clip(x, -0.5, 0.7), lambda x: torch.clamp(x, -0.5, 0.7), None),
    "clamp min": (lambda x: gs.clamp(x, min=-0.3), lambda x: torch.clamp(x, min=-0.3), None),
    "clamp max": (lambda x: x.clamp(max=0.2), lambda x: x.clamp(max=0.2), None),
    "clip method": (lambda x: x.clip(-1.0, 1.0), lambda x: x.clip(-1.0, 1.0), None),
    "square": (lambda x: x ** 2, lambda x: x ** 2, None),
    "cube root": (lambda x: x ** (1 / 3), lambda x: x ** (1 / 3), "positive"),
    "inverse": (lambda x: 1.0 / x, lambda x: 1.0 / x, "positive"),
    "rpow": (lambda x: 3.0 ** x, lambda x: 3.0 ** x, None),
}

SHAPES = [(), (5,), (2, 3), (2, 1, 3)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_op_matches_torch_and_gradchecks(name, shape):
    gs_fn, torch_fn, domain = UNARY[name]
    arrays = random_inputs([shape], seed=len(name), positive=domain == "positive")
    check_against_torch(gs_fn, torch_fn, arrays)
    check_gradients(gs_fn, arrays)


def test_abs_has_zero_gradient_at_zero_as_torch():
    check_against_torch(gs.abs, torch.abs, [np.array([-1.0, 0.0, 2.0])])


def test_clip_gradient_passes_at_the_bounds_as_torch():
    check_against_torch(lambda x: x.clamp(-1.0, 1.0), lambda x: x.clamp(-1.0, 1.0),
                        [np.array([-2.0, -1.0, 0.0, 1.0, 2.0])])


def test_clip_needs_a_bound():
    with pytest.raises(ValueError, match="clip: at least one of min and max"):
        gs.clip(gs.ones(2))


# ---------------------------------------------------------------- clamp with tensor bounds
CLAMPS = {
    "gs.clamp": gs.clamp,
    "gs.clip": lambda x, lo, hi: gs.clip(x, min=lo, max=hi),
    "Tensor.clamp": lambda x, lo, hi: x.clamp(lo, hi),
    "Tensor.clip": lambda x, lo, hi: x.clip(min=lo, max=hi),
}


@st.composite
def clamp_shapes(draw):
    """Shapes of x, lo and hi, each (), (1, n), (m, 1) or (m, n): they broadcast to (m, n)."""
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return [draw(st.sampled_from([(), (1, n), (m, 1), (m, n)])) for _ in range(3)]


def torch_clamp(x, lo=None, hi=None):
    """torch.clamp on its operands expanded to one shape (the expand sums each gradient back):
    torch 2.13's clamp backward combines its masks in place, and raises "output with shape [...]
    doesn't match the broadcast shape" for many broadcasts, x of shape () and max of (1, 3) say.
    """
    expanded = iter(torch.broadcast_tensors(*(v for v in (x, lo, hi) if v is not None)))
    return torch.clamp(*(None if v is None else next(expanded) for v in (x, lo, hi)))


def clamp_inputs(shapes, seed, step):
    """Normal arrays, rounded to multiples of ``step`` when given so that x often equals a
    bound and lo == hi happens; lo > hi happens either way."""
    arrays = random_inputs(shapes, seed=seed)
    return [np.round(a / step) * step for a in arrays] if step else arrays


@pytest.mark.parametrize("name", list(CLAMPS))
@settings(max_examples=30, deadline=None)
@given(shapes=clamp_shapes(), seed=st.integers(0, 2**16), step=st.sampled_from([None, 0.5, 1.0]))
def test_clamp_with_tensor_bounds_matches_torch_values_and_gradients(name, shapes, seed, step):
    check_against_torch(CLAMPS[name], torch_clamp, clamp_inputs(shapes, seed, step))


@settings(max_examples=15, deadline=None)
@given(shapes=clamp_shapes(), seed=st.integers(0, 2**16))
def test_clamp_with_tensor_bounds_gradchecks_away_from_the_kinks(shapes, seed):
    rng = np.random.default_rng(seed)
    x_shape, lo_shape, hi_shape = shapes
    # x halfway between integers, lo even, hi odd: x is >= 0.5 from both bounds and lo != hi
    x = rng.integers(-3, 3, x_shape) + 0.5
    lo = 2.0 * rng.integers(-2, 2, lo_shape)
    hi = 2.0 * rng.integers(-2, 2, hi_shape) + 1.0
    check_gradients(gs.clamp, [x, lo, hi])


# torch.clamp takes two tensors or two numbers; a number mixed with a tensor is a constant
ONE_TENSOR_BOUND = {
    "min tensor, max number": (lambda x, b, c: gs.clamp(x, b, c),
                               lambda x, b, c: torch_clamp(x, b, torch.tensor(c).double())),
    "min number, max tensor": (lambda x, b, c: x.clamp(c, b),
                               lambda x, b, c: torch_clamp(x, torch.tensor(c).double(), b)),
    "min tensor, max None": (lambda x, b, c: gs.clip(x, min=b),
                             lambda x, b, c: torch.clamp(x, min=b)),
    "min None, max tensor": (lambda x, b, c: x.clip(max=b),
                             lambda x, b, c: torch.clamp(x, max=b)),
}


@pytest.mark.parametrize("name", list(ONE_TENSOR_BOUND))
@settings(max_examples=25, deadline=None)
@given(shapes=clamp_shapes(), seed=st.integers(0, 2**16), step=st.sampled_from([None, 0.5]),
       c=st.sampled_from([-0.5, 0.0, 0.5]))
def test_clamp_with_one_tensor_bound_matches_torch(name, shapes, seed, step, c):
    gs_fn, torch_fn = ONE_TENSOR_BOUND[name]
    check_against_torch(lambda x, b: gs_fn(x, b, c), lambda x, b: torch_fn(x, b, c),
                        clamp_inputs(shapes[:2], seed, step))


@pytest.mark.parametrize("x, lo, hi, y, grads", [
    (-1.0, -1.0, 1.0, -1.0, (1, 0, 0)),  # x == lo: x takes the gradient
    (1.0, -1.0, 1.0, 1.0, (1, 0, 0)),  # x == hi: x takes it
    (0.0, 0.0, 0.0, 0.0, (1, 0, 0)),  # x == lo == hi: x takes it
    (-1.0, 0.0, 0.0, 0.0, (0, 0, 0)),  # x < lo == hi: nobody does
    (1.0, 0.0, 0.0, 0.0, (0, 0, 1)),  # x > lo == hi: hi does
    (-2.0, 1.0, -1.0, -1.0, (0, 0, 1)),  # lo > hi: y = hi wherever x is, and hi takes it
    (0.0, 1.0, -1.0, -1.0, (0, 0, 1)),
    (1.0, 1.0, -1.0, -1.0, (0, 0, 1)),
])
def test_clamp_tie_rules_by_hand(x, lo, hi, y, grads):
    inputs = [gs.tensor(v, dtype="float64", requires_grad=True) for v in (x, lo, hi)]
    out = gs.clamp(*inputs)
    out.backward()
    assert out.item() == y
    assert tuple(v.grad.item() for v in inputs) == grads


def test_clamp_with_nan_matches_torch():
    nan = np.nan
    arrays = [np.array([nan, 0.0, 0.0, 2.0, -2.0, nan, nan, 0.0]),
              np.array([-1.0, nan, -1.0, nan, -1.0, 1.0, nan, nan]),
              np.array([1.0, 1.0, nan, 1.0, nan, -1.0, nan, nan])]
    check_against_torch(gs.clamp, torch.clamp, arrays)
    check_against_torch(lambda x: x.clamp(-1.0, 1.0), lambda x: x.clamp(-1.0, 1.0), arrays[:1])


def test_clamp_sends_nothing_where_it_clamps_even_from_a_non_finite_gradient_as_torch():
    upstream = np.array([np.inf, 1.0, np.nan, -np.inf])
    values = [[-2.0, 0.0, 2.0, 0.5], [-1.0, 0.0, 1.0, 0.25]]
    x, lo = (gs.tensor(v, dtype="float64", requires_grad=True) for v in values)
    tx, tlo = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values)
    gs.clamp(x, lo, 1.0).backward(gs.tensor(upstream, dtype="float64"))
    torch.clamp(tx, tlo, torch.tensor(1.0).double()).backward(torch.tensor(upstream))
    np.testing.assert_array_equal(x.grad.array, tx.grad.numpy())
    np.testing.assert_array_equal(lo.grad.array, tlo.grad.numpy())


def test_clamp_with_float32_tensor_bounds_stays_float32():
    x, lo = gs.tensor([0.5, -1.5, 2.0], requires_grad=True), gs.tensor(0.0, requires_grad=True)
    hi = gs.tensor([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]], requires_grad=True)
    y = gs.clamp(x, lo, hi)
    assert y.dtype == np.float32 and gs.clamp(x, gs.tensor([0, 1, 2])).dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == lo.grad.dtype == hi.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.array, [1.0, 0.0, 0.0])
    assert lo.grad.item() == 1.0
    np.testing.assert_array_equal(hi.grad.array, [[0.0, 0.0, 1.0], [1.0, 0.0, 1.0]])


def test_maximum_and_minimum_split_the_gradient_evenly_on_ties_as_torch():
    a, b = [np.array([1.0, 2.0, 3.0])], np.array([1.0, 5.0, 0.0])
    check_against_torch(gs.maximum, torch.maximum, a + [b])
    check_against_torch(gs.minimum, torch.minimum, a + [b])


def test_pow_gradient_of_the_exponent_at_a_zero_base_is_zero_as_torch():
    check_against_torch(lambda a, p: a ** p, lambda a, p: a ** p,
                        [np.array([0.0, 2.0]), np.array([2.0, 3.0])])


@pytest.mark.parametrize("shapes", [[(2, 3), (2, 3), (2, 3)], [(3,), (2, 3), (2, 1)],
                                    [(2, 1), (1,), (3,)]])
def test_where_matches_torch_with_broadcasting(shapes):
    cond_shape, a_shape, b_shape = shapes
    cond = random_inputs([cond_shape], seed=3)[0] > 0
    check_against_torch(lambda a, b: gs.where(gs.tensor(cond), a, b),
                        lambda a, b: torch.where(torch.tensor(cond), a, b),
                        random_inputs([a_shape, b_shape], seed=4))
    check_gradients(lambda a, b: gs.where(cond, a, b), random_inputs([a_shape, b_shape], seed=5))


def test_where_with_a_scalar_branch_gives_the_tensor_branch_its_gradient():
    x = gs.tensor([-1.0, 2.0, -3.0], requires_grad=True)
    y = gs.where(x > 0, x, 0.0)
    np.testing.assert_array_equal(y.array, [0.0, 2.0, 0.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.array, [0.0, 1.0, 0.0])


def test_where_with_two_numbers_gives_the_default_dtype_as_torch():
    cond = gs.tensor([True, False])
    assert gs.where(cond, 1.0, 0.0).dtype == np.float32
    np.testing.assert_array_equal(gs.where(cond, 1.0, 0.0).array, [1.0, 0.0])
    assert gs.where(cond, 1, 0).dtype == np.int64


def test_constant_operands_get_no_gradient_and_no_work():
    a = gs.tensor([1.0, 2.0], requires_grad=True)
    b = gs.tensor([3.0, 4.0])
    for y in (a * b, b * a, a / b, b / a, a - b, b - a, a ** b, b ** a):
        y.sum().backward()
    assert b.grad is None and a.grad is not None


def test_chained_expression_matches_torch():
    check_against_torch(lambda a, b, c: (a * b - c / (b * b + 1.0)).exp() * 0.5 + a.abs().sqrt(),
                        lambda a, b, c: (a * b - c / (b * b + 1.0)).exp() * 0.5 + a.abs().sqrt(),
                        random_inputs([(3, 1), (1, 4), (4,)], seed=9))
