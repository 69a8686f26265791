"""rl.MDP: the three reward shapes, dense and sparse P, terminal states, validation messages."""
import numpy as np
import pytest
import scipy.sparse as sp

from gradsheet.rl import MDP
from gradsheet.rl.envs import random_transitions


def two_state_P():
    # action 0 stays, action 1 moves to the other state with 0.75
    return np.array([[[1.0, 0.0], [0.0, 1.0]],
                     [[0.25, 0.75], [0.75, 0.25]]])


def test_reward_shapes_give_the_expected_reward_R_s_a():
    P = two_state_P()
    by_state = MDP(P, np.array([1.0, 2.0]), 0.9)
    np.testing.assert_array_equal(by_state.reward, [[1.0, 1.0], [2.0, 2.0]])
    by_pair = MDP(P, np.array([[1.0, 3.0], [2.0, 4.0]]), 0.9)
    np.testing.assert_array_equal(by_pair.reward, [[1.0, 3.0], [2.0, 4.0]])
    # R(s, a, s') = 10 for reaching state 1, else 0: R(s, a) = 10 P_sa(1)
    R3 = np.zeros((2, 2, 2))
    R3[:, :, 1] = 10.0
    by_transition = MDP(P, R3, 0.9)
    np.testing.assert_allclose(by_transition.reward, [[0.0, 7.5], [10.0, 2.5]])


def test_sparse_and_dense_models_agree():
    P = random_transitions(30, 3, successors=4, seed=1)
    dense = np.stack([Pa.toarray() for Pa in P])
    R = np.random.default_rng(0).standard_normal((3, 30, 30))
    sparse_mdp = MDP(P, R, 0.95, terminal=[3])
    dense_mdp = MDP(dense, R, 0.95, terminal=[3])
    assert sparse_mdp.sparse and not dense_mdp.sparse
    np.testing.assert_allclose(sparse_mdp.reward, dense_mdp.reward, atol=1e-12)
    V = np.arange(30.0)
    np.testing.assert_allclose(sparse_mdp.q_values(V), dense_mdp.q_values(V), atol=1e-12)
    policy = np.arange(30) % 3
    np.testing.assert_allclose(sparse_mdp.policy_matrix(policy).toarray(),
                               dense_mdp.policy_matrix(policy))


def test_terminal_states_have_no_continuation():
    # From state 0 reach terminal state 1 (state reward 5): V(1) = R(1) = 5, V(0) = 1 + 0.5 * 5
    P = np.array([[[0.0, 1.0], [0.0, 1.0]]])
    mdp = MDP(P, np.array([1.0, 5.0]), 0.5, terminal=[1])
    np.testing.assert_allclose(mdp.q_values(np.array([3.5, 5.0]))[:, 0], [3.5, 5.0])


def test_gamma_one_is_allowed_when_every_policy_ends():
    # a chain 0 -> 1 -> 2 (terminal); action 1 may stay put but never forever
    P = np.zeros((2, 3, 3))
    P[0, [0, 1, 2], [1, 2, 2]] = 1.0
    P[1, 0, [0, 1]] = 0.5
    P[1, 1, [1, 2]] = 0.5
    P[1, 2, 2] = 1.0
    assert MDP(P, -np.ones(3), 1.0, terminal=[2]).gamma == 1.0


def test_gamma_one_names_the_states_a_policy_can_stay_in_forever():
    P = np.zeros((2, 4, 4))
    P[0, [0, 1, 2, 3], [1, 3, 3, 3]] = 1.0  # action 0 heads to terminal 3
    P[1, [0, 1, 2, 3], [0, 2, 1, 3]] = 1.0  # action 1 cycles 1 <-> 2 forever (and 0 stays)
    with pytest.raises(ValueError, match=r"gamma = 1.*\[0, 1, 2\]"):
        MDP(P, np.zeros(4), 1.0, terminal=[3])
    with pytest.raises(ValueError, match=r"gamma = 1"):
        MDP(P, np.zeros(4), 1.0)


@pytest.mark.parametrize("gamma", [-0.1, 1.5])
def test_gamma_outside_unit_interval(gamma):
    with pytest.raises(ValueError, match=rf"gamma must be in \[0, 1\], got {gamma}"):
        MDP(two_state_P(), np.zeros(2), gamma)


def test_rows_that_do_not_sum_to_one_name_action_state_and_sum():
    P = two_state_P()
    P[1, 0] = [0.25, 0.7]
    with pytest.raises(ValueError, match=r"P\[1, 0, :\] sums to 0\.95"):
        MDP(P, np.zeros(2), 0.9)


def test_row_sums_within_1e_8_are_accepted_and_beyond_are_not():
    P = two_state_P()
    P[0, 1, 1] += 5e-9
    MDP(P, np.zeros(2), 0.9)
    P[0, 1, 1] += 1e-8
    with pytest.raises(ValueError, match=r"P\[0, 1, :\]"):
        MDP(P, np.zeros(2), 0.9)


