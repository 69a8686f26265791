"""Adam, SGD, the Bellman backup and backpropagation against their line-by-line references."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from gradsheet import optim, reference
from gradsheet.nn import functional as F
from gradsheet.rl import MDP, value_iteration


def _run_optimizer(make, grads, theta0):
    """θ after optimizer steps with the given gradient sequence."""
    theta = gs.tensor(theta0.copy(), requires_grad=True)
    optimizer = make([theta])
    for g in grads:
        theta.grad = gs.tensor(g)
        optimizer.step()
    return theta.array


adam_options = dict(lr=st.sampled_from([1e-3, 0.1]), betas=st.sampled_from([(0.9, 0.999),
                                                                             (0.5, 0.9)]),
                    eps=st.sampled_from([1e-8, 1e-3]), weight_decay=st.sampled_from([0.0, 0.1]),
                    decoupled=st.booleans(), maximize=st.booleans())


@settings(max_examples=25, deadline=None)
@given(shape=st.sampled_from([(), (3,), (2, 3)]), steps=st.integers(1, 6), seed=st.integers(0, 99),
       **adam_options)
def test_adam_step(shape, steps, seed, lr, betas, eps, weight_decay, decoupled, maximize):
    rng = np.random.default_rng(seed)
    theta0, grads = rng.standard_normal(shape), [rng.standard_normal(shape) for _ in range(steps)]
    kwargs = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                  decoupled_weight_decay=decoupled, maximize=maximize)
    fused = _run_optimizer(lambda p: optim.Adam(p, **kwargs), grads, theta0)
    theta, m, v = gs.tensor(theta0), gs.zeros(shape, dtype="float64"), gs.zeros(shape,
                                                                                 dtype="float64")
    for t, g in enumerate(grads, start=1):
        theta, m, v = reference.adam_step(theta, gs.tensor(g), m, v, t, **kwargs)
    np.testing.assert_allclose(fused, theta.array, rtol=1e-10, atol=1e-12)


def test_adamw_is_adam_with_decoupled_weight_decay():
    rng = np.random.default_rng(0)
    theta0, grads = rng.standard_normal(4), [rng.standard_normal(4) for _ in range(3)]
    fused = _run_optimizer(lambda p: optim.AdamW(p, lr=0.1), grads, theta0)
    theta, m, v = gs.tensor(theta0), gs.zeros(4, dtype="float64"), gs.zeros(4, dtype="float64")
    for t, g in enumerate(grads, start=1):
        theta, m, v = reference.adam_step(theta, gs.tensor(g), m, v, t, lr=0.1, weight_decay=1e-2,
                                          decoupled_weight_decay=True)
    np.testing.assert_allclose(fused, theta.array, rtol=1e-10)


@settings(max_examples=25, deadline=None)
@given(steps=st.integers(1, 5), momentum=st.sampled_from([0.0, 0.9]),
       dampening=st.sampled_from([0.0, 0.3]), weight_decay=st.sampled_from([0.0, 0.1]),
       nesterov=st.booleans(), maximize=st.booleans(), seed=st.integers(0, 99))
def test_sgd_step(steps, momentum, dampening, weight_decay, nesterov, maximize, seed):
    if nesterov and (momentum == 0 or dampening):
        nesterov = False  # SGD's own rule: Nesterov needs momentum and no dampening
    rng = np.random.default_rng(seed)
    theta0, grads = rng.standard_normal(3), [rng.standard_normal(3) for _ in range(steps)]
    kwargs = dict(lr=0.1, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                  nesterov=nesterov, maximize=maximize)
    fused = _run_optimizer(lambda p: optim.SGD(p, **kwargs), grads, theta0)
    theta, b = gs.tensor(theta0), None
    for g in grads:
        theta, b = reference.sgd_step(theta, gs.tensor(g), b, **kwargs)
    np.testing.assert_allclose(fused, theta.array, rtol=1e-12, atol=1e-14)


def _random_mdp(S, A, gamma, terminal, seed, sparse):
    rng = np.random.default_rng(seed)
    P = rng.random((A, S, S)) * (rng.random((A, S, S)) < 0.6)
    P[:, :, 0] += 1e-3  # every row reaches somewhere
    P /= P.sum(axis=2, keepdims=True)
    R = rng.standard_normal((S, A))
    ends = [s for s in range(S) if terminal and rng.random() < 0.3] or None
    if sparse:
        scipy_sparse = pytest.importorskip("scipy.sparse")
        P = [scipy_sparse.csr_matrix(Pa) for Pa in P]
    return MDP(P, R, gamma, terminal=ends)


@settings(max_examples=20, deadline=None)
@given(S=st.integers(1, 6), A=st.integers(1, 3), gamma=st.sampled_from([0.0, 0.5, 0.95]),
       terminal=st.booleans(), sparse=st.booleans(), seed=st.integers(0, 2**16))
def test_bellman_backup_and_value_iteration(S, A, gamma, terminal, sparse, seed):
    mdp = _random_mdp(S, A, gamma, terminal, seed, sparse)
    V = np.random.default_rng(seed + 1).standard_normal(S)
    Q, V_next = reference.bellman_backup(mdp, V)
    np.testing.assert_allclose(Q, mdp.q_values(V), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(V_next, mdp.q_values(V).max(axis=1), rtol=1e-12, atol=1e-12)
    fused = value_iteration(mdp, epsilon=1e-8)
    V_ref, residuals = reference.value_iteration(mdp, fused.iterations)
    np.testing.assert_allclose(residuals, fused.residuals, rtol=1e-9, atol=1e-12)
    V_star, _ = reference.value_iteration(mdp, 1000)  # 0.95^1000 < 1e-22: converged
    assert np.abs(V_star - fused.V).max() <= 1e-8 + 1e-12  # fused: certified within epsilon


def test_the_reference_value_iteration_solves_the_sheet_s_example():
    """One state worth R = 1 forever with gamma = 0.5: V* = 1 / (1 - 0.5) = 2."""
    V, residuals = reference.value_iteration(MDP(np.ones((1, 1, 1)), np.ones(1), 0.5), 60)
    assert V[0] == pytest.approx(2.0) and residuals[0] == 1.0


@settings(max_examples=15, deadline=None)
@given(batch=st.integers(1, 4), hidden=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_backpropagate_is_what_backward_computes(batch, hidden, seed):
    """A small graph with broadcasting, a reused leaf, a fused node and an unused input."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in [(batch, 3), (hidden, 3), (hidden,), (2, hidden),
                                               (1,), (5,)]]

    def build():
        x, w1, b1, w2, c, unused = (gs.tensor(a, requires_grad=True) for a in arrays)
        h = gs.tanh(F.linear(x, w1, b1)) * c + c  # c broadcast twice
        y = F.cross_entropy(h @ w2.T + (w1 ** 2).sum(), gs.tensor(rng.integers(0, 2, batch)))
        return y, [x, w1, b1, w2, c, unused, h]

    rng_state = rng.bit_generator.state
    loss, inputs = build()
    grads = reference.backpropagate(loss, inputs)
    rng.bit_generator.state = rng_state  # the same targets
    loss, inputs = build()
    inputs[-1].retain_grad()
    loss.backward()
    for i, (x, g) in enumerate(zip(inputs, grads)):
        expected = np.zeros_like(x.array) if x.grad is None else x.grad.array
        np.testing.assert_allclose(g.array, expected, rtol=1e-12, atol=1e-14, err_msg=f"input {i}")
    assert not np.any(grads[5].array)  # the unused input
