"""Planning: value iteration, policy iteration, modified PI and exact evaluation agree; value
iteration's epsilon guarantee on V; gamma = 1 with terminal states; pymdptoolbox agreement."""
import warnings

import numpy as np
import pytest

from gradsheet.rl import (MDP, bellman_residual, greedy_policy, modified_policy_iteration,
                          policy_evaluation, policy_iteration, q_values, value_iteration)
from gradsheet.rl.envs import random_mdp


def exact_optimum(mdp):
    """V* as the exact linear solve of the optimal policy found by policy iteration."""
    result = policy_iteration(mdp)
    return policy_evaluation(mdp, result.policy, method="exact"), result


@pytest.mark.parametrize("successors", [None, 4])
@pytest.mark.parametrize("gamma", [0.5, 0.95])
def test_vi_pi_mpi_and_exact_solve_agree(successors, gamma):
    mdp = random_mdp(60, 3, gamma, successors=successors, seed=7)
    V_star, pi = exact_optimum(mdp)
    vi = value_iteration(mdp, epsilon=1e-10)
    mpi = modified_policy_iteration(mdp, m=5, epsilon=1e-10)
    for V in (pi.V, vi.V, mpi.V):
        np.testing.assert_allclose(V, V_star, rtol=0, atol=1e-8)
    np.testing.assert_array_equal(vi.policy, pi.policy)
    np.testing.assert_array_equal(mpi.policy, pi.policy)
    assert bellman_residual(mdp, V_star) < 1e-9


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("gamma", [0.3, 0.9, 0.99, 0.999])
@pytest.mark.parametrize("epsilon", [1e-2, 1e-6])
def test_value_iteration_returns_V_within_epsilon_of_V_star(seed, gamma, epsilon):
    terminal = [0, 1] if seed % 2 else None  # the clipped bracket with terminal states
    base = random_mdp(40, 3, gamma, successors=3, seed=seed)
    mdp = MDP(base.P, base.reward * (1 + seed), gamma, terminal=terminal)
    V_star, _ = exact_optimum(mdp)
    result = value_iteration(mdp, epsilon=epsilon)
    error = np.abs(result.V - V_star).max()
    assert result.converged and result.error_bound <= epsilon
    assert error <= epsilon, f"max |V - V*| = {error:.3g} > epsilon = {epsilon}"
    assert len(result.residuals) == result.iterations


def test_the_bracket_stops_far_earlier_than_the_sup_norm_rule():
    # the textbook rule |V_{k+1} - V_k| < eps (1 - gamma) / (2 gamma) needs ~log(1/eps)/(1-gamma)
    # sweeps at gamma = 0.99; on a well-mixing MDP the span shrinks much faster
    mdp = random_mdp(100, 4, 0.99, seed=3)
    result = value_iteration(mdp, epsilon=1e-6)
    assert result.iterations < 100
    assert result.residuals[-1] > 1e-6 * (1 - 0.99) / (2 * 0.99)


def chain(n, p):
    """States 0..n-1 on a line, terminal n: action 0 advances with probability p (else stays),
    action 1 advances with probability p / 2; reward -1 per step. Expected steps from k: (n-k)/p."""
    P = np.zeros((2, n + 1, n + 1))
    for a, q in enumerate((p, p / 2)):
        for s in range(n):
            P[a, s, s + 1], P[a, s, s] = q, 1 - q
        P[a, n, n] = 1.0
    R = np.where(np.arange(n + 1) < n, -1.0, 0.0)
    return MDP(P, R, 1.0, terminal=[n])


@pytest.mark.parametrize("epsilon", [1e-3, 1e-8])
def test_gamma_one_with_terminals_is_epsilon_accurate(epsilon):
    mdp = chain(6, 0.3)
    expected = -(6 - np.arange(7)) / 0.3
    expected[-1] = 0.0
    result = value_iteration(mdp, epsilon=epsilon)
    assert np.abs(result.V - expected).max() <= epsilon
    assert (result.policy[:-1] == 0).all()
    np.testing.assert_allclose(policy_iteration(mdp).V, expected, atol=1e-9)
    np.testing.assert_allclose(modified_policy_iteration(mdp, epsilon=epsilon).V, expected,
                               atol=epsilon)
    np.testing.assert_allclose(policy_evaluation(mdp, np.zeros(7, int), method="iterative",
                                                 epsilon=epsilon), expected, atol=epsilon)


def test_state_reward_terminals_reproduce_russell_norvig_4x3():
    # R(s) = -0.04, exits +1/-1 collected once; AIMA fig. 17.3 utilities (gamma -> 1)
    gym = pytest.importorskip("gymnasium")  # noqa: F841
    from gradsheet.rl.envs import GridWorld
    world = GridWorld()
    R = np.where(world.terminal, world.arrival_reward, -0.04)
    mdp = MDP(world.mdp.P, R, 1 - 1e-9, terminal=world.terminal)
    V = policy_iteration(mdp).V
    book = {(0, 0): 0.812, (0, 1): 0.868, (0, 2): 0.918, (1, 0): 0.762, (1, 2): 0.660,
            (2, 0): 0.705, (2, 1): 0.655, (2, 2): 0.611, (2, 3): 0.388}
    for cell, utility in book.items():
        assert V[world.index[cell]] == pytest.approx(utility, abs=6e-4)


