"""The losses of issue 10 (kl_div, poisson_nll_loss, gaussian_nll_loss, margin_ranking_loss,
hinge_embedding_loss, cosine_embedding_loss, triplet_margin_loss, triplet_margin_with_distance_loss,
multilabel_soft_margin_loss, multi_margin_loss, multilabel_margin_loss, soft_margin_loss):
values and the gradients of every input torch differentiates, for each reduction, on hypothesis
shapes and at the kinks; gradchecks; empty batches (also for the older losses); bad input."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import gradsheet as gs
import gradsheet.nn.functional as GF
from tests.helpers import check_gradients, torch_or_skip

torch = torch_or_skip()
F = torch.nn.functional
REDUCTIONS = ["none", "mean", "sum"]


def compare(gs_fn, torch_fn, arrays, grad, rtol=1e-6, atol=1e-9, seed=1):
    """Both libraries on the same arrays (float64 or int64); values and the gradients of the
    inputs marked in ``grad`` must agree (where torch gives none, gradsheet gives none or 0)."""
    gs_in = [gs.tensor(np.asarray(a), requires_grad=g) for a, g in zip(arrays, grad)]
    torch_in = [torch.tensor(np.asarray(a), requires_grad=g) for a, g in zip(arrays, grad)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out, expected = gs_fn(*gs_in), torch_fn(*torch_in)
    np.testing.assert_allclose(out.array, expected.detach().numpy(), rtol=rtol, atol=atol,
                               err_msg="values differ from torch")
    assert out.shape == tuple(expected.shape)
    if not any(grad):
        return out
    upstream = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(gs.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    for i, (ours, theirs) in enumerate(zip(gs_in, torch_in)):
        if not grad[i]:
            continue
        if theirs.grad is None:
            assert ours.grad is None or not np.any(ours.grad.array), f"input {i}: torch has no grad"
            continue
        assert ours.grad is not None, f"input {i}: gradsheet computed no gradient"
        np.testing.assert_allclose(ours.grad.array, theirs.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i} differs from torch")
    return out


def rng(seed):
    return np.random.default_rng(seed)


def signs(r, shape):
    return np.where(r.random(shape) < 0.5, -1.0, 1.0)


# name -> (make arrays from (rng, shape), which require grad, gradsheet fn, torch fn); each
# takes reduction=
POINTWISE = {
    "kl_div": (lambda r, s: [np.log(r.uniform(0.05, 1, s)), r.uniform(0.01, 1, s)], [True, True],
               GF.kl_div, F.kl_div),
    "kl_div log_target": (lambda r, s: [r.standard_normal(s), r.standard_normal(s)], [True, True],
                          lambda x, t, **k: GF.kl_div(x, t, log_target=True, **k),
                          lambda x, t, **k: F.kl_div(x, t, log_target=True, **k)),
    "poisson_nll_loss": (lambda r, s: [r.standard_normal(s), r.uniform(0, 3, s)], [True, True],
                         GF.poisson_nll_loss, F.poisson_nll_loss),
    "poisson_nll_loss rates full": (
        lambda r, s: [r.uniform(0.1, 3, s), r.uniform(0, 4, s)], [True, True],
        lambda x, t, **k: GF.poisson_nll_loss(x, t, log_input=False, full=True, **k),
        lambda x, t, **k: F.poisson_nll_loss(x, t, log_input=False, full=True, **k)),
    "poisson_nll_loss full eps": (
        lambda r, s: [r.standard_normal(s), r.uniform(0, 4, s)], [True, True],
        lambda x, t, **k: GF.poisson_nll_loss(x, t, True, True, eps=1e-3, **k),
        lambda x, t, **k: F.poisson_nll_loss(x, t, True, True, eps=1e-3, **k)),
    "gaussian_nll_loss": (lambda r, s: [r.standard_normal(s), r.standard_normal(s),
                                        r.uniform(0.1, 2, s)], [True, True, True],
                          GF.gaussian_nll_loss, F.gaussian_nll_loss),
    "gaussian_nll_loss full, var below eps": (
        lambda r, s: [r.standard_normal(s), r.standard_normal(s), r.uniform(0, 0.02, s)],
        [True, True, True],
        lambda x, t, v, **k: GF.gaussian_nll_loss(x, t, v, full=True, eps=0.01, **k),
        lambda x, t, v, **k: F.gaussian_nll_loss(x, t, v, full=True, eps=0.01, **k)),
    "gaussian_nll_loss float var": (
        lambda r, s: [r.standard_normal(s), r.standard_normal(s)], [True, True],
        lambda x, t, **k: GF.gaussian_nll_loss(x, t, 0.7, **k),
        lambda x, t, **k: F.gaussian_nll_loss(x, t, 0.7, **k)),
    "hinge_embedding_loss": (lambda r, s: [r.standard_normal(s), signs(r, s)], [True, False],
                             GF.hinge_embedding_loss, F.hinge_embedding_loss),
    "hinge_embedding_loss margin 0.3": (
        lambda r, s: [r.standard_normal(s), signs(r, s)], [True, False],
        lambda x, y, **k: GF.hinge_embedding_loss(x, y, margin=0.3, **k),
        lambda x, y, **k: F.hinge_embedding_loss(x, y, margin=0.3, **k)),
    "soft_margin_loss": (lambda r, s: [3 * r.standard_normal(s), signs(r, s)], [True, False],
                         GF.soft_margin_loss, F.soft_margin_loss),
    "margin_ranking_loss": (lambda r, s: [r.standard_normal(s), r.standard_normal(s), signs(r, s)],
                            [True, True, True], GF.margin_ranking_loss, F.margin_ranking_loss),
    "margin_ranking_loss margin 0.5": (
        lambda r, s: [r.standard_normal(s), r.standard_normal(s), signs(r, s)], [True, True, True],
        lambda a, b, y, **k: GF.margin_ranking_loss(a, b, y, 0.5, **k),
        lambda a, b, y, **k: F.margin_ranking_loss(a, b, y, 0.5, **k)),
}
shapes = array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(POINTWISE))
@settings(max_examples=4, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_pointwise_loss_matches_torch_on_drawn_shapes(name, reduction, shape, seed):
    make, grad, gs_fn, torch_fn = POINTWISE[name]
    compare(lambda *a: gs_fn(*a, reduction=reduction), lambda *a: torch_fn(*a, reduction=reduction),
            make(rng(seed), shape), grad)


# below eps, var's gradient is torch's (the clamp is not differentiated): no gradcheck there
@pytest.mark.parametrize("name", [n for n in POINTWISE if "below eps" not in n])
def test_pointwise_loss_gradcheck(name):
    make, grad, gs_fn, _ = POINTWISE[name]
    arrays = make(rng(len(name)), (3, 4))
    free = [i for i, g in enumerate(grad) if g]
    fixed = {i: gs.tensor(a) for i, a in enumerate(arrays) if not grad[i]}

    def fn(*values):
        args = list(values)
        for i in sorted(fixed):
            args.insert(i, fixed[i])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return gs_fn(*args, reduction="sum")
    check_gradients(fn, [arrays[i] for i in free])


@pytest.mark.parametrize("reduction", ["batchmean", "sum", "mean", "none"])
@pytest.mark.parametrize("shape", [(4, 3), (5,), (), (0, 3)])
def test_kl_div_batchmean_and_the_mean_warning(reduction, shape):
    r = rng(0)
    arrays = [np.log(r.uniform(0.05, 1, shape)), r.uniform(0.01, 1, shape)]
    compare(lambda x, t: GF.kl_div(x, t, reduction=reduction),
            lambda x, t: F.kl_div(x, t, reduction=reduction), arrays, [True, True])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        GF.kl_div(gs.tensor(arrays[0]), gs.tensor(arrays[1]), reduction=reduction)
    assert any("'batchmean' divides only by the batch size" in str(w.message) for w in caught) \
        == (reduction == "mean")


def test_kl_div_at_zero_targets_matches_torch_nan_target_gradient_included():
    arrays = [np.array([-1.0, -2.0, -0.5]), np.array([0.0, 0.5, 0.0])]
    out = compare(lambda x, t: GF.kl_div(x, t, reduction="sum"),
                  lambda x, t: F.kl_div(x, t, reduction="sum"), arrays, [True, True])
    assert np.isfinite(out.array)


@pytest.mark.parametrize("input_shape, var_shape", [
    ((4, 3), (4, 3)), ((4, 3), (4,)), ((4, 3), (4, 1)), ((4, 3), (1, 3)), ((2, 3, 4), (2, 3)),
    ((2, 3, 4), (2, 1, 4)), ((5,), ()), ((5,), (1,)),
])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gaussian_nll_var_shapes_follow_torch(input_shape, var_shape, reduction):
    r = rng(3)
    arrays = [r.standard_normal(input_shape), r.standard_normal(input_shape),
              r.uniform(0.2, 2, var_shape)]
    compare(lambda x, t, v: GF.gaussian_nll_loss(x, t, v, reduction=reduction),
            lambda x, t, v: F.gaussian_nll_loss(x, t, v, reduction=reduction), arrays, [True] * 3)


def test_gaussian_nll_bad_var_is_named():
    x = gs.randn(4, 3)
    with pytest.raises(ValueError, match=r"gaussian_nll_loss: var is of incorrect size: var shape "
                                         r"\(3,\) for input shape \(4, 3\)"):
        GF.gaussian_nll_loss(x, x, gs.ones(3))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(torch.ones(4, 3), torch.ones(4, 3), torch.ones(3))
    with pytest.raises(ValueError, match="gaussian_nll_loss: var has negative entry/entries"):
        GF.gaussian_nll_loss(x, x, -gs.ones(4, 3))
    with pytest.raises(ValueError, match="gaussian_nll_loss: var has negative entry/entries"):
        GF.gaussian_nll_loss(x, x, -1.0)


@pytest.mark.parametrize("shapes", [((3, 1), (1, 4), (3, 4)), ((1,), (5,), (5,)),
                                    ((2, 1, 3), (2, 4, 1), (1, 1, 1))])
def test_margin_ranking_broadcasts_as_torch(shapes):
    r = rng(1)
    arrays = [r.standard_normal(shapes[0]), r.standard_normal(shapes[1]), signs(r, shapes[2])]
    for reduction in REDUCTIONS:
        compare(lambda a, b, y: GF.margin_ranking_loss(a, b, y, 0.2, reduction=reduction),
                lambda a, b, y: F.margin_ranking_loss(a, b, y, 0.2, reduction=reduction),
                arrays, [True, True, True])


# ---------------------------------------------------------------- embeddings and triplets
@pytest.mark.parametrize("reduction", REDUCTIONS)
@settings(max_examples=8, deadline=None)
@given(n=st.integers(0, 5), d=st.integers(1, 4), margin=st.sampled_from([0.0, 0.3, -0.4]),
       seed=st.integers(0, 2**16))
def test_cosine_embedding_matches_torch(reduction, n, d, margin, seed):
    r = rng(seed)
    y = np.where(r.random(n) < 0.2, 0.0, signs(r, n))  # some targets neither 1 nor -1
    arrays = [r.standard_normal((n, d)), r.standard_normal((n, d)), y]
    compare(lambda a, b, t: GF.cosine_embedding_loss(a, b, t, margin, reduction=reduction),
            lambda a, b, t: F.cosine_embedding_loss(a, b, t, margin, reduction=reduction),
            arrays, [True, True, False])


def test_cosine_embedding_of_vectors_with_a_0d_target_and_gradcheck():
    r = rng(2)
    arrays = [r.standard_normal(4), r.standard_normal(4)]
    for y in (1.0, -1.0):
        compare(lambda a, b: GF.cosine_embedding_loss(a, b, gs.tensor(y), -0.5, reduction="none"),
                lambda a, b: F.cosine_embedding_loss(a, b, torch.tensor(y, dtype=torch.float64), -0.5,
                                                     reduction="none"),
                arrays, [True, True])
    y = gs.tensor([1.0, -1.0, -1.0])
    check_gradients(lambda a, b: GF.cosine_embedding_loss(a, b, y, -0.3),
                    [r.standard_normal((3, 4)), r.standard_normal((3, 4))])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [2, 1, 3, 0.5, math.inf])
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_matches_torch(reduction, p, swap):
    r = rng(7 if p == math.inf else int(p * 10) % 7)
    arrays = [r.standard_normal((6, 3)) for _ in range(3)]
    compare(lambda a, b, c: GF.triplet_margin_loss(a, b, c, margin=1.5, p=p, swap=swap,
                                                   reduction=reduction),
            lambda a, b, c: F.triplet_margin_loss(a, b, c, margin=1.5, p=p, swap=swap,
                                                  reduction=reduction),
            arrays, [True] * 3)


@settings(max_examples=10, deadline=None)
@given(n=st.integers(0, 4), d=st.integers(0, 3), eps=st.sampled_from([1e-6, 0.0, 0.1]),
       seed=st.integers(0, 2**16))
def test_triplet_margin_on_drawn_shapes_and_vectors(n, d, eps, seed):
    r = rng(seed)
    for shape in [(n, d), (d,)] if d else [(n, d)]:
        arrays = [r.standard_normal(shape) for _ in range(3)]
        compare(lambda a, b, c: GF.triplet_margin_loss(a, b, c, eps=eps, reduction="none"),
                lambda a, b, c: F.triplet_margin_loss(a, b, c, eps=eps, reduction="none"),
                arrays, [True] * 3)


def test_triplet_margin_broadcasts_p_zero_and_gradchecks():
    r = rng(4)
    arrays = [r.standard_normal((3, 4)), r.standard_normal((1, 4)), r.standard_normal((3, 4))]
    compare(GF.triplet_margin_loss, F.triplet_margin_loss, arrays, [True] * 3)
    compare(lambda a, b, c: GF.triplet_margin_loss(a, b, c, p=0),
            lambda a, b, c: F.triplet_margin_loss(a, b, c, p=0), arrays, [True] * 3)
    for p, swap in [(2, False), (1.5, True), (3, True)]:
        check_gradients(lambda a, b, c: GF.triplet_margin_loss(a, b, c, margin=3.0, p=p, swap=swap),
                        [r.standard_normal((3, 4)) for _ in range(3)])


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("where", [0, 1, 2])
def test_triplet_margin_propagates_nan_as_torch(where, swap):
    """max(0, NaN) is NaN in torch (clamp_min), not 0: a NaN anchor, positive or negative row
    makes that row's loss NaN, in both functions."""
    arrays = [rng(6).standard_normal((4, 3)) for _ in range(3)]
    arrays[where][1, 2] = np.nan
    for ours, theirs in [(GF.triplet_margin_loss, F.triplet_margin_loss),
                         (GF.triplet_margin_with_distance_loss,
                          F.triplet_margin_with_distance_loss)]:
        out = compare(lambda a, b, c: ours(a, b, c, swap=swap, reduction="none"),
                      lambda a, b, c: theirs(a, b, c, swap=swap, reduction="none"), arrays,
                      [False] * 3)
        assert np.isnan(out.array[1]) and not np.isnan(out.array[[0, 2, 3]]).any()
        compare(lambda a, b, c: ours(a, b, c, swap=swap),
                lambda a, b, c: theirs(a, b, c, swap=swap), arrays, [False] * 3)


