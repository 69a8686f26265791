"""kl_divergence against torch in float64 for every pair torch registers among Normal,
Uniform, Bernoulli, Categorical, Gamma, Beta, MultivariateNormal and Independent: values (inf
where the supports do not nest) and gradients to both distributions' parameters; the
dispatch (NotImplementedError for unregistered pairs, register_kl for new types)."""
import warnings

import numpy as np
import pytest

import gradsheet as gs
import gradsheet.distributions as D
from tests.distributions.common import assert_close, assert_same_gradients, both, torch

RNG = np.random.default_rng(0)


def _params(name, shape, rng):
    if name == "Normal":
        return {"loc": rng.standard_normal(shape), "scale": rng.uniform(0.3, 2.0, shape)}
    if name == "Uniform":
        low = rng.uniform(0.05, 0.4, shape)
        return {"low": low, "high": low + rng.uniform(0.1, 0.5, shape)}
    if name == "Bernoulli":
        return {"probs": rng.uniform(0.05, 0.95, shape)}
    if name == "Categorical":
        return {"logits": rng.standard_normal(shape + (4,))}
    if name == "Gamma":
        return {"concentration": rng.uniform(0.3, 4.0, shape), "rate": rng.uniform(0.3, 3.0, shape)}
    if name == "Beta":
        return {"concentration1": rng.uniform(0.3, 4.0, shape),
                "concentration0": rng.uniform(0.3, 4.0, shape)}
    raise KeyError(name)


PAIRS = [("Normal", "Normal"), ("Uniform", "Uniform"), ("Bernoulli", "Bernoulli"),
         ("Categorical", "Categorical"), ("Gamma", "Gamma"), ("Beta", "Beta"),
         ("Beta", "Gamma"), ("Beta", "Normal"), ("Beta", "Uniform"), ("Gamma", "Beta"),
         ("Gamma", "Uniform"), ("Gamma", "Normal"), ("Normal", "Beta"), ("Normal", "Gamma"),
         ("Normal", "Uniform"), ("Uniform", "Beta"), ("Uniform", "Gamma"),
         ("Uniform", "Normal")]


@pytest.mark.parametrize("p_name,q_name", PAIRS)
@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 1), (3,)), ((), ())])
def test_kl_matches_torch(p_name, q_name, shapes):
    rng = np.random.default_rng(len(p_name) * 7 + len(q_name))
    p, tp, gp_params, tp_params = both(p_name, _params(p_name, shapes[0], rng))
    q, tq, gq_params, tq_params = both(q_name, _params(q_name, shapes[1], rng))
    out = D.kl_divergence(p, q)
    try:
        expected = torch.distributions.kl_divergence(tp, tq)
    except IndexError:  # torch's in-place masks do not broadcast: expand both first
        batch = torch.broadcast_shapes(tp.batch_shape, tq.batch_shape)
        expected = torch.distributions.kl_divergence(tp.expand(batch), tq.expand(batch))
    assert_close(out, expected, f"KL({p_name} || {q_name})")
    if expected.requires_grad:
        assert_same_gradients(out, expected, [*gp_params.values(), *gq_params.values()],
                              [*tp_params.values(), *tq_params.values()], what="KL")


def test_kl_infinite_where_supports_do_not_nest_matches_torch():
    cases = [("Uniform", {"low": np.array([0.0, 0.0, -1.0]), "high": np.array([1.0, 2.0, 0.5])},
              "Uniform", {"low": np.array([0.0, 0.5, -2.0]), "high": np.array([2.0, 3.0, 0.0])}),
             ("Uniform", {"low": np.array([-0.5, 0.2]), "high": np.array([0.5, 1.5])},
              "Beta", {"concentration1": np.array([2.0, 2.0]),
                       "concentration0": np.array([3.0, 3.0])}),
             ("Uniform", {"low": np.array([-0.5, 0.2]), "high": np.array([0.5, 1.5])},
              "Gamma", {"concentration": np.array([2.0, 2.0]), "rate": np.array([1.0, 1.0])}),
             ("Beta", {"concentration1": np.array([2.0, 2.0]),
                       "concentration0": np.array([3.0, 3.0])},
              "Uniform", {"low": np.array([0.1, -1.0]), "high": np.array([2.0, 2.0])}),
             ("Bernoulli", {"probs": np.array([0.0, 1.0, 0.3, 0.3, 0.0])},
              "Bernoulli", {"probs": np.array([0.5, 0.5, 0.0, 1.0, 0.0])}),
             ("Categorical", {"probs": np.array([[0.0, 0.5, 0.5], [0.5, 0.5, 0.0]])},
              "Categorical", {"probs": np.array([[0.2, 0.8, 0.0], [0.3, 0.3, 0.4]])})]
    for p_name, p_params, q_name, q_params in cases:
        p, tp, _, _ = both(p_name, p_params)
        q, tq, _, _ = both(q_name, q_params)
        assert_close(D.kl_divergence(p, q), torch.distributions.kl_divergence(tp, tq),
                     f"KL({p_name} || {q_name}) at the edges")


