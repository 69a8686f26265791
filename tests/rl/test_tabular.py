"""Tabular learners against exact solutions of a small deterministic MDP, schedules, seeding."""
import gymnasium as gym
import numpy as np
import pytest
from gymnasium.wrappers import TimeLimit

from gradsheet.rl.tabular import (
    ConstantSchedule,
    ExpectedSARSA,
    ExponentialSchedule,
    LinearSchedule,
    QLearning,
    SARSA,
    TabularAgent,
    run_policy,
)
from gradsheet.rl import evaluate_policy

LEFT, RIGHT = 0, 1
GAMMA = 0.9


class Chain(gym.Env):
    """States 0..6 in a row; both ends terminal. Entering 0 pays 0.5, entering 6 pays 1.0, every
    other step costs 0.05. With gamma 0.9 the best move is left from state 1, right elsewhere."""

    n = 7
    rewards = {0: 0.5, 6: 1.0}
    reward_marks_success = True  # either end is a goal
    step_cost = -0.05

    def __init__(self, start=None):
        self.observation_space = gym.spaces.Discrete(self.n)
        self.action_space = gym.spaces.Discrete(2)
        self.start = start

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.s = self.start if self.start is not None else int(self.np_random.integers(1, 6))
        return self.s, {}

    def step(self, action):
        self.s = self.s - 1 if action == LEFT else self.s + 1
        terminated = self.s in self.rewards
        return self.s, self.rewards.get(self.s, self.step_cost), terminated, False, {}

    @classmethod
    def q_star(cls, gamma=GAMMA, backup=np.max):
        """Q*(s, a) = r(s, a) + gamma max_a' Q*(s', a') (0 after a terminal s'), by iteration;
        with ``backup=np.mean``, Q of the uniformly random policy instead."""
        q = np.zeros((cls.n, 2))
        for _ in range(200):
            new = np.zeros_like(q)
            for s in range(1, cls.n - 1):
                for a, s_next in ((LEFT, s - 1), (RIGHT, s + 1)):
                    future = 0.0 if s_next in cls.rewards else gamma * backup(q[s_next])
                    new[s, a] = cls.rewards.get(s_next, cls.step_cost) + future
            q = new
        return q


def chain(start=None, max_steps=12):
    # a time limit shorter than a random walk's typical episode: many episodes are truncated
    return TimeLimit(Chain(start), max_episode_steps=max_steps)


INTERIOR = slice(1, Chain.n - 1)


def test_q_star_has_a_nontrivial_policy():
    assert list(Chain.q_star()[INTERIOR].argmax(axis=1)) == [LEFT, RIGHT, RIGHT, RIGHT, RIGHT]


@pytest.mark.parametrize("epsilon", [1.0, 0.3])
def test_q_learning_converges_to_q_star(epsilon):
    # off-policy: Q* whatever the exploration; truncated episodes must bootstrap to get there
    agent = QLearning(alpha=0.5, gamma=GAMMA, epsilon=epsilon, seed=0)
    agent.learn(chain(), 3000)
    np.testing.assert_allclose(agent.Q[INTERIOR], Chain.q_star()[INTERIOR], atol=1e-6)
    np.testing.assert_array_equal(agent.Q[[0, 6]], 0.0)


def test_q_learning_with_visit_count_step_sizes_converges():
    agent = QLearning(alpha="visits", gamma=GAMMA, epsilon=1.0, seed=1)
    agent.learn(chain(), 3000)
    np.testing.assert_allclose(agent.Q[INTERIOR], Chain.q_star()[INTERIOR], atol=0.05)
    assert agent.N.sum() > 3000


def test_every_episode_truncated_after_one_step_still_learns_q_star():
    """Only bootstrapping through the truncation gets here: treating it as terminal would leave
    every Q(s, a) at its one-step reward."""
    agent = QLearning(alpha=0.5, gamma=GAMMA, epsilon=1.0, seed=0)
    agent.learn(chain(max_steps=1), 2000)
    q_star = Chain.q_star()
    np.testing.assert_allclose(agent.Q[INTERIOR], q_star[INTERIOR], atol=1e-6)