def test_triplet_margin_with_distance_default_and_custom_distance():
    r = rng(5)
    arrays = [r.standard_normal((5, 3)) for _ in range(3)]
    for swap in (False, True):
        compare(lambda a, b, c: GF.triplet_margin_with_distance_loss(a, b, c, swap=swap),
                lambda a, b, c: F.triplet_margin_with_distance_loss(a, b, c, swap=swap),
                arrays, [True] * 3)
        for reduction in REDUCTIONS:
            compare(lambda a, b, c: GF.triplet_margin_with_distance_loss(
                        a, b, c, distance_function=lambda u, v: ((u - v) * (u - v)).sum(-1),
                        margin=2.0, swap=swap, reduction=reduction),
                    lambda a, b, c: F.triplet_margin_with_distance_loss(
                        a, b, c, distance_function=lambda u, v: ((u - v) * (u - v)).sum(-1),
                        margin=2.0, swap=swap, reduction=reduction),
                    arrays, [True] * 3)


# ---------------------------------------------------------------- multi-class / multi-label
@pytest.mark.parametrize("reduction", REDUCTIONS)
@settings(max_examples=8, deadline=None)
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4),
       weighted=st.booleans(), seed=st.integers(0, 2**16))
def test_multilabel_soft_margin_matches_torch(reduction, shape, weighted, seed):
    r = rng(seed)
    arrays = [3 * r.standard_normal(shape), (r.random(shape) < 0.5).astype(float)]
    weight = gs.tensor(r.uniform(0.5, 2, shape[-1:])) if weighted else None
    t_weight = None if weight is None else torch.tensor(weight.array)
    compare(lambda x, y: GF.multilabel_soft_margin_loss(x, y, weight, reduction=reduction),
            lambda x, y: F.multilabel_soft_margin_loss(x, y, t_weight, reduction=reduction),
            arrays, [True, True])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@settings(max_examples=8, deadline=None)
