"""The engine (reverse topological order, accumulation, retain_graph), grad modes and gradcheck."""
import threading

import numpy as np
import pytest

import gradsheet as gs
from gradsheet.autograd.function import Function
from gradsheet.autograd.gradcheck import GradcheckResult
from tests.helpers import check_against_torch, check_gradients


def leaf(values, dtype="float64"):
    return gs.tensor(values, dtype=dtype, requires_grad=True)


# ---------------------------------------------------------------- backward
def test_scalar_backward_applies_the_chain_rule():
    x = leaf([1.0, 2.0, 3.0])
    y = (x * x).sum()  # dy/dx = 2x
    y.backward()
    np.testing.assert_allclose(x.grad.array, [2.0, 4.0, 6.0])


def test_backward_with_explicit_gradient_is_a_vector_jacobian_product():
    x = leaf([1.0, 2.0, 3.0])
    y = x * x
    y.backward(gs.tensor([1.0, 10.0, 100.0], dtype="float64"))
    np.testing.assert_allclose(x.grad.array, [2.0, 40.0, 600.0])


def test_backward_accepts_a_numpy_gradient():
    x = leaf([1.0, 2.0])
    (x * 3.0).backward(np.array([1.0, -1.0]))
    np.testing.assert_allclose(x.grad.array, [3.0, -3.0])


def test_backward_on_non_scalar_without_gradient_raises():
    y = leaf([1.0, 2.0]) * 2.0
    with pytest.raises(RuntimeError, match=r"one-element.*\(2,\)"):
        y.backward()


def test_backward_gradient_of_wrong_shape_raises_naming_both_shapes():
    y = leaf([1.0, 2.0]) * 2.0
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        y.backward(np.ones(3))


def test_backward_without_graph_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gs.tensor([1.0]).sum().backward()


def test_backward_on_a_leaf_sets_its_gradient():
    x = leaf(2.0)
    x.backward()
    assert x.grad.item() == 1.0


def test_a_node_used_twice_sums_both_paths():
    x = leaf([3.0])
    y = x * 2.0
    z = (y * y + y).sum()  # z = 4x^2 + 2x, dz/dx = 8x + 2
    z.backward()
    np.testing.assert_allclose(x.grad.array, [26.0])


def test_diamond_graph_matches_torch():
    check_against_torch(lambda x: (x.exp() * x + x.tanh() * x.exp()).sum(0),
                        lambda x: (x.exp() * x + x.tanh() * x.exp()).sum(0),
                        [np.random.default_rng(0).standard_normal((3, 4))])


def test_unused_branch_gets_no_gradient_and_constants_are_skipped():
    x, w = leaf([1.0, 2.0]), leaf([5.0])
    _unused = w * 3.0
    (x * 2.0).sum().backward()
    assert w.grad is None
    np.testing.assert_allclose(x.grad.array, [2.0, 2.0])


def test_only_inputs_requiring_grad_receive_gradients():
    x, c = leaf([1.0, 2.0]), gs.tensor([3.0, 4.0], dtype="float64")
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_allclose(x.grad.array, [3.0, 4.0])


def test_deep_chain_of_100000_ops_backpropagates_iteratively():
    x = gs.tensor(1.0, dtype="float64", requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1e-6
    y = y * 2.0
    y.backward()
    assert x.grad.item() == 2.0
    assert y.item() == pytest.approx(2.0 * 1.1)


def test_an_unused_deep_graph_is_freed_without_recursion():
    x = gs.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    del y  # dropping the last reference frees 100,000 nodes one after another


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_0d_results_hold_arrays_and_0d_leaves_get_gradients_in_their_dtype(dtype):
    x = gs.tensor(3.0, dtype=dtype, requires_grad=True)
    y = x * x
    assert isinstance(y.array, np.ndarray) and isinstance(x.sum().array, np.ndarray)
    y.backward()
    assert isinstance(x.grad.array, np.ndarray) and x.grad.dtype == dtype
    assert x.grad.item() == 6.0
    (x.exp() * 0.0).backward()  # accumulates in place into the 0-d gradient
    assert x.grad.item() == 6.0 and x.grad.dtype == dtype


def test_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.array, [3.0 + 2.0, 3.0 + 4.0])


