"""estimate_mdp: the maximum-likelihood model within a derived Hoeffding tolerance, the
unvisited rules, counts; the model-based agent plans a near-optimal GridWorld policy."""
import numpy as np
import pytest

from gradsheet.rl import estimate_mdp, explore, model_based_agent, policy_evaluation, value_iteration
from gradsheet.rl.envs import random_transitions


def sample_transitions(P, R, n_per_pair, rng):
    """n_per_pair rows (s, a, r, s') per (s, a), s' ~ P[a, s], r = R[s, a] + N(0, 1) noise."""
    n_actions, n_states, _ = P.shape
    rows = []
    for a in range(n_actions):
        for s in range(n_states):
            nxt = rng.choice(n_states, size=n_per_pair, p=P[a, s])
            rewards = R[s, a] + rng.standard_normal(n_per_pair)
            rows.append(np.column_stack([np.full(n_per_pair, s), np.full(n_per_pair, a),
                                         rewards, nxt]))
    return np.concatenate(rows)


def test_estimate_recovers_P_within_the_hoeffding_tolerance():
    rng = np.random.default_rng(0)
    P = random_transitions(6, 3, seed=1)
    R = rng.standard_normal((6, 3))
    n, delta = 2000, 1e-3
    estimate = estimate_mdp(sample_transitions(P, R, n, rng), 6, 3)
    # Hoeffding: P(|P_hat - p| > t) <= 2 exp(-2 n t^2) per entry; a union bound over the
    # S * A * S entries gives failure probability delta overall.
    t = np.sqrt(np.log(2 * P.size / delta) / (2 * n))
    assert np.abs(estimate.mdp.P - P).max() <= t
    # mean reward: the reward noise is N(0, 1), so per pair |R_hat - R| <= z / sqrt(n)
    # with z = 4.9 (two-sided 1e-6, 18 pairs: failure probability < 2e-5)
    assert np.abs(estimate.mdp.reward - R).max() <= 4.9 / np.sqrt(n)
    assert estimate.counts.sum() == P.shape[0] * P.shape[1] * n
    np.testing.assert_array_equal(estimate.visits, np.full((6, 3), n))


def test_counts_and_means_by_hand():
    rows = [(0, 1, 2.0, 1), (0, 1, 4.0, 0), (0, 1, 6.0, 1), (1, 0, -1.0, 1)]
    estimate = estimate_mdp(rows, 2, 2)
    assert estimate.counts[0, 1].tolist() == [1, 2]
    assert estimate.visits.tolist() == [[0, 3], [1, 0]]
    np.testing.assert_allclose(estimate.mdp.P[1, 0], [1 / 3, 2 / 3])
    assert estimate.mdp.reward[0, 1] == pytest.approx(4.0)
    assert estimate.mdp.reward[1, 0] == -1.0


@pytest.mark.parametrize("rule, row", [("uniform", [1 / 3, 1 / 3, 1 / 3]),
                                       ("self_loop", [0.0, 0.0, 1.0]),
                                       ("laplace", [1 / 3, 1 / 3, 1 / 3])])
def test_unvisited_rules(rule, row):
    rows = [(0, 0, 1.0, 1), (0, 0, 1.0, 1), (1, 0, 0.0, 0)]
    estimate = estimate_mdp(rows, 3, 2, unvisited=rule, default_reward=-5.0)
    np.testing.assert_allclose(estimate.mdp.P[1, 2], row)  # (s=2, a=1) never tried
    assert estimate.mdp.reward[2, 1] == -5.0
    visited = estimate.mdp.P[0, 0]
    expected = [1 / 5, 3 / 5, 1 / 5] if rule == "laplace" else [0.0, 1.0, 0.0]  # (c + 1)/(2 + 3)
    np.testing.assert_allclose(visited, expected)


def test_terminated_column_makes_absorbing_terminal_states():
    rows = [(0, 0, 0.0, 1, 0), (1, 0, 1.0, 2, 1), (0, 1, 0.0, 0, 0)]
    mdp = estimate_mdp(rows, 3, 2, gamma=0.9).mdp
    assert mdp.terminal.tolist() == [False, False, True]
    assert mdp.P[:, 2, 2].tolist() == [1.0, 1.0]


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match=r"unvisited must be one of .*got 'zero'"):
        estimate_mdp([(0, 0, 0.0, 0)], 1, 1, unvisited="zero")
    with pytest.raises(ValueError, match=r"alpha > 0, got 0"):
        estimate_mdp([(0, 0, 0.0, 0)], 1, 1, unvisited="laplace", alpha=0)
    with pytest.raises(ValueError, match=r"next state 3.0 in transition 1 is not an integer in \[0, 2\)"):
        estimate_mdp([(0, 0, 0.0, 1), (1, 0, 0.0, 3)], 2, 1)
    with pytest.raises(ValueError, match=r"action 0.5 in transition 0"):
        estimate_mdp([(0, 0.5, 0.0, 1)], 2, 1)
    with pytest.raises(ValueError, match=r"rows \(s, a, r, s'\).*got shape \(1, 3\)"):
        estimate_mdp([(0, 0, 0.0)], 2, 1)


def test_explore_rows_chain_within_episodes():
    pytest.importorskip("gymnasium")
    from gradsheet.rl.envs import GridWorld
    rows = explore(GridWorld(), 300, seed=0)
    ends = rows[:-1, 4] == 1
    np.testing.assert_array_equal(rows[1:, 0][~ends], rows[:-1, 3][~ends])
    assert (rows[1:, 0][ends] == GridWorld().start).all()
    np.testing.assert_array_equal(rows, explore(GridWorld(), 300, seed=0))


def test_model_based_agent_finds_a_near_optimal_gridworld_policy():
    pytest.importorskip("gymnasium")
    from gradsheet.rl.envs import GridWorld
    env = GridWorld(gamma=0.9)
    result = model_based_agent(env, rounds=6, steps_per_round=400, gamma=0.9, seed=0)
    V_star = value_iteration(env.mdp, epsilon=1e-8).V
    V_agent = policy_evaluation(env.mdp, result.policy)
    assert np.abs(V_star - V_agent).max() < 0.02
    assert len(result.returns) == 6 and result.model.counts.sum() == 2400
