"""Argument validation as torch's validate_args: parameters outside their constraint raise
ValueError naming the parameter and the constraint; log_prob of a value outside the support
(or of the wrong shape) raises when validating; set_default_validate_args; the constructors'
own errors; the constraints' checks and reprs against torch."""
import numpy as np
import pytest

import gradsheet as gs
import gradsheet.distributions as D
from gradsheet.distributions import constraints
from tests.distributions.common import both, torch

TC = torch.distributions.constraints

BAD_PARAMETERS = [
    ("Normal", {"loc": np.array([0.0, 1.0]), "scale": np.array([1.0, -1.0])}, "scale",
     r"GreaterThan\(lower_bound=0.0\)"),
    ("Normal", {"loc": np.array([np.nan, 1.0]), "scale": np.array([1.0, 1.0])}, "loc",
     r"Real\(\)"),
    ("Uniform", {"low": np.array([0.0, 2.0]), "high": np.array([1.0, 1.0])}, "low", "LessThan"),
    ("Bernoulli", {"probs": np.array([0.5, 1.5])}, "probs", r"Interval\(lower_bound=0.0, "
     r"upper_bound=1.0\)"),
    ("Bernoulli", {"logits": np.array([np.nan])}, "logits", r"Real\(\)"),
    ("Categorical", {"probs": np.array([0.5, -0.1, 0.6])}, "probs", r"Simplex\(\)"),
    ("Categorical", {"logits": np.array([0.5, np.nan])}, "logits",
     r"IndependentConstraint\(Real\(\), 1\)"),
    ("Gamma", {"concentration": np.array([0.0]), "rate": np.array([1.0])}, "concentration",
     "GreaterThan"),
    ("Gamma", {"concentration": np.array([1.0]), "rate": np.array([-2.0])}, "rate",
     "GreaterThan"),
    ("Beta", {"concentration1": np.array([-1.0]), "concentration0": np.array([1.0])},
     "concentration1", "GreaterThan"),
    ("MultivariateNormal", {"loc": np.zeros(2), "covariance_matrix": np.array([[1.0, 2.0],
                                                                            [2.0, 1.0]])},
     "covariance_matrix", r"PositiveDefinite\(\)"),
    ("MultivariateNormal", {"loc": np.zeros(2), "scale_tril": np.array([[1.0, 0.0],
                                                                     [0.5, -1.0]])},
     "scale_tril", r"LowerCholesky\(\)"),
    ("MultivariateNormal", {"loc": np.zeros(2), "precision_matrix": np.array([[1.0, 0.5],
                                                                           [0.4, 1.0]])},
     "precision_matrix", r"PositiveDefinite\(\)"),
]


@pytest.mark.parametrize("name,params,param,constraint", BAD_PARAMETERS)
def test_parameters_outside_their_constraint_raise_as_torch(name, params, param, constraint):
    with pytest.raises(ValueError, match=f"Expected parameter {param} .* to satisfy the "
                                         f"constraint {constraint}"):
        both(name, params, requires_grad=False)
    if name != "MultivariateNormal":  # (its Cholesky factorization fails, in torch too)
        both(name, params, requires_grad=False, validate_args=False)  # no check, no error


BAD_VALUES = [
    ("Normal", {"loc": np.zeros(2), "scale": np.ones(2)}, np.array([np.nan, 0.0])),
    ("Uniform", {"low": np.zeros(2), "high": np.ones(2)}, np.array([0.5, 1.5])),
    ("Bernoulli", {"probs": np.full(2, 0.3)}, np.array([0.5, 1.0])),
    ("Gamma", {"concentration": np.ones(2), "rate": np.ones(2)}, np.array([-1.0, 1.0])),
    ("Beta", {"concentration1": np.ones(2), "concentration0": np.ones(2)},
     np.array([0.5, 1.2])),
]


@pytest.mark.parametrize("name,params,value", BAD_VALUES)
def test_log_prob_outside_the_support_raises_when_validating(name, params, value):
    d, t, _, _ = both(name, params, requires_grad=False)
    with pytest.raises(ValueError, match="to be within the support"):
        t.log_prob(torch.tensor(value))
    with pytest.raises(ValueError, match=r"Expected value argument .* to be within the support "
                                         r"\(.*\) of the distribution " + name):
        d.log_prob(gs.tensor(value))
    d, _, _, _ = both(name, params, requires_grad=False, validate_args=False)
    d.log_prob(gs.tensor(value))  # no validation: a value (NaN, -inf, ...), no error


def test_categorical_and_mvn_values_are_validated():
    d = D.Categorical(gs.tensor([0.2, 0.8]))
    with pytest.raises(ValueError, match="within the support"):
        d.log_prob(gs.tensor([2]))
    with pytest.raises(ValueError, match="within the support"):
        d.log_prob(gs.tensor([0.5]))
    m = D.MultivariateNormal(gs.zeros(2), scale_tril=gs.eye(2))
    with pytest.raises(ValueError, match="The right-most size of value must match event_shape"):
        m.log_prob(gs.zeros(3))
    with pytest.raises(ValueError, match="not broadcastable with batch_shape"):
        D.Normal(gs.zeros(3), 1.0).log_prob(gs.zeros(2))
    with pytest.raises(ValueError, match="must be a Tensor"):
        D.Normal(gs.zeros(3), 1.0).log_prob([0.0, 0.0, 0.0])