def test_retain_graph_allows_a_second_backward_and_accumulates():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.array.copy()
    y.backward()
    np.testing.assert_allclose(x.grad.array, 2 * first)


def test_second_backward_without_retain_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x.exp() * 2.0).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_backward_through_a_freed_intermediate_raises():
    x = leaf([1.0, 2.0])
    h = x.exp()
    h.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        (h * 2.0).sum().backward()


def test_leaf_gradients_do_not_alias_each_other():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.array, b.grad.array)
    a.grad.array *= 10  # an in-place change (gradient clipping) must not leak into b
    np.testing.assert_allclose(b.grad.array, [1.0, 1.0])


def test_leaf_gradient_does_not_alias_the_upstream_gradient():
    a = leaf([1.0, 2.0])
    upstream = np.array([5.0, 6.0])
    (a + 0.0).backward(upstream)
    assert not np.shares_memory(a.grad.array, upstream)


def test_leaf_gradient_does_not_alias_a_node_gradient():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    c = a + b
    (c * 1.0 + a).sum().backward()  # a's two paths and b's path all start from one array
    assert not np.shares_memory(a.grad.array, b.grad.array)
    np.testing.assert_allclose(a.grad.array, [2.0, 2.0])
    np.testing.assert_allclose(b.grad.array, [1.0, 1.0])


def test_float32_leaf_receives_a_float32_gradient_from_a_float64_graph():
    x = gs.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3.0).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.array, [3.0, 3.0])


# ---------------------------------------------------------------- graph surgery
def test_detach_shares_data_but_cuts_the_graph():
    x = leaf([1.0, 2.0])
    d = (x * 2.0).detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    (x * d).sum().backward()  # d is a constant here
    np.testing.assert_allclose(x.grad.array, [2.0, 4.0])


def test_requires_grad_on_a_leaf_and_the_errors_around_it():
    x = gs.tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    with pytest.raises(RuntimeError, match="floating.*int64"):
        gs.tensor([1, 2]).requires_grad_()
    y = leaf([1.0]) * 2.0
    with pytest.raises(RuntimeError, match="only leaves"):
        y.requires_grad_(False)


def test_grad_fn_and_is_leaf():
    x = leaf([1.0])
    y = x * 2.0
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf and y.grad_fn is not None


# ---------------------------------------------------------------- grad modes
def test_no_grad_records_nothing():
    x = leaf([1.0, 2.0])
    with gs.no_grad():
        assert not gs.is_grad_enabled()
        y = x * 2.0
    assert gs.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    with pytest.raises(RuntimeError):
        y.sum().backward()


def test_no_grad_as_a_decorator():
    @gs.no_grad()
    def double(t):
        assert not gs.is_grad_enabled()
        return t * 2.0

    y = double(leaf([1.0]))
    assert not y.requires_grad and double.__name__ == "double"
    assert gs.is_grad_enabled()


def test_no_grad_and_enable_grad_as_bare_decorators_as_torch():
    @gs.no_grad
    def off(t):
        return (t * 2.0).requires_grad

    @gs.enable_grad
    def on(t):
        return (t * 2.0).requires_grad

    x = leaf([1.0])
    assert off(x) is False and off.__name__ == "off"
    with gs.no_grad():
        assert on(x) is True
    assert gs.is_grad_enabled()


def test_grad_mode_is_per_thread():
    seen = []
    with gs.no_grad():
        worker = threading.Thread(target=lambda: seen.append(gs.is_grad_enabled()))
        worker.start()
        worker.join()
    assert seen == [True]


def test_enable_grad_inside_no_grad():
    x = leaf([1.0])
    with gs.no_grad():
        with gs.enable_grad():
            y = x * 2.0
        z = x * 2.0
    assert y.requires_grad and not z.requires_grad