def _spd(rng, batch, n):
    A = rng.standard_normal(batch + (n, n))
    return A @ np.swapaxes(A, -1, -2) + n * np.eye(n)


@pytest.mark.parametrize("batches", [((), ()), ((2,), ()), ((2, 1), (3,))])
def test_kl_multivariate_normal_matches_torch(batches):
    rng = np.random.default_rng(1)
    p, tp, gp, tpp = both("MultivariateNormal", {"loc": rng.standard_normal(batches[0] + (3,)),
                                                 "covariance_matrix": _spd(rng, batches[0], 3)})
    L = np.linalg.cholesky(_spd(rng, batches[1], 3))
    q, tq, gq, tqp = both("MultivariateNormal", {"loc": rng.standard_normal(batches[1] + (3,)),
                                                 "scale_tril": L})
    out, expected = D.kl_divergence(p, q), torch.distributions.kl_divergence(tp, tq)
    assert_close(out, expected, "KL(MVN || MVN)", rtol=1e-6, atol=1e-9)
    assert_same_gradients(out, expected, [*gp.values(), *gq.values()],
                          [*tpp.values(), *tqp.values()], rtol=1e-6, atol=1e-9, what="KL")


def test_kl_multivariate_normal_event_shapes_must_agree():
    p = D.MultivariateNormal(gs.zeros(2), covariance_matrix=gs.eye(2))
    q = D.MultivariateNormal(gs.zeros(3), covariance_matrix=gs.eye(3))
    with pytest.raises(ValueError, match="different event shapes"):
        D.kl_divergence(p, q)


def test_kl_independent_matches_torch():
    rng = np.random.default_rng(2)
    p, tp, gp, tpp = both("Normal", _params("Normal", (2, 3), rng))
    q, tq, gq, tqp = both("Normal", _params("Normal", (2, 3), rng))
    out = D.kl_divergence(D.Independent(p, 1), D.Independent(q, 1))
    expected = torch.distributions.kl_divergence(torch.distributions.Independent(tp, 1),
                                                 torch.distributions.Independent(tq, 1))
    assert_close(out, expected, "KL(Independent || Independent)")
    assert_same_gradients(out, expected, [*gp.values(), *gq.values()],
                          [*tpp.values(), *tqp.values()], what="KL")
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Independent(p, 1), D.Independent(q, 2))
    with pytest.raises(NotImplementedError):
        torch.distributions.kl_divergence(torch.distributions.Independent(tp, 1),
                                          torch.distributions.Independent(tq, 2))


@pytest.mark.parametrize("p_name,q_name", [("Bernoulli", "Normal"), ("Categorical", "Normal"),
                                           ("Normal", "Bernoulli"), ("Uniform", "Bernoulli"),
                                           ("Gamma", "Categorical")])
def test_unregistered_pairs_raise_not_implemented_as_torch(p_name, q_name):
    rng = np.random.default_rng(3)
    p, tp, _, _ = both(p_name, _params(p_name, (2,), rng))
    q, tq, _, _ = both(q_name, _params(q_name, (2,), rng))
    with pytest.raises(NotImplementedError):
        torch.distributions.kl_divergence(tp, tq)
    with pytest.raises(NotImplementedError):
        D.kl_divergence(p, q)


def test_register_kl_dispatches_to_the_most_specific_pair():
    class MyNormal(D.Normal):
        pass

    class Other(D.Distribution):
        arg_constraints = {}

    p = MyNormal(gs.tensor([0.0, 1.0]), gs.tensor([1.0, 2.0]))
    q = D.Normal(0.0, 1.0)
    base = D.kl_divergence(D.Normal(p.loc, p.scale), q)
    np.testing.assert_allclose(D.kl_divergence(p, q).array, base.array)  # inherits Normal's
    with pytest.raises(NotImplementedError, match="Other"):
        D.kl_divergence(Other(), q)

    @D.register_kl(MyNormal, D.Normal)
    def _mine(p, q):
        return gs.zeros(p.batch_shape)

    assert np.all(D.kl_divergence(p, q).array == 0)
    assert np.all(D.kl_divergence(p, MyNormal(0.0, 1.0)).array == 0)
    np.testing.assert_allclose(D.kl_divergence(q, p).array,  # (Normal, MyNormal): Normal's
                               D.kl_divergence(q, D.Normal(p.loc, p.scale)).array)

    @D.register_kl(D.Normal, MyNormal)
    def _theirs(p, q):
        return gs.ones(p.batch_shape)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        D.kl_divergence(p, MyNormal(0.0, 1.0))
    assert any("Ambiguous kl_divergence" in str(w.message) for w in caught)
    with pytest.raises(TypeError, match="Distribution subclass"):
        D.register_kl(int, D.Normal)
    from gradsheet.distributions import kl
    for key in [(MyNormal, D.Normal), (D.Normal, MyNormal)]:
        kl._KL_REGISTRY.pop(key)
    kl._KL_MEMOIZE.clear()