@pytest.mark.parametrize("cls", [SARSA, ExpectedSARSA, QLearning])
def test_learns_the_optimal_greedy_policy(cls):
    agent = cls(alpha=0.2, gamma=GAMMA, epsilon=LinearSchedule(1.0, 0.0, 1500), seed=3)
    returns = agent.learn(chain(), 2000)
    assert returns.shape == (2000,)
    np.testing.assert_array_equal(agent.greedy_policy()[INTERIOR],
                                  Chain.q_star()[INTERIOR].argmax(axis=1))


def test_on_policy_learners_under_random_actions_learn_the_random_policys_q():
    # epsilon = 1: the behaviour policy is uniform, so SARSA and Expected SARSA learn its Q,
    # r + gamma mean_a' Q(s', a'), not Q*
    q_random = Chain.q_star(backup=np.mean)
    assert np.abs(q_random - Chain.q_star()).max() > 0.1
    expected = ExpectedSARSA(alpha=0.5, gamma=GAMMA, epsilon=1.0, seed=0)
    expected.learn(chain(), 3000)
    np.testing.assert_allclose(expected.Q, q_random, atol=1e-6)
    sarsa = SARSA(alpha=0.02, gamma=GAMMA, epsilon=1.0, seed=0)
    sarsa.learn(chain(), 8000)
    # its target samples a', so Q keeps fluctuating around q_random (mean error ~0.01 over seeds;
    # Q* is 0.23 away)
    assert np.abs(sarsa.Q - q_random).mean() < 0.03


def test_expected_sarsa_without_exploration_is_q_learning():
    # with epsilon = 0 the expected target (1 - e) max + e mean is the max
    runs = [cls(alpha=0.3, gamma=GAMMA, epsilon=0.0, seed=5) for cls in (QLearning, ExpectedSARSA)]
    returns = [agent.learn(chain(), 300) for agent in runs]
    np.testing.assert_array_equal(returns[0], returns[1])
    np.testing.assert_array_equal(runs[0].Q, runs[1].Q)


@pytest.mark.parametrize("cls", [QLearning, SARSA, ExpectedSARSA])
def test_seeded_runs_are_identical(cls):
    def run(seed):
        agent = cls(alpha=0.1, gamma=0.99, epsilon=ExponentialSchedule(1.0, 0.05, 0.99),
                    seed=seed)
        return agent.learn(gym.make("FrozenLake-v1"), 200), agent.Q

    (r1, q1), (r2, q2), (_, q3) = run(7), run(7), run(8)
    np.testing.assert_array_equal(r1, r2)
    np.testing.assert_array_equal(q1, q2)
    assert not np.array_equal(q1, q3)


def test_learning_continues_across_calls():
    agent = QLearning(alpha=0.5, gamma=GAMMA, epsilon=1.0, seed=0)
    agent.learn(chain(), 10)
    visits = agent.N.sum()
    agent.learn(chain(), 10)
    assert agent.episodes_done == 20 and agent.N.sum() > visits


class Bandit(gym.Env):
    """One state, four actions, every episode one step with reward 0: all Q stay tied."""

    observation_space = gym.spaces.Discrete(1)
    action_space = gym.spaces.Discrete(4)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return 0, {}

    def step(self, action):
        return 0, 0.0, True, False, {}


def test_greedy_ties_are_broken_uniformly():
    agent = QLearning(alpha=0.5, epsilon=0.0, seed=0)
    agent.learn(Bandit(), 4000)
    counts = agent.N[0]
    # each count is Binomial(4000, 1/4): sd ~27, so 1000 +- 150 is over 5 sd
    assert np.all(np.abs(counts - 1000) < 150), counts


# ---------------------------------------------------------------- schedules
def test_schedules():
    linear = LinearSchedule(1.0, 0.1, 10)
    assert [linear(t) for t in (0, 5, 10, 50)] == pytest.approx([1.0, 0.55, 0.1, 0.1])
    exponential = ExponentialSchedule(1.0, 0.05, 0.5)
    assert [exponential(t) for t in (0, 1, 3, 10)] == pytest.approx([1.0, 0.5, 0.125, 0.05])
    assert ConstantSchedule(0.3)(1000) == 0.3


