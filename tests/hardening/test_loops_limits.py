"""Every episode loop ends: step limits (``max_steps``, the env's own time limit, else
``rl.DEFAULT_MAX_STEPS``) on Q-learning, SARSA, Expected SARSA, DQN, run_policy,
explore and model_based_agent, for policies that never reach a terminal state."""
import gymnasium as gym
import numpy as np
import pytest

from gradsheet import rl
from gradsheet.rl.envs import GridWorld


class Counting(gym.Wrapper):
    """Counts the steps of the current and of all episodes."""

    def __init__(self, env):
        super().__init__(env)
        self.lengths, self.current = [], 0

    def reset(self, **kwargs):
        if self.current:
            self.lengths.append(self.current)
        self.current = 0
        return self.env.reset(**kwargs)

    def step(self, action):
        self.current += 1
        return self.env.step(action)


class Endless(gym.Env):
    """A two-state env that never terminates nor truncates."""

    observation_space = gym.spaces.Discrete(2)
    action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return 0, {}

    def step(self, action):
        return int(action), 0.0, False, False, {}


def test_evaluate_policy_of_a_policy_that_never_exits_ends():
    env = Counting(GridWorld())
    evaluation = rl.run_policy(env, lambda s: 0, episodes=3)  # always "left": never exits
    env.reset()
    assert env.lengths == [rl.DEFAULT_MAX_STEPS] * 3
    assert evaluation.success_rate == 0.0
    assert evaluation.mean_return == pytest.approx(-0.04 * rl.DEFAULT_MAX_STEPS)


def test_max_steps_and_the_envs_own_time_limit():
    env = Counting(GridWorld())
    rl.run_policy(env, lambda s: 0, episodes=2, max_steps=7)
    env.reset()
    assert env.lengths == [7, 7]
    assert rl.step_limit(gym.make("FrozenLake-v1")) == 100
    assert rl.step_limit(gym.make("CliffWalking-v1")) == rl.DEFAULT_MAX_STEPS
    assert rl.step_limit(gym.make("Taxi-v4"), max_steps=5) == 5
    assert rl.step_limit(GridWorld()) == rl.DEFAULT_MAX_STEPS


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
def test_max_steps_must_be_a_positive_int(bad):
    with pytest.raises(ValueError, match="run_policy: max_steps must be a positive int"):
        rl.run_policy(GridWorld(), lambda s: 0, episodes=1, max_steps=bad)
    with pytest.raises(ValueError, match="learn: max_steps must be a positive int"):
        rl.QLearning().learn(GridWorld(), 1, max_steps=bad)


@pytest.mark.parametrize("agent", [rl.QLearning, rl.SARSA, rl.ExpectedSARSA])
def test_tabular_learning_on_an_endless_env_ends(agent):
    env = Counting(Endless())
    learner = agent(epsilon=0.5, seed=0)
    returns = learner.learn(env, 3, max_steps=50)
    env.reset()
    assert env.lengths == [50, 50, 50] and returns.shape == (3,)
    env = Counting(gym.make("CliffWalking-v1"))  # never truncates by itself
    agent(epsilon=0.1, seed=0).learn(env, 1)
    env.reset()
    assert 0 < env.lengths[0] <= rl.DEFAULT_MAX_STEPS


def test_a_cut_episode_bootstraps_its_last_target():
    # on an endless env with reward 0 and Q = 0 every target is 0: the table stays finite
    learner = rl.QLearning(alpha=1.0, epsilon=1.0, seed=0)
    learner.learn(Endless(), 2, max_steps=10)
    assert np.all(np.isfinite(learner.Q))


def test_dqn_episodes_are_cut_at_max_steps():
    env = Counting(gym.make("CartPole-v1"))
    agent = rl.DQN(env, learning_starts=10_000, seed=0)
    episodes = agent.learn(60, max_steps=5)
    assert list(episodes.lengths) == [5] * 12
    evaluation = agent.evaluate(episodes=2, max_steps=3)
    assert evaluation.returns.tolist() == [3.0, 3.0]


def test_explore_and_model_based_agent_reset_after_max_steps():
    env = Counting(Endless())
    rows = rl.explore(env, 25, seed=0, max_steps=10)
    assert rows.shape == (25, 5) and env.lengths == [10, 10]
    result = rl.model_based_agent(Counting(GridWorld()), rounds=2, steps_per_round=30, seed=0,
                                  max_steps=8)
    assert len(result.returns) == 2
    for bad in (0, -2, 1.5):
        with pytest.raises(ValueError, match="model_based_agent: rounds must be a positive int"):
            rl.model_based_agent(GridWorld(), rounds=bad)


def test_evaluate_policy_needs_a_callable():
    with pytest.raises(TypeError, match="run_policy: policy must be a callable"):
        rl.run_policy(GridWorld(), [0, 1, 2], episodes=1)