@pytest.mark.parametrize("mode", [True, False])
def test_set_grad_enabled_as_context_and_decorator(mode):
    x = leaf([1.0])
    with gs.set_grad_enabled(mode):
        assert (x * 2.0).requires_grad is mode
    assert gs.is_grad_enabled()

    @gs.set_grad_enabled(mode)
    def f():
        return (x * 2.0).requires_grad

    assert f() is mode
    assert gs.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(KeyError), gs.no_grad():
        raise KeyError
    assert gs.is_grad_enabled()


def test_in_place_change_of_a_leaf_requiring_grad_is_refused_unless_no_grad():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="zero_.*no_grad"):
        x.zero_()
    with gs.no_grad():
        x.fill_(3.0)
    np.testing.assert_array_equal(x.array, [3.0, 3.0])


# ---------------------------------------------------------------- gradcheck
class WrongSquare(Function):
    """y = x**2 with a deliberately wrong gradient (3x instead of 2x)."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, g):
        return g * 3 * self.x


def test_gradcheck_passes_a_correct_op_and_reports_the_worst_element():
    x = leaf(np.random.default_rng(0).standard_normal((2, 3)))
    result = gs.gradcheck(lambda t: t.exp() * t, [x])
    assert isinstance(result, GradcheckResult) and result.passed and bool(result)
    assert result.input_index == 0 and len(result.element) == 2
    assert result.relative_error < 1e-6
    assert "passed" in str(result)


def test_gradcheck_catches_a_wrong_backward():
    x = leaf([[1.0, -2.0], [0.5, 3.0]])
    with pytest.raises(gs.GradcheckError, match=r"input 0 at \(1, 1\).*relative error"):
        gs.gradcheck(lambda t: WrongSquare.apply(t).sum(), [x])


def test_gradcheck_without_raising_names_the_worst_element_and_its_error():
    x = leaf([1.0, -2.0, 0.5, 3.0])
    y = leaf([1.0])
    result = gs.gradcheck(lambda a, b: (WrongSquare.apply(a) * b).sum(), [x, y],
                           raise_exception=False)
    assert not result.passed and not bool(result)
    assert result.input_index == 0 and result.element == (3,)  # largest |x|: largest error
    assert result.relative_error == pytest.approx(0.5, rel=1e-4)  # |3x - 2x| / |2x|
    assert "FAILED" in str(result) and "(3,)" in str(result)


def test_gradcheck_checks_every_input_and_multiple_outputs():
    a, b = leaf([1.0, 2.0]), leaf([0.5, -1.0])
    assert gs.gradcheck(lambda p, q: (p * q, p.exp()), [a, b]).passed
    with pytest.raises(gs.GradcheckError, match="input 1"):
        gs.gradcheck(lambda p, q: p + WrongSquare.apply(q), [a, b])


def test_gradcheck_refuses_float32_and_inputs_without_grad():
    with pytest.raises(TypeError, match="float32"):
        gs.gradcheck(lambda t: t * 2.0, [gs.tensor([1.0], requires_grad=True)])
    with pytest.raises(ValueError, match="no input requires grad"):
        gs.gradcheck(lambda t: t * 2.0, [gs.tensor([1.0], dtype="float64")])


def test_check_gradients_helper_fails_on_a_wrong_backward():
    with pytest.raises(gs.GradcheckError):
        check_gradients(lambda t: WrongSquare.apply(t).sum(), [np.array([1.0, 2.0])])


def test_retain_grad_keeps_the_gradient_of_an_intermediate_tensor():
    torch = pytest.importorskip("torch")
    values = np.array([0.5, -1.0, 2.0])
    x = gs.tensor(values, dtype="float64", requires_grad=True)
    h = x * 3.0
    h.retain_grad()
    y = (h.tanh() * h).sum()
    y.backward()
    tx = torch.tensor(values, requires_grad=True)
    th = tx * 3.0
    th.retain_grad()
    (th.tanh() * th).sum().backward()
    np.testing.assert_allclose(h.grad.array, th.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.array, tx.grad.numpy(), rtol=1e-12)


def test_retain_grad_accumulates_across_backward_calls_and_does_not_alias():
    x = gs.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2.0
    h.retain_grad()
    loss = h.sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(h.grad.array, [2.0, 2.0])
    np.testing.assert_array_equal(x.grad.array, [4.0, 4.0])
    assert not np.shares_memory(h.grad.array, x.grad.array)


def test_retain_grad_on_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gs.tensor([1.0]).retain_grad()


# ---------------------------------------------------------------- gradient hooks
def _hooked_run(lib, values, hooks_on):
    """x -> h = 3x -> y = sum(tanh(h) * h + 2x) in ``lib`` (gs or torch), with the hooks of
    ``hooks_on`` ({'x' or 'h': hook}) registered; returns (x.grad, h.grad, calls per hook)."""
    x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
    h = x * 3.0
    h.retain_grad()
    calls = {name: [] for name in hooks_on}
    tensors = {"x": x, "h": h}
    for name, hook in hooks_on.items():
        def recording(g, name=name, hook=hook):
            calls[name].append(np.array(g.detach().numpy()))
            return hook(g)
        tensors[name].register_hook(recording)
    (h.tanh() * h + x * 2.0).sum().backward()
    return x.grad.numpy(), h.grad.numpy(), calls


@pytest.mark.parametrize("hooks_on", [
    {"x": lambda g: None},            # a leaf used twice: the hook sees the total, once
    {"x": lambda g: g * 2},           # a leaf's hook replaces what goes into .grad
    {"h": lambda g: g * 10},          # a non-leaf's replaces what flows on and its .grad
    {"h": lambda g: None, "x": lambda g: g - 1},
])
def test_register_hook_sees_and_replaces_gradients_as_torch(hooks_on):
    torch = pytest.importorskip("torch")
    values = np.array([0.5, -1.0, 2.0])
    ours = _hooked_run(gs, values, hooks_on)
    theirs = _hooked_run(torch, values, hooks_on)
    for a, b in zip(ours[:2], theirs[:2]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    for name in hooks_on:
        assert len(ours[2][name]) == len(theirs[2][name]) == 1
        np.testing.assert_allclose(ours[2][name][0], theirs[2][name][0], rtol=1e-12)


def test_hooks_run_in_order_stay_on_leaves_and_come_off_with_their_handle():
    x = leaf([1.0, 2.0])
    first = x.register_hook(lambda g: g + 1)
    second = x.register_hook(lambda g: g * 10)   # sees the first's result
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.array, [30.0, 50.0])   # (2x + 1) * 10
    x.grad = None
    (x * x).sum().backward()                       # still there at the next backward
    np.testing.assert_allclose(x.grad.array, [30.0, 50.0])
    first.remove()
    first.remove()                                 # twice is harmless
    x.grad = None
    with second:
        (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.array, [20.0, 40.0])
    x.grad = None
    (x * x).sum().backward()                       # the with block removed the second
    np.testing.assert_allclose(x.grad.array, [2.0, 4.0])


def test_a_hook_on_the_root_leaf_sees_the_given_gradient():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: g * 3)
    x.backward(gs.tensor([1.0, -1.0], dtype="float64"))
    np.testing.assert_allclose(x.grad.array, [3.0, -3.0])


def test_bad_hooks_raise_naming_the_problem():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gs.ones(2).register_hook(lambda g: g)
    with pytest.raises(TypeError, match="must be callable, got int"):
        leaf([1.0]).register_hook(3)
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: gs.ones(3))
    with pytest.raises(ValueError, match=r"returned \(3,\) for a gradient of shape \(2,\)"):
        (x * x).sum().backward()
    y = leaf([1.0, 2.0]) * 2
    y.sum().backward()
    with pytest.raises(RuntimeError, match="already freed"):
        y.register_hook(lambda g: g)