def test_schedule_drives_epsilon_per_episode():
    # epsilon 1 for the first 100 episodes, then 0: the late episodes are all greedy
    seen = []

    def schedule(episode):
        seen.append(episode)
        return 1.0 if episode < 100 else 0.0

    agent = QLearning(alpha=0.5, gamma=GAMMA, epsilon=schedule, seed=0)
    agent.learn(chain(start=3), 400)
    assert seen == list(range(400))
    late = agent.learn(chain(start=3), 50)
    np.testing.assert_allclose(late, 0.9)  # right, right, right: -0.05 - 0.05 + 1


@pytest.mark.parametrize("make, match", [
    (lambda: LinearSchedule(1.0, 0.1, 0), "duration must be positive, got 0"),
    (lambda: ExponentialSchedule(1.0, 0.1, 1.5), r"decay must be in \(0, 1\], got 1.5"),
    (lambda: ExponentialSchedule(1.0, 0.1, 0), r"decay must be in \(0, 1\], got 0"),
])
def test_bad_schedules_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_schedule_leaving_the_unit_interval_raises():
    agent = QLearning(epsilon=LinearSchedule(1.0, -1.0, 4), seed=0)
    with pytest.raises(ValueError, match=r"epsilon=-0.5 at episode 3; epsilon must be in \[0, 1\]"):
        agent.learn(chain(), 10)


# ---------------------------------------------------------------- evaluate
def test_evaluate_the_optimal_policy():
    agent = QLearning(alpha=0.5, gamma=GAMMA, epsilon=1.0, seed=0)
    agent.learn(chain(), 1000)
    result = agent.evaluate(chain(start=3), episodes=5, seed=0)
    np.testing.assert_allclose(result.returns, 0.9)
    assert result.mean_return == pytest.approx(0.9) and result.success_rate == 1.0


def test_evaluate_counts_timeouts_as_failures():
    agent = QLearning(seed=0)
    agent.learn(chain(), 1)
    agent.Q[:] = 0.0
    agent.Q[2, RIGHT] = agent.Q[3, LEFT] = 1.0  # 2 -> 3 -> 2 -> ... until the time limit
    result = agent.evaluate(chain(start=3, max_steps=8), episodes=3)
    assert result.success_rate == 0.0
    assert result.mean_return == pytest.approx(8 * Chain.step_cost)


def test_evaluate_on_frozen_lake_matches_reaching_the_goal():
    # the env's own "always right then down" path on the 4x4 non-slippery lake reaches the goal
    env = gym.make("FrozenLake-v1", is_slippery=False)
    policy = {0: 2, 1: 2, 2: 1, 6: 1, 10: 1, 14: 2}
    result = run_policy(env, policy.__getitem__, episodes=3, seed=0)
    assert result.success_rate == 1.0 and result.mean_return == 1.0


def test_success_rate_only_where_the_env_defines_success():
    cartpole = run_policy(gym.make("CartPole-v1"), lambda obs: 0, episodes=2, seed=0)
    assert cartpole.success_rate is None and cartpole.lengths.tolist() == cartpole.returns.tolist()
    assert run_policy(gym.make("Taxi-v4"), lambda s: 0, episodes=1, max_steps=3).success_rate == 0
    env = Chain(start=5)
    env.reward_marks_success = False  # an env that says nothing about success
    assert run_policy(env, lambda s: RIGHT, episodes=2).success_rate is None


# ---------------------------------------------------------------- SB3-style API and files
@pytest.mark.parametrize("learner", [QLearning, SARSA, ExpectedSARSA])
def test_save_load_round_trip_and_predict(learner, tmp_path):
    agent = learner(alpha=0.5, gamma=GAMMA, epsilon=LinearSchedule(1.0, 0.1, 50), seed=0)
    agent.learn(chain(), 300)
    path = tmp_path / "agent.safetensors"
    agent.save(path)
    other = learner.load(path, env=chain())
    np.testing.assert_array_equal(other.Q, agent.Q)
    np.testing.assert_array_equal(other.N, agent.N)
    assert (other.alpha, other.gamma, other.episodes_done) == (0.5, GAMMA, 300)
    assert repr(other.epsilon) == repr(agent.epsilon)
    assert type(TabularAgent.load(path)) is learner
    assert other.predict(3, deterministic=True) == (int(agent.Q[3].argmax()), None)
    actions, state = other.predict(np.arange(7), deterministic=True)
    np.testing.assert_array_equal(actions, agent.greedy_policy())
    mean, std = evaluate_policy(other, chain(start=3), n_eval_episodes=5, seed=0)
    assert mean == pytest.approx(agent.evaluate(chain(start=3), 5, seed=0).mean_return)
    assert std >= 0
    # kwargs override the saved hyperparameters; learning goes on from the loaded tables
    tuned = learner.load(path, epsilon=0.0, seed=1)
    assert tuned.epsilon(0) == 0.0 and tuned.learn(chain(), 5).shape == (5,)