@pytest.mark.parametrize("successors", [None, 3])
def test_iterative_and_exact_policy_evaluation_agree(successors):
    mdp = random_mdp(50, 2, 0.9, successors=successors, seed=2)
    policy = np.arange(50) % 2
    exact = policy_evaluation(mdp, policy, method="exact")
    iterative = policy_evaluation(mdp, policy, method="iterative", epsilon=1e-10)
    np.testing.assert_allclose(iterative, exact, atol=1e-10)
    # V^pi satisfies its own Bellman equation V = r_pi + gamma P_pi V
    np.testing.assert_allclose(q_values(mdp, exact)[np.arange(50), policy], exact, atol=1e-10)


def test_horizon_evaluation_is_the_truncated_geometric_sum():
    mdp = MDP(np.ones((1, 1, 1)), np.ones(1), 0.9)
    assert policy_evaluation(mdp, np.zeros(1, int), horizon=5)[0] == pytest.approx(
        (1 - 0.9 ** 5) / (1 - 0.9))
    assert policy_evaluation(mdp, np.zeros(1, int), gamma=1.0, horizon=7)[0] == 7.0


def test_gamma_one_evaluation_needs_a_policy_that_ends():
    mdp = MDP(chain(3, 0.5).P, chain(3, 0.5).reward, 0.9, terminal=[3])
    # undiscounted: -1 per step, (3 - s) / 0.5 expected steps from state s
    V = policy_evaluation(mdp, np.zeros(4, int), gamma=1.0)
    np.testing.assert_allclose(V, [-6.0, -4.0, -2.0, 0.0], atol=1e-12)
    stuck = MDP(np.stack([np.eye(2)]), np.zeros(2), 0.9, terminal=[1])
    with pytest.raises(ValueError, match=r"gamma = 1 the policy must end.*states \[0\]"):
        policy_evaluation(stuck, np.zeros(2, int), gamma=1.0)


def test_q_values_greedy_policy_and_residual_by_hand():
    # one state, two actions: reward 1 or 2, self loop, gamma 0.5
    mdp = MDP(np.ones((2, 1, 1)), np.array([[1.0, 2.0]]), 0.5)
    np.testing.assert_allclose(q_values(mdp, np.array([4.0])), [[3.0, 4.0]])
    assert greedy_policy(mdp, np.array([4.0])).tolist() == [1]
    assert bellman_residual(mdp, np.array([0.0])) == 2.0
    assert bellman_residual(mdp, np.array([4.0])) == 0.0  # V* = 2 / (1 - 0.5)


def test_value_iteration_warns_when_max_iter_is_too_small():
    mdp = random_mdp(20, 2, 0.99, seed=0)
    with pytest.warns(RuntimeWarning, match=r"not within epsilon=1e-09 after 2 sweeps"):
        result = value_iteration(mdp, epsilon=1e-9, max_iter=2)
    assert not result.converged and result.iterations == 2


def test_bad_arguments_are_named():
    mdp = random_mdp(5, 2, 0.9, seed=0)
    with pytest.raises(ValueError, match=r"epsilon must be > 0, got 0"):
        value_iteration(mdp, epsilon=0)
    with pytest.raises(ValueError, match=r"max_iter must be a positive integer, got 0"):
        value_iteration(mdp, max_iter=0)
    with pytest.raises(ValueError, match=r"m must be a non-negative integer, got -1"):
        modified_policy_iteration(mdp, m=-1)
    with pytest.raises(ValueError, match=r"V must have shape \(S,\) = \(5,\), got \(4,\)"):
        q_values(mdp, np.zeros(4))
    with pytest.raises(ValueError, match=r"method must be .*got 'lu'"):
        policy_evaluation(mdp, np.zeros(5, int), method="lu")
    with pytest.raises(ValueError, match=r"gamma must be in \[0, 1\], got 2.0"):
        policy_evaluation(mdp, np.zeros(5, int), gamma=2.0)
    with pytest.raises(ValueError, match=r"horizon must be a non-negative integer, got 1.5"):
        policy_evaluation(mdp, np.zeros(5, int), horizon=1.5)
    with pytest.raises(ValueError, match=r"action 3 in state 0"):
        policy_iteration(mdp, policy0=np.array([3, 0, 0, 0, 0]))


def mdptoolbox_or_skip():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its imports use deprecated numpy/scipy names
        return pytest.importorskip("mdptoolbox.mdp")


@pytest.mark.filterwarnings("ignore::scipy.sparse.SparseEfficiencyWarning")
@pytest.mark.parametrize("successors", [None, 4])
def test_policy_iteration_matches_pymdptoolbox(successors):
    toolbox = mdptoolbox_or_skip()
    mdp = random_mdp(40, 3, 0.9, successors=successors, seed=11)
    theirs = toolbox.PolicyIteration(mdp.P, mdp.reward, 0.9)
    theirs.run()
    ours = policy_iteration(mdp)
    np.testing.assert_allclose(ours.V, np.asarray(theirs.V), atol=1e-8)
    np.testing.assert_array_equal(ours.policy, np.asarray(theirs.policy))


def test_value_iteration_V_is_epsilon_accurate_where_pymdptoolbox_is_not():
    toolbox = mdptoolbox_or_skip()
    mdp = random_mdp(50, 3, 0.99, seed=5)
    V_star, _ = exact_optimum(mdp)
    theirs = toolbox.ValueIteration(mdp.P, mdp.reward, 0.99, epsilon=1e-3)
    theirs.run()
    ours = value_iteration(mdp, epsilon=1e-3)
    # same greedy policy, but only our V is within epsilon of V*
    np.testing.assert_array_equal(ours.policy, np.asarray(theirs.policy))
    assert np.abs(ours.V - V_star).max() <= 1e-3
    assert np.abs(np.asarray(theirs.V) - V_star).max() > 1e-3
