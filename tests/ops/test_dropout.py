"""Dropout: drop statistics within binomial bounds, the scaling, eval identity, seeding,
the gradient (the same scaled mask), dtypes and the check on p."""
import math

import numpy as np
import pytest

import gradsheet as gs
from gradsheet.ops.dropout import dropout
from tests.helpers import check_gradients

N = 100_000
# The number of dropped units D of n is Binomial(n, p): sd(D / n) = sqrt(p (1 - p) / n).
# Six standard deviations: a correct implementation fails with probability < 1e-8
# (Chebyshev would allow 1/36; the normal approximation at n = 1e5 gives ~2e-9).
SIGMAS = 6


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_fraction_dropped_is_p_within_the_binomial_bound(p):
    gs.manual_seed(0)
    y = dropout(gs.ones(N), p=p).array
    dropped = np.mean(y == 0)
    assert abs(dropped - p) <= SIGMAS * math.sqrt(p * (1 - p) / N)


@pytest.mark.parametrize("p", [0.2, 0.7])
def test_kept_units_are_scaled_by_one_over_one_minus_p_so_the_mean_is_kept(p):
    gs.manual_seed(1)
    x = np.random.default_rng(0).uniform(1, 3, N)
    y = dropout(gs.tensor(x), p=p).array
    kept = y != 0
    np.testing.assert_allclose(y[kept], x[kept] / (1 - p), rtol=1e-12)
    # y_i = x_i m_i / (1 - p) with m_i ~ Bernoulli(1 - p): E[y_i] = x_i and
    # Var(y_i) = x_i**2 p / (1 - p), so sd(mean y) = sqrt(sum x_i**2 p / (1 - p)) / n.
    bound = SIGMAS * math.sqrt(np.sum(x * x) * p / (1 - p)) / N
    assert abs(y.mean() - x.mean()) <= bound


def test_eval_mode_and_p_zero_are_the_identity():
    x = gs.randn(3, 4, requires_grad=True)
    assert dropout(x, p=0.5, training=False) is x
    assert dropout(x, p=0.0) is x


def test_p_one_drops_everything_and_passes_no_gradient():
    x = gs.randn(3, 4, requires_grad=True)
    y = dropout(x, p=1.0)
    y.sum().backward()
    np.testing.assert_array_equal(y.array, np.zeros((3, 4)))
    np.testing.assert_array_equal(x.grad.array, np.zeros((3, 4)))


def test_manual_seed_makes_the_mask_reproducible():
    x = gs.ones(1000)
    gs.manual_seed(42)
    first = dropout(x).array
    gs.manual_seed(42)
    again = dropout(x).array
    gs.manual_seed(43)
    other = dropout(x).array
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert not np.array_equal(dropout(x).array, dropout(x).array)  # fresh draws differ


@pytest.mark.parametrize("p", [0.25, 0.5])
def test_gradient_is_the_same_scaled_mask(p):
    rng = np.random.default_rng(2)
    x = gs.tensor(rng.uniform(1, 2, (20, 30)), requires_grad=True)
    upstream = rng.standard_normal((20, 30))
    y = dropout(x, p=p)
    y.backward(gs.tensor(upstream, dtype="float64"))
    mask = np.where(y.array != 0, 1 / (1 - p), 0.0)  # x > 0, so y = 0 exactly where dropped
    np.testing.assert_allclose(x.grad.array, upstream * mask, rtol=1e-12)


def test_gradcheck_with_a_fixed_mask():
    def seeded_dropout(x):
        gs.manual_seed(7)  # the same mask at every call the gradcheck makes
        return dropout(x, p=0.3)

    check_gradients(seeded_dropout, [np.random.default_rng(3).standard_normal((3, 4))])


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_output_and_gradient_keep_the_input_dtype(dtype):
    x = gs.ones(50, dtype=dtype, requires_grad=True)
    y = dropout(x, p=0.5)
    assert y.dtype == np.dtype(dtype)
    assert set(np.unique(y.array)) <= {0.0, 2.0}
    assert y.grad_fn.backward(np.ones(50, dtype)).dtype == np.dtype(dtype)


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_p_outside_the_unit_interval_is_named(p):
    with pytest.raises(ValueError, match=f"dropout.*p={p}"):
        dropout(gs.ones(3), p=p)