def test_load_refuses_another_class_and_other_files(tmp_path):
    agent = QLearning(seed=0)
    agent.learn(chain(), 2)
    agent.save(tmp_path / "q.safetensors")
    with pytest.raises(ValueError, match="holds a QLearning agent; load it with QLearning.load"):
        SARSA.load(tmp_path / "q.safetensors")
    with pytest.raises(ValueError, match=r"Q table is \(7, 2\) but this env has 16 states"):
        QLearning.load(tmp_path / "q.safetensors", env=gym.make("FrozenLake-v1"))
    with pytest.raises(RuntimeError, match="QLearning.save: nothing learned yet"):
        QLearning().save(tmp_path / "empty.safetensors")


def test_episode_lengths_and_a_callback_that_stops():
    agent = QLearning(seed=0)
    seen = []

    def callback(learner):
        seen.append(len(learner.episode_lengths))
        return len(seen) < 4

    returns = agent.learn(chain(), 10, callback=callback)
    assert seen == [1, 2, 3, 4] and returns.shape == (4,) and agent.episodes_done == 4
    assert agent.episode_lengths.shape == (4,) and (agent.episode_lengths <= 12).all()
    assert np.all(agent.episode_lengths >= 1)


# ---------------------------------------------------------------- bad inputs
def test_non_discrete_spaces_raise_naming_them():
    with pytest.raises(ValueError, match=r"observation space is Box\("):
        QLearning().learn(gym.make("CartPole-v1"), 1)
    env = Chain()
    env.action_space = gym.spaces.Box(-1, 1, (2,))
    with pytest.raises(ValueError, match=r"action space is Box\("):
        SARSA().learn(env, 1)
    env = Chain()
    env.observation_space = gym.spaces.Discrete(7, start=1)
    with pytest.raises(ValueError, match=r"numbered from 0.*Discrete\(7, start=1\)"):
        ExpectedSARSA().learn(env, 1)


@pytest.mark.parametrize("kwargs, match", [
    ({"alpha": 0}, r"alpha must be in \(0, 1\] or 'visits'.*got alpha=0"),
    ({"alpha": 1.5}, "got alpha=1.5"),
    ({"alpha": "count"}, "got alpha='count'"),
    ({"gamma": -0.1}, r"gamma must be in \[0, 1\], got gamma=-0.1"),
    ({"gamma": 1.01}, "got gamma=1.01"),
    ({"epsilon": 1.2}, r"epsilon must be in \[0, 1\] or a schedule.*got epsilon=1.2"),
    ({"epsilon": "greedy"}, "got epsilon='greedy'"),
])
def test_bad_hyperparameters_raise_naming_them(kwargs, match):
    with pytest.raises(ValueError, match=match):
        QLearning(**kwargs)


def test_bad_episode_counts_and_mismatched_envs_raise():
    agent = QLearning(seed=0)
    with pytest.raises(ValueError, match="episodes must be a non-negative int, got -1"):
        agent.learn(chain(), -1)
    agent.learn(chain(), 1)
    with pytest.raises(ValueError, match=r"Q table is \(7, 2\) but this env has 16 states and 4"):
        agent.learn(gym.make("FrozenLake-v1"), 1)
    with pytest.raises(ValueError, match="run_policy: episodes must be a positive int, got 0"):
        agent.evaluate(chain(), episodes=0)


def test_reading_before_learning_raises():
    with pytest.raises(RuntimeError, match=r"QLearning.greedy_policy: nothing learned yet"):
        QLearning().greedy_policy()
