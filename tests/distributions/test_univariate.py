"""Normal, Uniform, Bernoulli, Gamma, Beta and Categorical against torch.distributions in
float64: shapes for broadcast parameters and sample shapes, log_prob, entropy, mean, variance,
stddev, mode, cdf/icdf, and the gradients of each with respect to the parameters (and the
value); expand, enumerate_support, numbers as parameters, a REINFORCE update."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import gradsheet as gs
import gradsheet.distributions as D
from tests.distributions.common import (TD, assert_close, assert_same_gradients, both, torch,
                                        value_pair)


def _uniform(rng, shape, low, high):
    return rng.uniform(low, high, size=shape)


# family -> (torch/gradsheet class, parameter makers, value maker, value differentiable)
def _normal(rng, s1, s2):
    return {"loc": rng.standard_normal(s1), "scale": _uniform(rng, s2, 0.2, 3.0)}


def _uniform_params(rng, s1, s2):
    low = rng.standard_normal(s1)
    return {"low": low, "high": np.max(low, initial=0.0) + _uniform(rng, s2, 0.5, 3.0)}


def _bernoulli_probs(rng, s1, s2):
    return {"probs": _uniform(rng, s1, 0.05, 0.95)}


def _bernoulli_logits(rng, s1, s2):
    return {"logits": 2 * rng.standard_normal(s1)}


def _gamma(rng, s1, s2):
    return {"concentration": _uniform(rng, s1, 0.3, 5.0), "rate": _uniform(rng, s2, 0.3, 3.0)}


def _beta(rng, s1, s2):
    return {"concentration1": _uniform(rng, s1, 0.3, 5.0),
            "concentration0": _uniform(rng, s2, 0.3, 5.0)}


def _values(name, rng, shape, tdist):
    if name == "Normal":
        return 2 * rng.standard_normal(shape)
    if name == "Uniform":
        low, high = (np.broadcast_to(t.detach().numpy(), shape) for t in (tdist.low, tdist.high))
        return low + rng.uniform(0.0, 1.0, size=shape) * (high - low)
    if name == "Bernoulli":
        return (rng.random(shape) < 0.5).astype(np.float64)
    if name == "Gamma":
        return _uniform(rng, shape, 0.05, 6.0)
    return _uniform(rng, shape, 0.02, 0.98)


FAMILIES = {"Normal": ("Normal", _normal), "Uniform": ("Uniform", _uniform_params),
            "Bernoulli-probs": ("Bernoulli", _bernoulli_probs),
            "Bernoulli-logits": ("Bernoulli", _bernoulli_logits),
            "Gamma": ("Gamma", _gamma), "Beta": ("Beta", _beta)}
CONTINUOUS = {"Normal", "Uniform", "Gamma", "Beta"}

broadcast_shapes = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                 min_side=0, max_side=3)
sample_shapes = array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3)


@pytest.mark.parametrize("family", list(FAMILIES))
@settings(max_examples=8, deadline=None)
@given(shapes=broadcast_shapes, sample_shape=sample_shapes, seed=st.integers(0, 2**16))
def test_log_prob_and_shapes_match_torch(family, shapes, sample_shape, seed):
    name, make = FAMILIES[family]
    rng = np.random.default_rng(seed)
    # torch's Beta cannot validate a zero-size batch (its Dirichlet's check reshapes to (0, -1))
    validate = not (name == "Beta" and 0 in shapes.result_shape)
    d, t, gs_params, torch_params = both(name, make(rng, *shapes.input_shapes),
                                         validate_args=validate)
    assert d.batch_shape == tuple(t.batch_shape) and d.event_shape == tuple(t.event_shape)
    shape = tuple(sample_shape) + tuple(t.batch_shape)
    differentiable = name in CONTINUOUS
    gs_value, torch_value = value_pair(_values(name, rng, shape, t), requires_grad=differentiable)
    out, expected = d.log_prob(gs_value), t.log_prob(torch_value)
    assert_close(out, expected, f"{family} log_prob")
    assert_same_gradients(out, expected, [*gs_params.values(), gs_value],
                          [*torch_params.values(), torch_value], seed=seed, what="log_prob")
    assert tuple(d.sample(sample_shape).shape) == tuple(t.sample(sample_shape).shape)
    assert d.sample(sample_shape).dtype == d.mean.dtype
    if d.has_rsample:
        assert tuple(d.rsample(sample_shape).shape) == shape


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("what", ["entropy", "mean", "variance", "stddev", "mode"])
@settings(max_examples=5, deadline=None)
@given(shapes=broadcast_shapes, seed=st.integers(0, 2**16))
def test_moments_and_entropy_match_torch(family, what, shapes, seed):
    name, make = FAMILIES[family]
    d, t, gs_params, torch_params = both(name, make(np.random.default_rng(seed),
                                                    *shapes.input_shapes),
                                         validate_args=not (name == "Beta"
                                                            and 0 in shapes.result_shape))
    out = d.entropy() if what == "entropy" else getattr(d, what)
    expected = t.entropy() if what == "entropy" else getattr(t, what)
    assert_close(out, expected, f"{family} {what}")
    if expected.requires_grad:
        assert_same_gradients(out, expected, gs_params.values(), torch_params.values(),
                              seed=seed, what=f"{family} {what}")


@pytest.mark.parametrize("family", list(FAMILIES))
def test_parameters_as_numbers_match_torch(family):
    name, make = FAMILIES[family]
    params = {k: float(np.asarray(v).ravel()[0]) for k, v in
              make(np.random.default_rng(3), (1,), (1,)).items()}
    if name == "Uniform":
        params["high"] = params["low"] + 1.0
    d, t, _, _ = both(name, params)
    assert d.batch_shape == tuple(t.batch_shape) == ()
    assert_close(d.mean, t.mean, "mean")  # float32, the default dtype, in both
    assert_close(d.entropy(), t.entropy(), "entropy", rtol=1e-6)
    assert tuple(d.sample((4,)).shape) == (4,)


def test_normal_cdf_and_icdf_match_torch():
    rng = np.random.default_rng(0)
    d, t, gp, tp = both("Normal", _normal(rng, (3, 1), (4,)))
    gv, tv = value_pair(2 * rng.standard_normal((2, 3, 4)), requires_grad=True)
    out, expected = d.cdf(gv), t.cdf(tv)
    assert_close(out, expected, "cdf")
    assert_same_gradients(out, expected, [*gp.values(), gv], [*tp.values(), tv], what="cdf")
    gq, tq = value_pair(rng.uniform(0.01, 0.99, (2, 3, 4)), requires_grad=True)
    out, expected = d.icdf(gq), t.icdf(tq)
    assert_close(out, expected, "icdf")
    assert_same_gradients(out, expected, [*gp.values(), gq], [*tp.values(), tq], what="icdf")


def test_uniform_cdf_icdf_and_log_prob_outside_match_torch():
    rng = np.random.default_rng(1)
    d, t, gp, tp = both("Uniform", {"low": np.array([0.0, -1.0]), "high": np.array([1.0, 2.0])},
                        validate_args=False)
    gv, tv = value_pair(np.array([[-0.5, 0.5], [0.5, 2.0], [1.0, -1.0]]))
    assert_close(d.log_prob(gv), t.log_prob(tv), "log_prob outside the support")  # -inf
    assert_close(d.cdf(gv), t.cdf(tv), "cdf")
    gq, tq = value_pair(rng.uniform(0, 1, (3, 2)))
    out, expected = d.icdf(gq), t.icdf(tq)
    assert_close(out, expected, "icdf")
    assert_same_gradients(out, expected, gp.values(), tp.values(), what="icdf")


@settings(max_examples=10, deadline=None)
@given(batch=array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3),
       k=st.integers(1, 5), sample_shape=sample_shapes, seed=st.integers(0, 2**16),
       use_logits=st.booleans())
def test_categorical_matches_torch(batch, k, sample_shape, seed, use_logits):
    rng = np.random.default_rng(seed)
    shape = tuple(batch) + (k,)
    param = 2 * rng.standard_normal(shape) if use_logits else rng.uniform(0.05, 2.0, shape)
    key = "logits" if use_logits else "probs"
    # torch's independent constraints cannot check a zero-size batch (reshape to (0, -1))
    d, t, gp, tp = both("Categorical", {key: param}, validate_args=0 not in tuple(batch))
    assert d.batch_shape == tuple(t.batch_shape) and d.event_shape == tuple(t.event_shape)
    assert d.param_shape == tuple(t.param_shape)
    # both parameters, normalised as torch (each computed from the other on first use)
    for name in ("probs", "logits"):
        out, expected = getattr(d, name), getattr(t, name)
        assert_close(out, expected, name)
        assert_same_gradients(out, expected, gp.values(), tp.values(), seed=seed, what=name)
    values = rng.integers(0, k, size=tuple(sample_shape) + tuple(batch))
    gv, tv = value_pair(values, dtype=np.int64)
    out, expected = d.log_prob(gv), t.log_prob(tv)
    assert_close(out, expected, "log_prob")
    assert_same_gradients(out, expected, gp.values(), tp.values(), seed=seed, what="log_prob")
    out, expected = d.entropy(), t.entropy()
    assert_close(out, expected, "entropy")
    assert_same_gradients(out, expected, gp.values(), tp.values(), seed=seed, what="entropy")
    assert_close(d.mean, t.mean, "mean")
    assert_close(d.variance, t.variance, "variance")
    assert_close(d.mode, t.mode, "mode")
    for expand in (True, False):
        assert_close(d.enumerate_support(expand), t.enumerate_support(expand), "support")
    sample = d.sample(sample_shape)
    if 0 in tuple(sample_shape) + tuple(batch):  # torch's multinomial refuses 0 draws
        assert tuple(sample.shape) == tuple(sample_shape) + tuple(batch)
    else:
        assert tuple(sample.shape) == tuple(t.sample(sample_shape).shape)
    assert sample.dtype == np.int64
    assert np.all((sample.array >= 0) & (sample.array < k))


def test_categorical_entropy_with_zero_probabilities_matches_torch():
    d, t, gp, tp = both("Categorical", {"probs": np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])})
    out, expected = d.entropy(), t.entropy()
    assert_close(out, expected, "entropy")
    assert_same_gradients(out, expected, gp.values(), tp.values(), what="entropy")
    d, t, gp, tp = both("Categorical", {"logits": np.array([-np.inf, 0.0, 1.0])})
    assert_close(d.entropy(), t.entropy(), "entropy with a -inf logit")


@pytest.mark.parametrize("key", ["probs", "logits"])
def test_bernoulli_parameters_and_support_match_torch(key):
    rng = np.random.default_rng(2)
    param = rng.uniform(0.05, 0.95, (2, 3)) if key == "probs" else rng.standard_normal((2, 3))
    d, t, gp, tp = both("Bernoulli", {key: param})
    assert d.param_shape == tuple(t.param_shape)
    for name in ("probs", "logits"):
        out, expected = getattr(d, name), getattr(t, name)
        assert_close(out, expected, name)
        assert_same_gradients(out, expected, gp.values(), tp.values(), what=name)
    for expand in (True, False):
        assert_close(d.enumerate_support(expand), t.enumerate_support(expand), "support")


def test_bernoulli_edges_match_torch():
    d, t, _, _ = both("Bernoulli", {"probs": np.array([0.0, 0.5, 1.0, 0.3])})
    assert_close(d.mode, t.mode, "mode (NaN at 1/2)")
    assert_close(d.entropy(), t.entropy(), "entropy at 0 and 1")
    gv, tv = value_pair(np.array([0.0, 1.0, 1.0, 0.0]))
    assert_close(d.log_prob(gv), t.log_prob(tv), "log_prob at 0 and 1")


@pytest.mark.parametrize("family", ["Normal", "Uniform", "Bernoulli-probs", "Bernoulli-logits",
                                    "Gamma", "Beta"])
def test_expand_matches_torch(family):
    name, make = FAMILIES[family]
    rng = np.random.default_rng(4)
    d, t, gp, tp = both(name, make(rng, (3,), (1,)))
    de, te = d.expand((2, 3)), t.expand((2, 3))
    assert type(de) is type(d) and de.batch_shape == tuple(te.batch_shape) == (2, 3)
    gv, tv = value_pair(_values(name, rng, (2, 3), te))
    out, expected = de.log_prob(gv), te.log_prob(tv)
    assert_close(out, expected, "log_prob after expand")
    assert_same_gradients(out, expected, gp.values(), tp.values(), what="expand")
    assert_close(de.entropy(), te.entropy(), "entropy after expand")
    assert de._validate_args == d._validate_args


def test_categorical_expand_matches_torch():
    d, t, gp, tp = both("Categorical", {"logits": np.random.default_rng(5).standard_normal(4)})
    de, te = d.expand((2, 3)), t.expand((2, 3))
    assert de.batch_shape == tuple(te.batch_shape)
    gv, tv = value_pair(np.array([[0, 1, 2], [3, 3, 0]]), dtype=np.int64)
    out, expected = de.log_prob(gv), te.log_prob(tv)
    assert_close(out, expected, "log_prob")
    assert_same_gradients(out, expected, gp.values(), tp.values(), what="expand")


def test_gamma_log_prob_at_zero_and_of_a_number_matches_torch():
    d, t, gp, tp = both("Gamma", {"concentration": np.array([1.0, 2.0, 0.5]),
                                  "rate": np.array([1.5, 1.0, 2.0])}, validate_args=False)
    gv, tv = value_pair(np.array([0.0, 0.0, 1.0]))
    out, expected = d.log_prob(gv), t.log_prob(tv)
    assert_close(out, expected, "log_prob at 0 (xlogy)")
    assert_close(d.log_prob(1.5), t.log_prob(1.5), "log_prob of a number")


def test_beta_mode_edges_match_torch():
    d, t, _, _ = both("Beta", {"concentration1": np.array([0.5, 0.5, 2.0, 1.0, 3.0]),
                               "concentration0": np.array([0.5, 2.0, 0.5, 1.0, 2.0])})
    assert_close(d.mode, t.mode, "mode")


def test_perplexity_matches_torch():
    d, t, _, _ = both("Normal", {"loc": np.zeros(2), "scale": np.array([0.5, 2.0])})
    assert_close(d.perplexity(), t.perplexity(), "perplexity")


def test_reinforce_policy_gradient_matches_torch():
    """-log_prob(action) * advantage through a small linear policy: the parameter gradients of
    one REINFORCE step, and the parameters after an SGD update, equal torch's."""
    rng = np.random.default_rng(7)
    states, weight, bias = rng.standard_normal((5, 4)), rng.standard_normal((3, 4)), np.zeros(3)
    actions, advantages = rng.integers(0, 3, size=5), rng.standard_normal(5)
    gw, tw = value_pair(weight, requires_grad=True)
    gb, tb = value_pair(bias, requires_grad=True)
    gs_logits = gs.tensor(states) @ gw.T + gb
    torch_logits = torch.tensor(states) @ tw.T + tb
    gs_dist, torch_dist = D.Categorical(logits=gs_logits), TD.Categorical(logits=torch_logits)
    gs_loss = -(gs_dist.log_prob(gs.tensor(actions)) * gs.tensor(advantages)).mean()
    torch_loss = -(torch_dist.log_prob(torch.tensor(actions)) * torch.tensor(advantages)).mean()
    # with the entropy bonus the usual actor-critic adds
    gs_loss = gs_loss - 0.01 * gs_dist.entropy().mean()
    torch_loss = torch_loss - 0.01 * torch_dist.entropy().mean()
    assert_close(gs_loss, torch_loss, "loss")
    gs_loss.backward()
    torch_loss.backward()
    np.testing.assert_allclose(gw.grad.array, tw.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gb.grad.array, tb.grad.numpy(), rtol=1e-10, atol=1e-12)
    gs_opt, torch_opt = gs.optim.SGD([gw, gb], lr=0.1), torch.optim.SGD([tw, tb], lr=0.1)
    gs_opt.step()
    torch_opt.step()
    np.testing.assert_allclose(gw.array, tw.detach().numpy(), rtol=1e-12)


def test_sample_is_outside_the_graph_and_seeded():
    loc = gs.tensor([0.0, 1.0], requires_grad=True)
    d = D.Normal(loc, 1.0)
    assert not d.sample().requires_grad
    assert d.rsample().requires_grad
    for name, dist in [("Normal", d), ("Gamma", D.Gamma(2.0, 1.0)), ("Beta", D.Beta(2.0, 3.0)),
                       ("Uniform", D.Uniform(0.0, 1.0)), ("Bernoulli", D.Bernoulli(0.3)),
                       ("Categorical", D.Categorical(gs.tensor([0.2, 0.8])))]:
        gs.manual_seed(11)
        first = dist.sample((5,)).array
        gs.manual_seed(11)
        np.testing.assert_array_equal(dist.sample((5,)).array, first, err_msg=name)
    assert math.isfinite(float(D.Normal(0.0, 1.0).sample()))
