"""Reparameterised sampling: rsample's gradients against torch for the same noise (Normal,
Uniform, MultivariateNormal: torch's noise source patched to hand gradsheet's draws), the
implicit Gamma and Beta gradients against torch's own (``_standard_gamma_grad``, Beta.rsample
on the same sample) and against the quantile derivative at a fixed uniform; sampling
statistics within CLT bounds on large samples."""
import numpy as np
import pytest

import gradsheet as gs
import gradsheet.distributions as D
from gradsheet.distributions._ops import beta_grad, standard_gamma_grad
from tests.distributions.common import assert_same_gradients, both, torch

special = pytest.importorskip("scipy.special")


def _patched_noise(monkeypatch, module, name, noise):
    monkeypatch.setattr(module, name, lambda *args, **kwargs: torch.tensor(noise))


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 1), (4,)), ((), ())])
@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
def test_normal_rsample_gradients_match_torch_for_the_same_noise(monkeypatch, shapes,
                                                                 sample_shape):
    rng = np.random.default_rng(0)
    d, t, gp, tp = both("Normal", {"loc": rng.standard_normal(shapes[0]),
                                   "scale": rng.uniform(0.5, 2.0, shapes[1])})
    gs.manual_seed(3)
    sample = d.rsample(sample_shape)
    gs.manual_seed(3)
    noise = gs.randn(d._extended_shape(sample_shape), dtype=gs.float64).array  # the same draw
    _patched_noise(monkeypatch, torch.distributions.normal, "_standard_normal", noise)
    expected = t.rsample(sample_shape)
    np.testing.assert_allclose(sample.array, expected.detach().numpy(), rtol=1e-12)
    assert_same_gradients(sample, expected, gp.values(), tp.values(), what="rsample")


@pytest.mark.parametrize("sample_shape", [(), (4,), (2, 3)])
def test_uniform_rsample_gradients_match_torch_for_the_same_noise(monkeypatch, sample_shape):
    rng = np.random.default_rng(1)
    d, t, gp, tp = both("Uniform", {"low": rng.standard_normal((2, 1)),
                                    "high": 3.0 + rng.uniform(0.5, 2.0, (3,))})
    gs.manual_seed(4)
    sample = d.rsample(sample_shape)
    gs.manual_seed(4)
    noise = gs.rand(d._extended_shape(sample_shape), dtype=gs.float64).array
    monkeypatch.setattr(torch, "rand", lambda *args, **kwargs: torch.tensor(noise))
    expected = t.rsample(sample_shape)
    np.testing.assert_allclose(sample.array, expected.detach().numpy(), rtol=1e-12)
    assert_same_gradients(sample, expected, gp.values(), tp.values(), what="rsample")


@pytest.mark.parametrize("how", ["scale_tril", "covariance_matrix", "precision_matrix"])
@pytest.mark.parametrize("sample_shape", [(), (4,)])
def test_multivariate_normal_rsample_gradients_match_torch(monkeypatch, how, sample_shape):
    rng = np.random.default_rng(2)
    A = rng.standard_normal((2, 3, 3))
    spd = A @ np.swapaxes(A, -1, -2) + 3 * np.eye(3)
    matrix = np.linalg.cholesky(spd) if how == "scale_tril" else spd
    d, t, gp, tp = both("MultivariateNormal", {"loc": rng.standard_normal((3,)), how: matrix})
    gs.manual_seed(5)
    sample = d.rsample(sample_shape)
    gs.manual_seed(5)
    noise = gs.randn(d._extended_shape(sample_shape), dtype=gs.float64).array
    _patched_noise(monkeypatch, torch.distributions.multivariate_normal, "_standard_normal",
                   noise)
    expected = t.rsample(sample_shape)
    np.testing.assert_allclose(sample.array, expected.detach().numpy(), rtol=1e-10)
    assert_same_gradients(sample, expected, gp.values(), tp.values(), rtol=1e-6, atol=1e-9,
                          what="rsample")


ALPHAS = [0.01, 0.3, 1.0, 2.5, 10.0, 300.0]


@pytest.mark.parametrize("alpha", ALPHAS)
def test_standard_gamma_gradient_is_the_quantile_derivative(alpha):
    """dx/d(alpha) at a fixed u = P(alpha, x): the derivative of the quantile function
    gammaincinv(alpha, u), by central differences (an independent check)."""
    x = np.maximum(np.random.default_rng(int(alpha * 100)).standard_gamma(alpha, 8), 1e-300)
    u = special.gammainc(alpha, x)
    h = 1e-6 * alpha
    quantile_slope = (special.gammaincinv(alpha + h, u) - special.gammaincinv(alpha - h, u)) / (2 * h)
    np.testing.assert_allclose(standard_gamma_grad(alpha, x), quantile_slope, rtol=1e-6)


@pytest.mark.parametrize("alpha", ALPHAS)
def test_standard_gamma_gradient_matches_torch(alpha):
    x = np.maximum(np.random.default_rng(int(alpha * 10)).standard_gamma(alpha, 8), 1e-300)
    expected = torch._standard_gamma_grad(torch.full((8,), alpha, dtype=torch.float64),
                                          torch.tensor(x)).numpy()
    # torch's gradient is an approximation (series, asymptotics, rational fits): ~1e-3
    np.testing.assert_allclose(standard_gamma_grad(alpha, x), expected, rtol=2e-3)