@given(n=st.integers(1, 5), c=st.integers(1, 5), margin=st.sampled_from([1.0, 0.4, 2.0]),
       weighted=st.booleans(), seed=st.integers(0, 2**16))
def test_multi_margin_matches_torch(reduction, p, n, c, margin, weighted, seed):
    r = rng(seed)
    target = r.integers(0, c, n)
    weight = r.uniform(0.5, 2, c) if weighted else None

    def ours(x):
        return GF.multi_margin_loss(x, gs.tensor(target), p, margin,
                                    None if weight is None else gs.tensor(weight), reduction=reduction)

    def theirs(x):
        return F.multi_margin_loss(x, torch.tensor(target), p, margin,
                                   None if weight is None else torch.tensor(weight),
                                   reduction=reduction)
    compare(ours, theirs, [r.standard_normal((n, c))], [True])
    compare(lambda x: GF.multi_margin_loss(x, gs.tensor(target[0]), p, margin, reduction=reduction),
            lambda x: F.multi_margin_loss(x, torch.tensor(target[0]), p, margin,
                                          reduction=reduction),
            [r.standard_normal(c)], [True])


def _multilabel_targets(r, n, c):
    """Rows of class indices ended by -1 (duplicates and entries after the -1 included)."""
    target = r.integers(0, c, (n, c))
    stop = r.integers(0, c + 1, n)
    for i, s in enumerate(stop):
        if s < c:
            target[i, s] = -1
    return target


