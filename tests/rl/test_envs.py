"""Environments: GridWorld as a Gymnasium env with its exact MDP; random MDPs; the toy-text
models read by MDP.from_gymnasium checked against simulation of the same envs."""
import numpy as np
import pytest
from scipy import stats

from gradsheet.rl import MDP, policy_evaluation, value_iteration
from gradsheet.rl.envs import random_mdp

gym = pytest.importorskip("gymnasium")
from gradsheet.rl.envs import GridWorld  # noqa: E402


def test_gridworld_passes_the_gymnasium_env_checker():
    from gymnasium.utils.env_checker import check_env
    with pytest.warns(UserWarning, match="spec"):  # only the note that it was not made by id
        check_env(GridWorld(render_mode="ansi"))


def test_same_seed_same_episode_step_by_step():
    envs = [GridWorld(), GridWorld()]
    observations = [env.reset(seed=123)[0] for env in envs]
    assert observations[0] == observations[1]
    actions = np.random.default_rng(0).integers(0, 4, 200)
    trajectories = [[], []]
    for action in actions:
        for env, trajectory in zip(envs, trajectories):
            out = env.step(int(action))
            trajectory.append(out[:4])
            if out[2]:
                env.reset()
    assert trajectories[0] == trajectories[1]
    other = GridWorld()
    other.reset(seed=124)
    moved = []
    for action in actions:
        out = other.step(int(action))
        moved.append(out[:4])
        if out[2]:
            other.reset()
    assert moved != trajectories[0]


def test_classic_transitions_by_hand():
    world = GridWorld()
    start = world.index[(2, 0)]
    assert world.start == start and world.mdp.n_states == 11
    up = world.mdp.P[3, start]
    # up: 0.8 to (1, 0), slips 0.1 left (edge: stays) and 0.1 right to (2, 1)
    assert up[world.index[(1, 0)]] == pytest.approx(0.8)
    assert up[start] == pytest.approx(0.1) and up[world.index[(2, 1)]] == pytest.approx(0.1)
    # right from (1, 2): 0.8 into the -1 exit, 0.1 up to (0, 2), 0.1 down to (2, 2)
    right = world.mdp.P[2, world.index[(1, 2)]]
    assert right[world.index[(1, 3)]] == pytest.approx(0.8)
    assert world.mdp.reward[world.index[(1, 2)], 2] == pytest.approx(0.8 * -1 + 0.2 * -0.04)


def test_step_frequencies_match_the_mdp():
    world = GridWorld(slip=0.2)
    world.reset(seed=0)
    s = world.index[(2, 1)]
    n = 4000
    seen = np.zeros(world.mdp.n_states)
    for _ in range(n):
        world.state = s
        seen[world.step(3)[0]] += 1
    p = world.mdp.P[3, s]
    # each frequency within a 99.99% binomial interval (3 outcomes)
    low, high = stats.binom.interval(0.9999, n, p[p > 0])
    assert ((seen[p > 0] >= low) & (seen[p > 0] <= high)).all() and seen[p == 0].sum() == 0


def test_exit_ends_the_episode_with_its_reward():
    world = GridWorld(slip=0.0)
    world.reset(seed=0)
    world.state = world.index[(0, 2)]
    assert world.step(2) == (world.index[(0, 3)], 1.0, True, False, {"prob": 1.0})
    with pytest.raises(RuntimeError, match="reset"):
        world.step(0)
    world.reset()
    assert world.step(0) == (world.start, -0.04, False, False, {"prob": 1.0})


def test_custom_layout_and_text_render():
    world = GridWorld("S.#\n..7", exits={"7": 10.0}, living_reward=0.0, slip=0.0,
                      render_mode="ansi")
    world.reset()
    assert world.render() == "A . #\n. . 7\n"
    V = value_iteration(world.mdp, epsilon=1e-9).V
    assert V[world.start] == pytest.approx(10.0 * 0.99 ** 2, abs=1e-9)  # two steps to the exit


@pytest.mark.parametrize("kwargs, message", [
    (dict(layout="..\n..."), r"equal length, got lengths \[2, 3\]"),
    (dict(layout="..+"), r"exactly one start 'S', found 0"),
    (dict(layout="S.x"), r"unknown layout characters \['x'\]"),
    (dict(slip=0.6), r"slip must be in \[0, 0.5\].*got 0.6"),
    (dict(render_mode="human"), r"render_mode must be None or 'ansi', got 'human'"),
])
def test_bad_gridworld_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GridWorld(**kwargs)