def test_gamma_rsample_gradients_match_the_formula():
    concentration = gs.tensor([0.5, 2.0, 7.0], dtype=gs.float64, requires_grad=True)
    rate = gs.tensor([[1.5], [0.5]], dtype=gs.float64, requires_grad=True)
    sample = D.Gamma(concentration, rate).rsample((4,))
    assert sample.shape == (4, 2, 3)
    sample.sum().backward()
    x = sample.array
    g = (x * rate.array)  # the standard Gamma draws
    expected_c = (standard_gamma_grad(np.broadcast_to(concentration.array, x.shape), g)
                  / rate.array).sum((0, 1))
    expected_r = (-x / rate.array).sum((0, 2))[:, None]
    np.testing.assert_allclose(concentration.grad.array, expected_c, rtol=1e-8)
    np.testing.assert_allclose(rate.grad.array, expected_r, rtol=1e-10)


@pytest.mark.parametrize("a,b", [(0.3, 0.5), (1.0, 1.0), (2.5, 7.0), (50.0, 3.0), (0.05, 4.0)])
def test_beta_rsample_gradients_match_torch_for_the_same_sample(monkeypatch, a, b):
    ga = gs.tensor(np.full(6, a), requires_grad=True)
    gb = gs.tensor(np.full(6, b), requires_grad=True)
    gs.manual_seed(int(a * 100 + b))
    sample = D.Beta(ga, gb).rsample()
    x = sample.array
    # torch's Beta samples through its Dirichlet: hand it gradsheet's sample
    monkeypatch.setattr(torch, "_sample_dirichlet",
                        lambda c: torch.stack([torch.tensor(x), 1 - torch.tensor(x)], -1))
    ta = torch.tensor(np.full(6, a), requires_grad=True)
    tb = torch.tensor(np.full(6, b), requires_grad=True)
    expected = torch.distributions.Beta(ta, tb).rsample()
    np.testing.assert_allclose(x, expected.detach().numpy(), rtol=1e-12)
    # torch's _dirichlet_grad approximates: ~1e-3
    assert_same_gradients(sample, expected, [ga, gb], [ta, tb], rtol=2e-3, atol=1e-10,
                          what="Beta.rsample")
    # and against the quantile derivative at a fixed u
    u = special.betainc(a, b, x)
    h = 1e-6 * a
    slope_a = (special.betaincinv(a + h, b, u) - special.betaincinv(a - h, b, u)) / (2 * h)
    np.testing.assert_allclose(beta_grad(a, b, x)[0], slope_a, rtol=1e-5)


def test_implicit_gradients_are_unbiased():
    """E[dx/d alpha] = dE[x]/d alpha: 1 / rate for Gamma, b / (a + b)**2 for Beta."""
    gs.manual_seed(0)
    n = 40000
    alpha = gs.tensor([0.7, 3.0], dtype=gs.float64, requires_grad=True)
    D.Gamma(alpha, 2.0).rsample((n,)).mean(0).sum().backward()
    np.testing.assert_allclose(alpha.grad.array, [0.5, 0.5], rtol=0.05)
    a = gs.tensor(1.5, dtype=gs.float64, requires_grad=True)
    b = gs.tensor(2.5, dtype=gs.float64, requires_grad=True)
    D.Beta(a, b).rsample((n,)).mean().backward()
    np.testing.assert_allclose([a.grad.item(), b.grad.item()], [2.5 / 16, -1.5 / 16], rtol=0.05)


CASES = {
    "Normal": lambda: D.Normal(gs.tensor([0.5, -1.0], dtype=gs.float64), 2.0),
    "Uniform": lambda: D.Uniform(gs.tensor([0.0, -2.0], dtype=gs.float64), 3.0),
    "Bernoulli": lambda: D.Bernoulli(gs.tensor([0.2, 0.7], dtype=gs.float64)),
    "Gamma": lambda: D.Gamma(gs.tensor([0.5, 4.0], dtype=gs.float64), 1.5),
    "Beta": lambda: D.Beta(gs.tensor([0.5, 3.0], dtype=gs.float64), 2.0),
    "Categorical": lambda: D.Categorical(gs.tensor([0.2, 0.5, 0.3], dtype=gs.float64)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_sample_mean_and_variance_within_clt_bounds(name):
    gs.manual_seed(1)
    d = CASES[name]()
    n = 20000
    x = d.sample((n,)).array.astype(np.float64)
    if name == "Categorical":  # the class frequencies against the probabilities
        p = d.probs.array
        freq = np.bincount(x.astype(int), minlength=3) / n
        assert np.all(np.abs(freq - p) < 5 * np.sqrt(p * (1 - p) / n))
        return
    mean, var = d.mean.array, d.variance.array
    assert np.all(np.abs(x.mean(0) - mean) < 5 * np.sqrt(var / n)), name
    fourth = np.mean((x - mean) ** 4, axis=0)  # the variance of (x - mean)**2
    assert np.all(np.abs(x.var(0) - var) < 5 * np.sqrt((fourth - var ** 2) / n)), name
    assert np.all(d.support.check(gs.tensor(x)).array)


def test_multivariate_normal_sample_covariance_within_bounds():
    gs.manual_seed(2)
    cov = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, -0.3], [0.0, -0.3, 0.5]])
    loc = np.array([1.0, -1.0, 0.0])
    d = D.MultivariateNormal(gs.tensor(loc), covariance_matrix=gs.tensor(cov))
    n = 40000
    x = d.sample((n,)).array
    assert np.all(np.abs(x.mean(0) - loc) < 5 * np.sqrt(np.diag(cov) / n))
    sd = np.sqrt(np.outer(np.diag(cov), np.diag(cov)) + cov ** 2)  # sd of x_i x_j products
    assert np.all(np.abs(np.cov(x.T) - cov) < 5 * sd / np.sqrt(n))


def test_float32_parameters_sample_float32():
    for d in (D.Normal(0.0, 1.0), D.Gamma(2.0, 1.0), D.Beta(2.0, 2.0), D.Uniform(0.0, 1.0)):
        assert d.rsample((3,)).dtype == np.float32