@pytest.mark.parametrize("reduction", REDUCTIONS)
@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 5), c=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_multilabel_margin_matches_torch(reduction, n, c, seed):
    r = rng(seed)
    target = _multilabel_targets(r, n, c)
    compare(lambda x: GF.multilabel_margin_loss(x, gs.tensor(target), reduction=reduction),
            lambda x: F.multilabel_margin_loss(x, torch.tensor(target), reduction=reduction),
            [r.standard_normal((n, c))], [True])
    compare(lambda x: GF.multilabel_margin_loss(x, gs.tensor(target[0]), reduction=reduction),
            lambda x: F.multilabel_margin_loss(x, torch.tensor(target[0]), reduction=reduction),
            [r.standard_normal(c)], [True])


def test_class_losses_gradcheck():
    r = rng(6)
    target = gs.tensor(np.array([0, 2, 1, 2]))
    labels = gs.tensor(_multilabel_targets(r, 4, 3))
    weight = gs.tensor(np.array([0.5, 1.0, 2.0]))
    for p in (1, 2):
        check_gradients(lambda x: GF.multi_margin_loss(x, target, p, 0.7, weight),
                        [r.standard_normal((4, 3))])
    check_gradients(lambda x: GF.multilabel_margin_loss(x, labels), [r.standard_normal((4, 3))])
    check_gradients(lambda x, y: GF.multilabel_soft_margin_loss(x, y, weight),
                    [r.standard_normal((4, 3)), r.random((4, 3))])


