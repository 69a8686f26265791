"""Reductions: dims (None, int, negative, tuple), keepdim, values and gradients against torch."""
import numpy as np
import pytest

import gradsheet as gs
from tests.helpers import check_against_torch, check_gradients, random_inputs, torch_or_skip

torch = torch_or_skip()

SHAPE = (2, 3, 4)
DIMS = [None, 0, -1, 1, (0, 2), (-1, -3), (0, 1, 2), ()]  # () reduces everything, as torch


REDUCTIONS = {
    "sum": (lambda x, d, k: x.sum(d, k), lambda x, d, k: x.sum(dim=d, keepdim=k)),
    "mean": (lambda x, d, k: gs.mean(x, d, k), lambda x, d, k: x.mean(dim=d, keepdim=k)),
    "var": (lambda x, d, k: x.var(d, keepdim=k),
            lambda x, d, k: x.var(dim=d, keepdim=k)),
    "var biased": (lambda x, d, k: gs.var(x, d, keepdim=k, correction=0),
                   lambda x, d, k: torch.var(x, dim=d, keepdim=k, correction=0)),
    "std": (lambda x, d, k: x.std(d, keepdim=k), lambda x, d, k: x.std(dim=d, keepdim=k)),
    "std biased": (lambda x, d, k: gs.std(x, d, keepdim=k, correction=0),
                   lambda x, d, k: torch.std(x, dim=d, keepdim=k, correction=0)),
}


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reduction_matches_torch(name, dim, keepdim):
    gs_fn, torch_fn = REDUCTIONS[name]
    # torch 2.13's var/std backward treats dim=() as "no dims" (infinite gradients) although its
    # forward reduces everything; compare values there and gradcheck ours instead.
    torch_backward_ok = not (dim == () and name.startswith(("var", "std")))
    arrays = random_inputs([SHAPE], seed=7)
    out = check_against_torch(lambda x: gs_fn(x, dim, keepdim), lambda x: torch_fn(x, dim, keepdim),
                              arrays, grad=torch_backward_ok)
    assert out.dtype == np.float64
    if not torch_backward_ok:
        check_gradients(lambda x: gs_fn(x, dim, keepdim), arrays)


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reduction_gradchecks(name):
    gs_fn, _ = REDUCTIONS[name]
    check_gradients(lambda x: gs_fn(x, (0, -1), False), random_inputs([(3, 2, 3)], seed=2))


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, -1, (0, 2), (1, 0)])
def test_logsumexp_matches_torch_and_gradchecks(dim, keepdim):
    arrays = random_inputs([SHAPE], seed=3)
    check_against_torch(lambda x: x.logsumexp(dim, keepdim),
                        lambda x: torch.logsumexp(x, dim, keepdim), arrays)
    check_gradients(lambda x: gs.logsumexp(x, dim, keepdim), arrays)


def test_logsumexp_does_not_overflow_and_handles_minus_infinity():
    big = gs.tensor([1e4, 1e4 + np.log(3.0)], dtype="float64")
    np.testing.assert_allclose(big.logsumexp(0).item(), 1e4 + np.log(4.0))
    minus_inf = gs.tensor([[-np.inf, -np.inf], [0.0, -np.inf]])
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(minus_inf.logsumexp(1).array, [-np.inf, 0.0])


@pytest.mark.parametrize("op", ["max", "min"])
def test_full_max_min_match_torch(op):
    check_against_torch(lambda x: getattr(x, op)(), lambda x: getattr(x, op)(),
                        random_inputs([SHAPE], seed=11))
    check_gradients(lambda x: getattr(gs, op)(x), random_inputs([(3, 4)], seed=12))


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1, -3])
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_along_dim_return_values_and_indices_as_torch(op, dim, keepdim):
    (array,) = random_inputs([SHAPE], seed=13)
    result = getattr(gs, op)(gs.tensor(array), dim, keepdim)
    expected = getattr(torch, op)(torch.tensor(array), dim, keepdim)
    values, indices = result  # a namedtuple unpacks like torch's
    assert result.values is values and result.indices is indices
    np.testing.assert_array_equal(values.array, expected.values.numpy())
    np.testing.assert_array_equal(indices.array, expected.indices.numpy())
    assert indices.dtype == np.int64 and not indices.requires_grad
    check_against_torch(lambda x: getattr(x, op)(dim, keepdim).values,
                        lambda x: getattr(x, op)(dim, keepdim).values, [array])
    check_gradients(lambda x: getattr(x, op)(dim, keepdim=keepdim).values, [array])


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_of_two_tensors_are_elementwise_as_torch(op):
    arrays = random_inputs([(2, 3), (3,)], seed=14)
    check_against_torch(lambda a, b: getattr(gs, op)(a, b), lambda a, b: getattr(torch, op)(a, b),
                        arrays)
    check_against_torch(lambda a, b: getattr(a, op)(b), lambda a, b: getattr(a, op)(b), arrays)