def test_set_default_validate_args():
    assert D.Distribution._validate_args == torch.distributions.Distribution._validate_args
    try:
        D.Distribution.set_default_validate_args(False)
        D.Normal(0.0, -1.0)  # not checked
        assert D.Normal(0.0, 1.0, validate_args=True)._validate_args
        with pytest.raises(ValueError, match="scale"):
            D.Normal(0.0, -1.0, validate_args=True)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args("yes")
    with pytest.raises(ValueError, match="scale"):
        D.Normal(0.0, -1.0)


def test_constructor_errors():
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified"):
        D.Categorical()
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified"):
        D.Bernoulli(probs=0.5, logits=0.0)
    with pytest.raises(ValueError, match="`probs` parameter must be at least one-dimensional"):
        D.Categorical(gs.tensor(0.5))
    with pytest.raises(ValueError, match="`logits` parameter must be at least one-dimensional"):
        D.Categorical(logits=gs.tensor(0.5))
    with pytest.raises(ValueError, match="loc must be at least one-dimensional"):
        D.MultivariateNormal(gs.tensor(0.0), covariance_matrix=gs.eye(1))
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision_matrix"):
        D.MultivariateNormal(gs.zeros(2))
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision_matrix"):
        D.MultivariateNormal(gs.zeros(2), covariance_matrix=gs.eye(2), scale_tril=gs.eye(2))
    with pytest.raises(ValueError, match="scale_tril matrix must be at least two-dimensional"):
        D.MultivariateNormal(gs.zeros(2), scale_tril=gs.ones(2))
    with pytest.raises(ValueError, match=r"covariance_matrix has matrices of shape \(3, 3\) but "
                                         "loc has event size 2"):
        D.MultivariateNormal(gs.zeros(2), covariance_matrix=gs.eye(3))
    with pytest.raises(ValueError, match="do not broadcast"):
        D.MultivariateNormal(gs.zeros(3, 2), covariance_matrix=gs.eye(2).expand(4, 2, 2))
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims <= "):
        D.Independent(D.Normal(gs.zeros(2), 1.0), 2)
    with pytest.raises(ValueError, match="Input arguments must all be instances"):
        D.Normal("0", 1.0)
    with pytest.raises(NotImplementedError, match="does not implement mode"):
        D.Distribution(validate_args=False).mode
    with pytest.raises(NotImplementedError, match="rsample"):
        D.Bernoulli(0.5).rsample()


def test_warns_without_arg_constraints():
    class Bare(D.Distribution):
        pass

    with pytest.warns(UserWarning, match="does not define `arg_constraints`"):
        Bare()


@pytest.mark.parametrize("name", ["real", "positive", "nonnegative", "unit_interval", "boolean",
                                  "simplex", "real_vector", "lower_cholesky", "positive_definite",
                                  "nonnegative_integer", "lower_triangular", "symmetric",
                                  "positive_semidefinite", "one_hot"])
def test_constraint_checks_and_reprs_match_torch(name):
    rng = np.random.default_rng(0)
    mine, theirs = getattr(constraints, name), getattr(TC, name)
    assert repr(mine) == repr(theirs)
    assert mine.event_dim == theirs.event_dim and mine.is_discrete == theirs.is_discrete
    candidates = [rng.standard_normal((4, 3, 3)), np.abs(rng.standard_normal((2, 3, 3))),
                  np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0]]),
                  np.stack([np.eye(3), np.tril(np.ones((3, 3))), -np.eye(3)]),
                  np.array([[2.0, 0.0, -1.0], [np.nan, 0.0, 1.0], [0.0, 0.0, 0.0]])]
    for x in candidates:
        np.testing.assert_array_equal(mine.check(gs.tensor(x)).array,
                                      theirs.check(torch.tensor(x)).numpy())


def test_parameterised_constraints_match_torch():
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0])
    pairs = [(constraints.interval(0.0, 1.0), TC.interval(0.0, 1.0)),
             (constraints.half_open_interval(0.0, 1.0), TC.half_open_interval(0.0, 1.0)),
             (constraints.greater_than(0.5), TC.greater_than(0.5)),
             (constraints.greater_than_eq(0.5), TC.greater_than_eq(0.5)),
             (constraints.less_than(1.0), TC.less_than(1.0)),
             (constraints.integer_interval(0, 2), TC.integer_interval(0, 2)),
             (constraints.independent(constraints.positive, 1), TC.independent(TC.positive, 1))]
    for mine, theirs in pairs:
        assert repr(mine) == repr(theirs)
        np.testing.assert_array_equal(mine.check(gs.tensor(x)).array,
                                      theirs.check(torch.tensor(x)).numpy())
    assert constraints.is_dependent(constraints.dependent)
    assert constraints.is_dependent(D.Uniform.support)
    assert not constraints.is_dependent(constraints.real)
    with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
        constraints.dependent.check(gs.tensor(x))
    assert repr(D.Uniform(0.0, 1.0).support) == repr(torch.distributions.Uniform(0.0, 1.0).support)


def test_reprs_match_torch():
    d, t, _, _ = both("Normal", {"loc": np.zeros(3), "scale": np.ones(3)})
    assert repr(d) == repr(t).replace("torch.Size([3])", "(3,)")
    d, t, _, _ = both("Gamma", {"concentration": 2.0, "rate": 1.0})
    assert repr(d).startswith("Gamma(concentration: tensor(2.")