# ---------------------------------------------------------------- kinks (torch's choices)
def test_hinge_kinks_pass_the_gradient_where_torch_does():
    # margin_ranking at -y (x1 - x2) + margin = 0, hinge_embedding at margin - x = 0,
    # triplet at margin + d(a, p) - d(a, n) = 0: torch's clamp_min passes the gradient there
    compare(lambda a, b, y: GF.margin_ranking_loss(a, b, y, reduction="sum"),
            lambda a, b, y: F.margin_ranking_loss(a, b, y, reduction="sum"),
            [np.array([1.0, 2.0, 0.0]), np.array([1.0, 1.0, 0.0]), np.array([1.0, 1.0, -1.0])],
            [True, True, True])
    compare(lambda x, y: GF.hinge_embedding_loss(x, y, reduction="sum"),
            lambda x, y: F.hinge_embedding_loss(x, y, reduction="sum"),
            [np.array([1.0, 0.5, 2.0, 1.0, 0.5]), np.array([-1.0, -1.0, -1.0, 0.0, 2.0])],
            [True, False])
    compare(lambda a, p, n: GF.triplet_margin_loss(a, p, n, eps=0.0),
            lambda a, p, n: F.triplet_margin_loss(a, p, n, eps=0.0),
            [np.array([[0.0, 0.0], [0.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 0.0]]),
             np.array([[2.0, 0.0], [0.0, 1.0]])], [True] * 3)
    # multi_margin and multilabel_margin: the hinge at 0 passes nothing (strict), as torch
    compare(lambda x: GF.multi_margin_loss(x, gs.tensor([1, 0])),
            lambda x: F.multi_margin_loss(x, torch.tensor([1, 0])),
            [np.array([[1.0, 2.0, 0.0], [1.0, 0.0, 1.0]])], [True])
    compare(lambda x: GF.multilabel_margin_loss(x, gs.tensor([[1, 1, -1, 0]])),
            lambda x: F.multilabel_margin_loss(x, torch.tensor([[1, 1, -1, 0]])),
            [np.array([[1.0, 2.0, 0.0, 5.0]])], [True])
    # cosine at cos = margin: the gradient passes, as torch
    x1, x2 = np.array([[3.0, 4.0]]), np.array([[4.0, 3.0]])
    cos = F.cosine_embedding_loss(torch.tensor(x1), torch.tensor(x2), torch.tensor([1.0])).item()
    compare(lambda a, b: GF.cosine_embedding_loss(a, b, gs.tensor([-1.0]), 1 - cos),
            lambda a, b: F.cosine_embedding_loss(a, b, torch.tensor([-1.0], dtype=torch.float64),
                                                 1 - cos),
            [x1, x2], [True, True])