@pytest.mark.parametrize("op", ["max", "min"])
def test_ties_follow_torch(op):
    ties = np.array([[1.0, 3.0, 3.0], [-2.0, 0.0, -2.0]])
    # a full reduction shares the gradient evenly among the tied elements ...
    check_against_torch(lambda x: getattr(x, op)(), lambda x: getattr(x, op)(), [ties])
    # ... a reduction along a dim picks the first tied index and gives it all the gradient
    check_against_torch(lambda x: getattr(x, op)(1).values, lambda x: getattr(x, op)(1).values,
                        [ties])
    expected = getattr(torch, op)(torch.tensor(ties), 1).indices.numpy()
    np.testing.assert_array_equal(getattr(gs.tensor(ties), op)(1).indices.array, expected)


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_argmin_pick_the_first_tie_as_torch(op):
    ties = np.array([[2.0, 5.0, 5.0, 2.0], [2.0, 2.0, 2.0, 2.0], [5.0, 5.0, 2.0, 5.0]])
    for dim in (None, 0, 1):
        expected = getattr(torch, op)(torch.tensor(ties), dim=dim).numpy()
        np.testing.assert_array_equal(getattr(gs, op)(gs.tensor(ties), dim=dim).array, expected)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_argmin_match_torch(op, dim, keepdim):
    (array,) = random_inputs([SHAPE], seed=17)
    kwargs = {"dim": dim, "keepdim": keepdim}
    ours = getattr(gs, op)(gs.tensor(array), **kwargs)
    expected = getattr(torch, op)(torch.tensor(array), **kwargs)
    assert ours.shape == tuple(expected.shape) and ours.dtype == np.int64
    np.testing.assert_array_equal(ours.array, expected.numpy())
    np.testing.assert_array_equal(getattr(gs.tensor(array), op)(**kwargs).array, expected.numpy())


def test_float32_reductions_stay_float32_and_integer_sums_stay_integer():
    x = gs.randn(3, 4, requires_grad=True)
    for y in (x.sum(), x.mean(0), x.var(), x.std(1), x.max(), x.min(0).values, x.logsumexp(1)):
        assert y.dtype == np.float32
        y.sum().backward()
        assert x.grad.dtype == np.float32
    assert gs.tensor([1, 2, 3]).sum().dtype == np.int64
    assert gs.tensor([1, 2, 3]).sum().item() == 6


def test_reducing_a_0d_tensor():
    x = gs.tensor(3.0, dtype="float64", requires_grad=True)
    for y in (x.sum(), x.mean(), x.max(), x.sum(0), x.logsumexp(0)):
        assert y.shape == ()
    values, indices = x.max(0)
    assert values.item() == 3.0 and indices.item() == 0
    (x.sum(0) + x.max(0).values).backward()
    assert x.grad.item() == 2.0


@pytest.mark.parametrize("call", [
    lambda x: x.sum(3), lambda x: x.mean(-4), lambda x: x.var((0, 5)),
    lambda x: x.logsumexp(3), lambda x: x.max(3), lambda x: x.min(-4), lambda x: x.argmax(3),
])
def test_out_of_range_dim_raises_index_error_naming_dim_and_shape(call):
    with pytest.raises(IndexError, match=r"dim -?\d is out of range .*(3 dimensions|\(2, 3, 4\))"):
        call(gs.ones(2, 3, 4))


def test_max_along_several_dims_is_refused_as_torch():
    with pytest.raises(TypeError, match=r"max: dim must be one int.*\(0, 1\)"):
        gs.ones(2, 3).max((0, 1))
    with pytest.raises(TypeError, match=r"argmin: dim must be one int.*\(0, 1\)"):
        gs.ones(2, 3).argmin((0, 1))


def test_max_of_an_empty_tensor_raises_naming_the_shape():
    with pytest.raises(ValueError, match=r"max: cannot reduce an empty tensor of shape \(0, 3\)"):
        gs.zeros(0, 3).max()


def test_mean_of_integers_raises():
    with pytest.raises(TypeError, match="mean.*int64"):
        gs.tensor([1, 2]).mean()


def test_norm_with_p_none_is_the_2_norm_as_torch():
    """torch.norm(x, p=None) is the 2-norm (found by the type check: p=None raised TypeError)."""
    import torch
    x = np.arange(6.0).reshape(2, 3) - 2.5
    for dim in (None, 1):
        got = gs.norm(gs.tensor(x), p=None, dim=dim).numpy()
        np.testing.assert_allclose(got, torch.norm(torch.tensor(x), p=None, dim=dim).numpy())