def test_bad_action():
    world = GridWorld()
    world.reset(seed=0)
    with pytest.raises(ValueError, match=r"action 4 is not in"):
        world.step(4)


def test_random_mdp_is_seeded_and_sparse_rows_have_at_most_k_successors():
    a, b = random_mdp(50, 3, successors=5, seed=4), random_mdp(50, 3, successors=5, seed=4)
    assert all((Pa != Pb).nnz == 0 for Pa, Pb in zip(a.P, b.P))
    np.testing.assert_array_equal(a.reward, b.reward)
    assert max(np.diff(Pa.indptr).max() for Pa in a.P) <= 5
    assert not np.array_equal(random_mdp(50, 3, seed=5).reward, random_mdp(50, 3, seed=6).reward)
    with pytest.raises(ValueError, match=r"successors must be in \[1, n_states=50\], got 0"):
        random_mdp(50, 3, successors=0)


def rollouts(env, policy, episodes, seed, gamma=1.0):
    """Discounted returns of ``policy`` in ``env`` (a gym.make env: its TimeLimit applies)."""
    returns = np.empty(episodes)
    state, _ = env.reset(seed=seed)
    for i in range(episodes):
        total, discount, done = 0.0, 1.0, False
        while not done:
            state, reward, terminated, truncated, _ = env.step(int(policy[state]))
            total += discount * reward
            discount *= gamma
            done = terminated or truncated
        returns[i] = total
        state, _ = env.reset()
    return returns


@pytest.mark.parametrize("env_id, episodes", [
    ("FrozenLake-v1", 1500),
    pytest.param("FrozenLake8x8-v1", 1500, marks=pytest.mark.slow),
])
def test_frozenlake_success_rate_is_within_a_99_percent_binomial_interval(env_id, episodes):
    env = gym.make(env_id)
    mdp = MDP.from_gymnasium(env, gamma=0.999)
    policy = value_iteration(mdp, epsilon=1e-8).policy
    # the success probability within the env's time limit: reward 1 at the goal, gamma = 1
    horizon = env.spec.max_episode_steps
    p = policy_evaluation(mdp, policy, gamma=1.0, horizon=horizon)[0]
    successes = rollouts(env, policy, episodes, seed=0).sum()
    low, high = stats.binom.interval(0.99, episodes, p)
    assert low <= successes <= high, f"{successes} successes of {episodes}, p = {p:.4f}"


@pytest.mark.parametrize("env_id, gamma, episodes", [("Taxi-v4", 1.0, 400),
                                                     ("CliffWalking-v1", 1.0, 5)])
def test_optimal_expected_return_matches_monte_carlo(env_id, gamma, episodes):
    env = gym.make(env_id)
    mdp = MDP.from_gymnasium(env, gamma=0.99)
    policy = value_iteration(mdp, epsilon=1e-8).policy
    V = policy_evaluation(mdp, policy, gamma=gamma)  # the optimal policy ends every episode
    start = env.unwrapped.initial_state_distrib
    expected = float(start @ V)
    returns = rollouts(env, policy, episodes, seed=1, gamma=gamma)
    # CLT tolerance at two-sided 1e-4 (z = 3.9) from the returns' spread, plus rounding
    tolerance = 3.9 * returns.std(ddof=1) / np.sqrt(episodes) + 1e-9
    assert abs(returns.mean() - expected) <= tolerance
    if env_id == "CliffWalking-v1":
        assert expected == pytest.approx(-13.0)  # the 13-step path along the cliff edge


def test_envs_and_render_are_reachable_as_attributes_of_rl():
    from gradsheet import rl
    assert rl.envs.GridWorld is not None and callable(rl.render.text_policy)


def test_gridworld_is_registered_and_passes_gymnasiums_checker():
    import warnings

    import gradsheet.rl  # noqa: F401  (registers gradsheet/GridWorld-v0)
    from gymnasium.utils.env_checker import check_env
    from gradsheet.rl.envs import GridWorld
    env = gym.make("gradsheet/GridWorld-v0", slip=0.2, render_mode="ansi")
    assert isinstance(env.unwrapped, GridWorld) and env.unwrapped.slip == 0.2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning of the checker fails the test
        check_env(env.unwrapped)
        check_env(gym.make("gradsheet/GridWorld-v0").unwrapped)
    assert "A" in env.unwrapped.render()