# ---------------------------------------------------------------- empty batches
EMPTY = {
    "mse_loss": (GF.mse_loss, F.mse_loss, lambda: [np.zeros((0, 3)), np.zeros((0, 3))]),
    "l1_loss": (GF.l1_loss, F.l1_loss, lambda: [np.zeros((0, 3)), np.zeros((0, 3))]),
    "huber_loss": (GF.huber_loss, F.huber_loss, lambda: [np.zeros((0, 3)), np.zeros((0, 3))]),
    "smooth_l1_loss": (GF.smooth_l1_loss, F.smooth_l1_loss,
                       lambda: [np.zeros((0, 3)), np.zeros((0, 3))]),
    "binary_cross_entropy": (GF.binary_cross_entropy, F.binary_cross_entropy,
                             lambda: [np.zeros((0, 3)), np.zeros((0, 3))]),
    "binary_cross_entropy_with_logits": (GF.binary_cross_entropy_with_logits,
                                         F.binary_cross_entropy_with_logits,
                                         lambda: [np.zeros((0, 3)), np.zeros((0, 3))]),
    "cross_entropy": (GF.cross_entropy, F.cross_entropy,
                      lambda: [np.zeros((0, 3)), np.zeros(0, dtype=np.int64)]),
    "cross_entropy probabilities": (GF.cross_entropy, F.cross_entropy,
                                    lambda: [np.zeros((0, 3)), np.zeros((0, 3))]),
    "nll_loss": (GF.nll_loss, F.nll_loss, lambda: [np.zeros((0, 3)), np.zeros(0, dtype=np.int64)]),
    "kl_div": (GF.kl_div, F.kl_div, lambda: [np.zeros((0, 3)), np.zeros((0, 3))]),
    "poisson_nll_loss": (GF.poisson_nll_loss, F.poisson_nll_loss,
                         lambda: [np.zeros((0, 3)), np.zeros((0, 3))]),
    "gaussian_nll_loss": (GF.gaussian_nll_loss, F.gaussian_nll_loss,
                          lambda: [np.zeros((0, 3)), np.zeros((0, 3)), np.ones((0, 3))]),
    "margin_ranking_loss": (GF.margin_ranking_loss, F.margin_ranking_loss,
                            lambda: [np.zeros(0), np.zeros(0), np.zeros(0)]),
    "hinge_embedding_loss": (GF.hinge_embedding_loss, F.hinge_embedding_loss,
                             lambda: [np.zeros((0, 3)), np.zeros((0, 3))]),
    "soft_margin_loss": (GF.soft_margin_loss, F.soft_margin_loss,
                         lambda: [np.zeros((0, 3)), np.zeros((0, 3))]),
    "cosine_embedding_loss": (GF.cosine_embedding_loss, F.cosine_embedding_loss,
                              lambda: [np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0)]),
    "triplet_margin_loss": (GF.triplet_margin_loss, F.triplet_margin_loss,
                            lambda: [np.zeros((0, 3))] * 3),
    "multilabel_soft_margin_loss": (GF.multilabel_soft_margin_loss, F.multilabel_soft_margin_loss,
                                    lambda: [np.zeros((0, 3)), np.zeros((0, 3))]),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(EMPTY))