def test_negative_probability_is_named():
    P = two_state_P()
    P[1, 1] = [1.25, -0.25]
    with pytest.raises(ValueError, match=r"P\[1, 1, 1\] = -0\.25"):
        MDP(P, np.zeros(2), 0.9)


def test_sparse_validation_names_the_row():
    P = [sp.identity(3, format="csr"), sp.csr_matrix(np.array([[0, 1, 0], [0, 0, 0.5], [1, 0, 0]]))]
    with pytest.raises(ValueError, match=r"P\[1, 1, :\] sums to 0\.5"):
        MDP(P, np.zeros(3), 0.9)
    with pytest.raises(ValueError, match=r"P\[1\] has shape \(2, 2\)"):
        MDP([sp.identity(3, format="csr"), sp.identity(2, format="csr")], np.zeros(3), 0.9)


@pytest.mark.parametrize("shape", [(2, 2), (2, 3, 2), (2, 2, 3), (4,)])
def test_bad_P_shape(shape):
    with pytest.raises(ValueError, match=r"P must have shape \(A, S, S\).*got shape"):
        MDP(np.ones(shape) / shape[-1], np.zeros(2), 0.9)


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 2, 2, 2), (3, 2, 2)])
def test_bad_R_shape_lists_the_allowed_shapes(shape):
    with pytest.raises(ValueError, match=rf"R must have shape \(S,\) = \(2,\).*got \({shape[0]}"):
        MDP(two_state_P(), np.zeros(shape), 0.9)


def test_non_finite_reward_is_named():
    with pytest.raises(ValueError, match=r"R\(1, 0\) = nan"):
        MDP(two_state_P(), np.array([[0.0, 0.0], [np.nan, 0.0]]), 0.9)


def test_bad_terminal_states():
    with pytest.raises(ValueError, match=r"terminal state 5 is outside \[0, 2\)"):
        MDP(two_state_P(), np.zeros(2), 0.9, terminal=[5])
    with pytest.raises(ValueError, match=r"mask needs shape \(2,\), got \(3,\)"):
        MDP(two_state_P(), np.zeros(2), 0.9, terminal=np.zeros(3, dtype=bool))


def test_bad_policy_is_named():
    mdp = MDP(two_state_P(), np.zeros(2), 0.9)
    with pytest.raises(ValueError, match=r"action 2 in state 1 is outside \[0, 2\)"):
        mdp.check_policy(np.array([0, 2]))
    with pytest.raises(ValueError, match=r"shape \(2,\), got shape \(3,\)"):
        mdp.check_policy(np.zeros(3, dtype=int))


def test_from_gymnasium_reads_frozenlake_exactly():
    gym = pytest.importorskip("gymnasium")
    env = gym.make("FrozenLake-v1")  # 4x4, slippery: 1/3 on the intended move and each side
    mdp = MDP.from_gymnasium(env, gamma=0.9)
    assert (mdp.n_states, mdp.n_actions) == (16, 4)
    desc = env.unwrapped.desc.astype(str).ravel()
    np.testing.assert_array_equal(mdp.terminal, np.isin(desc, ["H", "G"]))
    # state 0, action 1 (down): down to 4, left bumps (stays at 0), right to 1
    np.testing.assert_allclose(mdp.P[1, 0, [0, 1, 4]], [1 / 3, 1 / 3, 1 / 3])
    # reward 1 only for entering the goal (15) from 14 going right (1/3) or down/up slips
    assert mdp.reward[14, 2] == pytest.approx(1 / 3)
    assert mdp.P[:, 15, 15].tolist() == [1.0] * 4 and (mdp.reward[15] == 0).all()


def test_from_gymnasium_needs_a_model_table():
    gym = pytest.importorskip("gymnasium")
    with pytest.raises(TypeError, match=r"CartPoleEnv has no model table"):
        MDP.from_gymnasium(gym.make("CartPole-v1"), gamma=0.9)


class TableEnv:
    """A minimal env exposing a model table, as the toy-text envs do."""

    def __init__(self, table):
        self.P, self.unwrapped, self.initial_state_distrib = table, self, np.array([1.0, 0, 0])


def test_from_gymnasium_rejects_a_state_that_both_ends_and_continues_episodes():
    ends = {0: {0: [(1.0, 1, 0.0, False)]}, 1: {0: [(1.0, 2, 1.0, True)]},
            2: {0: [(1.0, 2, 0.0, False)]}}
    assert MDP.from_gymnasium(TableEnv(ends), 0.9).terminal.tolist() == [False, False, True]
    ends[0][0] = [(0.5, 1, 0.0, False), (0.5, 2, 0.0, False)]
    with pytest.raises(ValueError, match=r"state 2 is terminal .* from state 0 by action 0"):
        MDP.from_gymnasium(TableEnv(ends), 0.9)
