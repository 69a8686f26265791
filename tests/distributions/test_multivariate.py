"""MultivariateNormal (scale_tril, covariance_matrix or precision_matrix; broadcast batch
shapes) and Independent against torch in float64: shapes, log_prob, entropy, moments, the
derived matrices and their gradients, expand."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
import gradsheet.distributions as D
from tests.distributions.common import (assert_close, assert_same_gradients, both, torch,
                                        value_pair)

HOWS = ["scale_tril", "covariance_matrix", "precision_matrix"]
RT = dict(rtol=1e-6, atol=1e-9)  # through Cholesky factorizations and solves


def _spd(rng, batch, n):
    A = rng.standard_normal(batch + (n, n))
    return A @ np.swapaxes(A, -1, -2) + n * np.eye(n)


def _matrix(how, rng, batch, n):
    spd = _spd(rng, batch, n)
    return np.linalg.cholesky(spd) if how == "scale_tril" else spd


batches = st.sampled_from([((), ()), ((2,), ()), ((), (3,)), ((2, 1), (3,))])


@pytest.mark.parametrize("how", HOWS)
@settings(max_examples=4, deadline=None)
@given(batch=batches, n=st.integers(1, 3), sample_shape=st.sampled_from([(), (2,), (0,)]),
       seed=st.integers(0, 2**16))
def test_multivariate_normal_matches_torch(how, batch, n, sample_shape, seed):
    rng = np.random.default_rng(seed)
    matrix_batch, loc_batch = batch
    validate = 0 not in matrix_batch + tuple(sample_shape)  # torch cannot check zero-size
    d, t, gp, tp = both("MultivariateNormal", {"loc": rng.standard_normal(loc_batch + (n,)),
                                               how: _matrix(how, rng, matrix_batch, n)},
                        validate_args=validate)
    assert d.batch_shape == tuple(t.batch_shape) and d.event_shape == tuple(t.event_shape)
    shape = tuple(sample_shape) + tuple(t.batch_shape) + (n,)
    gv, tv = value_pair(rng.standard_normal(shape), requires_grad=True)
    out, expected = d.log_prob(gv), t.log_prob(tv)
    assert_close(out, expected, "log_prob", **RT)
    assert_same_gradients(out, expected, [*gp.values(), gv], [*tp.values(), tv], seed=seed,
                          what="log_prob", **RT)
    for what in ("entropy", "mean", "variance", "stddev", "mode", "scale_tril",
                 "covariance_matrix", "precision_matrix"):
        out = d.entropy() if what == "entropy" else getattr(d, what)
        expected = t.entropy() if what == "entropy" else getattr(t, what)
        assert_close(out, expected, what, **RT)
        if what == "precision_matrix" and how == "scale_tril":
            # torch's cholesky_inverse backward sends gradient to L's upper triangle, which
            # L^-T L^-1 never reads: compare the lower triangle, gradsheet's upper one is 0
            _compare_lower_gradients(out, expected, gp, tp, seed)
        elif expected.requires_grad and what in ("entropy", "variance", "covariance_matrix",
                                                 "precision_matrix", "scale_tril"):
            assert_same_gradients(out, expected, gp.values(), tp.values(), seed=seed, what=what,
                                  **RT)
    assert tuple(d.sample(sample_shape).shape) == shape
    assert tuple(d.rsample(sample_shape).shape) == shape


def _compare_lower_gradients(out, expected, gp, tp, seed):
    upstream = np.random.default_rng(seed).standard_normal(tuple(expected.shape))
    (t_grad,) = torch.autograd.grad(expected, [tp["scale_tril"]], torch.tensor(upstream),
                                    retain_graph=True)
    gp["scale_tril"].grad = None
    out.backward(gs.tensor(upstream), retain_graph=True)
    g = gp["scale_tril"].grad.array
    np.testing.assert_allclose(np.tril(g), np.tril(t_grad.numpy()), **RT)
    assert not np.any(np.triu(g, 1))


def test_zero_size_batches_and_samples():
    loc = gs.zeros(0, 2, dtype=np.float64)
    cov = gs.tensor(np.broadcast_to(np.eye(2), (0, 2, 2)).copy())
    d = D.MultivariateNormal(loc, covariance_matrix=cov)
    assert d.batch_shape == (0,) and d.event_shape == (2,)
    assert d.log_prob(gs.zeros(3, 0, 2, dtype=np.float64)).shape == (3, 0)
    assert d.entropy().shape == (0,)
    assert d.rsample((4,)).shape == (4, 0, 2)


def test_multivariate_normal_expand_matches_torch():
    rng = np.random.default_rng(3)
    d, t, gp, tp = both("MultivariateNormal", {"loc": rng.standard_normal(2),
                                               "covariance_matrix": _spd(rng, (), 2)})
    de, te = d.expand((3,)), t.expand((3,))
    assert de.batch_shape == tuple(te.batch_shape) == (3,)
    gv, tv = value_pair(rng.standard_normal((3, 2)))
    out, expected = de.log_prob(gv), te.log_prob(tv)
    assert_close(out, expected, "log_prob", **RT)
    assert_same_gradients(out, expected, gp.values(), tp.values(), what="expand", **RT)
    assert_close(de.covariance_matrix, te.covariance_matrix, "covariance", **RT)


def test_scale_tril_upper_entries_get_no_gradient_as_torch():
    rng = np.random.default_rng(4)
    L = np.linalg.cholesky(_spd(rng, (), 3))
    d, t, gp, tp = both("MultivariateNormal", {"loc": np.zeros(3), "scale_tril": L})
    gv, tv = value_pair(rng.standard_normal((5, 3)))
    out, expected = d.log_prob(gv), t.log_prob(tv)
    assert_same_gradients(out, expected, gp.values(), tp.values(), what="log_prob", **RT)
    assert not np.any(np.triu(gp["scale_tril"].grad.array, 1))


@pytest.mark.parametrize("family", ["Normal", "Bernoulli", "Gamma"])
@pytest.mark.parametrize("ndims", [0, 1, 2])
def test_independent_matches_torch(family, ndims):
    rng = np.random.default_rng(ndims)
    params = {"Normal": {"loc": rng.standard_normal((2, 3, 4)),
                         "scale": rng.uniform(0.5, 2.0, (3, 4))},
              "Bernoulli": {"probs": rng.uniform(0.1, 0.9, (2, 3, 4))},
              "Gamma": {"concentration": rng.uniform(0.5, 3.0, (2, 3, 4)), "rate": 1.5}}[family]
    base, tbase, gp, tp = both(family, params)
    d, t = D.Independent(base, ndims), torch.distributions.Independent(tbase, ndims)
    assert d.batch_shape == tuple(t.batch_shape) and d.event_shape == tuple(t.event_shape)
    assert d.has_rsample == t.has_rsample
    assert d.has_enumerate_support == t.has_enumerate_support
    values = {"Normal": rng.standard_normal((5, 2, 3, 4)),
              "Bernoulli": (rng.random((5, 2, 3, 4)) < 0.5).astype(float),
              "Gamma": rng.uniform(0.1, 4.0, (5, 2, 3, 4))}[family]
    gv, tv = value_pair(values)
    out, expected = d.log_prob(gv), t.log_prob(tv)
    assert_close(out, expected, "log_prob")
    assert_same_gradients(out, expected, gp.values(), tp.values(), what="log_prob")
    out, expected = d.entropy(), t.entropy()
    assert_close(out, expected, "entropy")
    assert_same_gradients(out, expected, gp.values(), tp.values(), what="entropy")
    for what in ("mean", "variance", "mode"):
        assert_close(getattr(d, what), getattr(t, what), what)
    assert tuple(d.sample((2,)).shape) == tuple(t.sample((2,)).shape)
    de, te = d.expand((4,) + d.batch_shape), t.expand((4,) + tuple(t.batch_shape))
    assert de.batch_shape == tuple(te.batch_shape) and de.event_shape == tuple(te.event_shape)
    gv, tv = value_pair(values[:1])
    assert_close(de.log_prob(gv), te.log_prob(tv), "log_prob after expand")
    assert repr(d) == f"Independent({base!r}, {ndims})"


def test_independent_support_and_enumerate():
    d = D.Independent(D.Bernoulli(gs.tensor(np.full((2, 3), 0.5))), 1)
    assert repr(d.support) == repr(torch.distributions.Independent(
        torch.distributions.Bernoulli(torch.full((2, 3), 0.5)), 1).support)
    with pytest.raises(NotImplementedError, match="cartesian product"):
        d.enumerate_support()
    base = D.Bernoulli(gs.tensor([0.2, 0.6]))
    assert D.Independent(base, 0).enumerate_support().shape == (2, 2)