def test_empty_batch_gives_torchs_result_nan_mean_included(name, reduction):
    gs_fn, torch_fn, make = EMPTY[name]
    arrays = make()
    grad = [a.dtype.kind == "f" and i == 0 for i, a in enumerate(arrays)]
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message="reduction: 'mean'")
        out = compare(lambda *a: gs_fn(*a, reduction=reduction),
                      lambda *a: torch_fn(*a, reduction=reduction), arrays, grad)
    if reduction == "mean":
        assert np.isnan(out.array)


@pytest.mark.parametrize("fn, target", [
    (GF.multi_margin_loss, np.zeros(0, dtype=np.int64)),
    (GF.multilabel_margin_loss, np.zeros((0, 3), dtype=np.int64)),
])
def test_empty_batch_of_the_margin_losses_is_nan_mean_and_zero_sum(fn, target):
    # torch returns uninitialised memory here; gradsheet gives what the other losses give
    x = gs.zeros(0, 3, requires_grad=True)
    assert fn(x, gs.tensor(target), reduction="none").shape == (0,)
    assert np.isnan(fn(x, gs.tensor(target)).array)
    total = fn(x, gs.tensor(target), reduction="sum")
    total.backward()
    assert total.array == 0 and x.grad.shape == (0, 3)


# ---------------------------------------------------------------- legacy arguments
def test_size_average_and_reduce_map_to_a_reduction_with_a_warning():
    x, y = gs.randn(4, 3, dtype="float64"), gs.tensor(np.sign(np.random.default_rng(0)
                                                                 .standard_normal((4, 3))))
    for size_average, reduce, reduction in [(False, None, "sum"), (None, False, "none"),
                                            (True, True, "mean")]:
        with pytest.warns(UserWarning, match=f"reduction='{reduction}'"):
            legacy = GF.soft_margin_loss(x, y, size_average, reduce)
        np.testing.assert_allclose(legacy.array,
                                   GF.soft_margin_loss(x, y, reduction=reduction).array)


# ---------------------------------------------------------------- bad input
@pytest.mark.filterwarnings("ignore:reduction")
def test_mismatched_shapes_name_both():
    a, b = gs.ones(3, 4), gs.ones(3, 5)
    for fn in (GF.kl_div, GF.poisson_nll_loss, GF.hinge_embedding_loss, GF.soft_margin_loss,
               GF.multilabel_soft_margin_loss):
        with pytest.raises(ValueError, match=r"target shape \(3, 5\) must equal input shape \(3, 4\)"):
            fn(a, b)
    with pytest.raises(ValueError, match=r"target shape \(3, 5\) must equal input shape \(3, 4\)"):
        GF.gaussian_nll_loss(a, b, gs.ones(3, 4))
    with pytest.raises(ValueError, match=r"margin_ranking_loss: shapes do not broadcast: input1 "
                                         r"\(3,\), input2 \(2,\), target \(3,\)"):
        GF.margin_ranking_loss(gs.ones(3), gs.ones(2), gs.ones(3))
    with pytest.raises(ValueError, match=r"margin_ranking_loss: all inputs must have the same "
                                         r"number of dimensions, got input1 \(3,\), input2 \(1, 3\)"):
        GF.margin_ranking_loss(gs.ones(3), gs.ones(1, 3), gs.ones(3))
    with pytest.raises(ValueError, match=r"triplet_margin_loss: all inputs must have the same number "
                                         r"of dimensions, got anchor \(2, 3\), positive \(3,\)"):
        GF.triplet_margin_loss(gs.ones(2, 3), gs.ones(3), gs.ones(2, 3))
    with pytest.raises(ValueError, match=r"triplet_margin_loss: shapes do not broadcast: anchor "
                                         r"\(2, 3\), positive \(4, 3\)"):
        GF.triplet_margin_loss(gs.ones(2, 3), gs.ones(4, 3), gs.ones(2, 3))
    with pytest.raises(ValueError, match=r"cosine_embedding_loss: a 1D target expects 2D input "
                                         r"tensors, but found inputs with shapes \(2, 3\) and \(3,\)"):
        GF.cosine_embedding_loss(gs.ones(2, 3), gs.ones(3), gs.ones(2))
    with pytest.raises(ValueError, match=r"cosine_embedding_loss: 0D or 1D target tensor expected"):
        GF.cosine_embedding_loss(gs.ones(2, 3), gs.ones(2, 3), gs.ones(1, 2))
    with pytest.raises(ValueError, match=r"cosine_embedding_loss: shapes do not broadcast: input1 "
                                         r"\(2, 3\), input2 \(4, 3\)"):
        GF.cosine_embedding_loss(gs.ones(2, 3), gs.ones(4, 3), gs.ones(2))
    with pytest.raises(ValueError, match=r"multi_margin_loss: target shape \(3,\) does not fit input "
                                         r"shape \(2, 3\)"):
        GF.multi_margin_loss(gs.ones(2, 3), gs.tensor([1, 1, 1]))
    with pytest.raises(ValueError, match=r"multi_margin_loss: expected a non-empty vector \(C,\) or "
                                         r"matrix \(N, C\).*got shape \(2, 3, 4\)"):
        GF.multi_margin_loss(gs.ones(2, 3, 4), gs.tensor([1, 1]))
    with pytest.raises(ValueError, match=r"multilabel_margin_loss: target shape \(2,\) must equal "
                                         r"input shape \(2, 3\)"):
        GF.multilabel_margin_loss(gs.ones(2, 3), gs.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"multi_margin_loss: weight must have shape \(3,\)"):
        GF.multi_margin_loss(gs.ones(2, 3), gs.tensor([1, 1]), weight=gs.ones(2))


def test_out_of_range_options_and_targets_are_named():
    x = gs.ones(2, 3)
    for margin in (0, -1.5):
        with pytest.raises(ValueError, match=f"triplet_margin_loss: margin must be greater than 0, "
                                             f"got {margin}"):
            GF.triplet_margin_loss(x, x, x, margin=margin)
        with pytest.raises(ValueError, match=f"triplet_margin_with_distance_loss: margin must be "
                                             f"greater than 0, got {margin}"):
            GF.triplet_margin_with_distance_loss(x, x, x, margin=margin)
    with pytest.raises(ValueError, match="multi_margin_loss: only p == 1 and p == 2 supported, got p=3"):
        GF.multi_margin_loss(x, gs.tensor([0, 1]), p=3)
    with pytest.raises(ValueError, match=r"multi_margin_loss: weight must be one-dimensional, got "
                                         r"shape \(1, 3\)"):
        GF.multi_margin_loss(x, gs.tensor([0, 1]), weight=gs.ones(1, 3))
    with pytest.raises(IndexError, match="multi_margin_loss: target 3 is out of range for 3 classes"):
        GF.multi_margin_loss(x, gs.tensor([0, 3]))
    with pytest.raises(TypeError, match="multi_margin_loss: class-index targets must be integers, "
                                        "got float"):
        GF.multi_margin_loss(x, gs.tensor([0.0, 1.0]))
    with pytest.raises(IndexError, match=r"multilabel_margin_loss: target -2 is out of range"):
        GF.multilabel_margin_loss(x, gs.tensor([[-2, 0, 0], [0, 0, 0]]))
    with pytest.raises(IndexError, match=r"multilabel_margin_loss: target 3 is out of range"):
        GF.multilabel_margin_loss(x, gs.tensor([[3, 0, 0], [0, 0, 0]]))
    for fn in (GF.kl_div, GF.soft_margin_loss, GF.poisson_nll_loss):
        with pytest.raises(ValueError, match=r": reduction must be 'mean', 'sum' or 'none', got 'avg'"):
            fn(x, x, reduction="avg")


def test_new_losses_are_torch_names_with_torchs_defaults():
    import inspect
    for name in ["kl_div", "poisson_nll_loss", "gaussian_nll_loss", "margin_ranking_loss",
                 "hinge_embedding_loss", "cosine_embedding_loss", "triplet_margin_loss",
                 "triplet_margin_with_distance_loss", "multilabel_soft_margin_loss",
                 "multi_margin_loss", "multilabel_margin_loss", "soft_margin_loss"]:
        ours, theirs = inspect.signature(getattr(GF, name)), inspect.signature(getattr(F, name))
        assert [(p.name, p.default, p.kind) for p in ours.parameters.values()] == \
            [(p.name, p.default, p.kind) for p in theirs.parameters.values()], name
