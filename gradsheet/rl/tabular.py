"""Tabular learning from experience: Q-learning, SARSA and Expected SARSA on a Q table.

Each step (s, a, r, s′) moves one entry of the table towards a target:

    Q(s, a) ← Q(s, a) + α [ y − Q(s, a) ]
    Q-learning:      y = r + γ max_a′ Q(s′, a′)              (the cheat sheet's; off-policy)
    SARSA:           y = r + γ Q(s′, a′),  a′ the action the agent takes next (on-policy)
    Expected SARSA:  y = r + γ Σ_a′ π(a′|s′) Q(s′, a′)       (SARSA's target in expectation)

with y = r when s′ is terminal (``terminated``: no future to bootstrap from) but the
bootstrapped y when the episode was only ``truncated`` (a time limit: s′ has a future, we
just stop watching). The agent acts ε-greedily: a uniformly random action with probability
ε, else argmax_a Q(s, a) with ties broken at random. ε follows a schedule over episodes
(``ConstantSchedule``, ``LinearSchedule``, ``ExponentialSchedule``, or any callable).
α is a constant or ``"visits"``: α = 1 / N(s, a), the sample mean of the targets, which
meets the Robbins-Monro conditions (Σ α = ∞, Σ α² < ∞) under which Q-learning converges
to Q* (Watkins & Dayan, 1992).

Speed: the inner loop runs on plain Python ints and floats; the table is read with
``Q.item`` and written with scalar assignment, and random numbers come from blocks drawn
in advance from the agent's one seeded ``numpy.random.Generator``, so a step allocates no
array.

Step limits: every episode loop in ``gradsheet.rl`` (``learn`` here, ``run_policy``,
``DQN.learn``, ``explore``, ``model_based_agent``) cuts an episode after ``max_steps`` steps,
as a time limit does (truncated: the last target still bootstraps). By default that is the
env's own limit (Gymnasium's ``TimeLimit``, ``env.spec.max_episode_steps``), else
``DEFAULT_MAX_STEPS`` (1000), so a policy that never reaches a terminal state (always
"left" in GridWorld) or an env that never truncates (CliffWalking) cannot hang a loop.

Vector environments: ``learn`` also takes a Gymnasium vector env (``SyncVectorEnv`` /
``AsyncVectorEnv``; or ``n_envs=`` with an env id, factory or env to copy): every sub-env
steps at once, each with its own episode (and ε from the episode count when it began), and
their transitions update the one table in sub-env order; ``learn`` ends once ``episodes``
episodes ended in all. Autoreset follows the env's mode (see ``rl.buffers.VectorRunner``).

Example: ``agent = QLearning(alpha=0.1, gamma=0.99, epsilon=0.1, seed=0)``;
``returns = agent.learn(gymnasium.make("FrozenLake-v1"), 5000)``; ``agent.greedy_policy()``.
"""
from __future__ import annotations

import collections
import itertools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, Optional, Union

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .._typing import PathLike

DEFAULT_MAX_STEPS = 1000


def step_limit(env: Any, max_steps: Optional[int] = None, who: str = "rl") -> int:
    """The number of steps after which an episode of ``env`` is cut: ``max_steps`` when given
    (a positive int), else the env's own time limit (a Gymnasium ``TimeLimit`` wrapper or
    ``env.spec.max_episode_steps``), else ``DEFAULT_MAX_STEPS``."""
    if max_steps is not None:
        if isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer)) \
                or max_steps <= 0:
            raise ValueError(f"{who}: max_steps must be a positive int (steps per episode), "
                             f"got {max_steps!r}")
        return int(max_steps)
    wrapper, depth = env, 0
    while wrapper is not None and depth < 100:
        limit = getattr(wrapper, "_max_episode_steps", None)
        if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
            return limit
        wrapper, depth = getattr(wrapper, "env", None), depth + 1
    limit = getattr(getattr(env, "spec", None), "max_episode_steps", None)
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
        return limit
    return DEFAULT_MAX_STEPS


class ConstantSchedule:
    """ε_t = value for every t."""

    def __init__(self, value: float) -> None:
        self.start = self.end = self.value = float(value)

    def __call__(self, t: int) -> float:
        return self.value

    def __repr__(self) -> str:
        return f"ConstantSchedule({self.value})"


class LinearSchedule:
    """ε_t = start + (end − start) · min(t / duration, 1): a straight line, then flat at end."""

    def __init__(self, start: float, end: float, duration: float) -> None:
        if not duration > 0:
            raise ValueError(f"LinearSchedule: duration must be positive, got {duration!r}")
        self.start, self.end, self.duration = float(start), float(end), float(duration)

    def __call__(self, t: int) -> float:
        return self.start + (self.end - self.start) * min(t / self.duration, 1.0)

    def __repr__(self) -> str:
        return f"LinearSchedule(start={self.start}, end={self.end}, duration={self.duration})"


class ExponentialSchedule:
    """ε_t = max(end, start · decay^t)."""

    def __init__(self, start: float, end: float, decay: float) -> None:
        if not 0 < decay <= 1:
            raise ValueError(f"ExponentialSchedule: decay must be in (0, 1], got {decay!r}")
        self.start, self.end, self.decay = float(start), float(end), float(decay)

    def __call__(self, t: int) -> float:
        return max(self.end, self.start * self.decay ** t)

    def __repr__(self) -> str:
        return f"ExponentialSchedule(start={self.start}, end={self.end}, decay={self.decay})"


class Evaluation(collections.namedtuple("Evaluation",
                                        ["mean_return", "success_rate", "returns", "lengths"])):
    """What ``run_policy`` measured: the mean return, the success rate, the return and the
    length of every episode.

    The success rate is None for an env that does not define success (``defines_success``):
    CartPole's episodes end when the pole falls, which is no goal reached. Where success is
    defined, it is the fraction of episodes that ended with ``info["is_success"]`` true where
    the env reports it, else ``terminated`` with a positive last reward (reaching FrozenLake's
    goal); an episode cut by the step limit is no success.
    """

    __slots__ = ()

    @property
    def std_return(self) -> float:
        """The standard deviation of the episodes' returns (NumPy's, ddof 0, as SB3's)."""
        return float(np.std(self.returns))


# Envs whose episodes end terminated with a positive reward exactly when the goal is reached
# (CartPole's pole falling also ends with reward 1; CliffWalking's goal step costs -1).
GOAL_REWARD_ENVS = ("FrozenLake-v1", "FrozenLake8x8-v1", "Taxi-v3", "Taxi-v4",
                    "gradsheet/GridWorld-v0")


def defines_success(env: Any) -> bool:
    """Whether ``env``'s episodes can succeed: its unwrapped env sets ``reward_marks_success``
    (GridWorld does) or its spec's id is one of ``GOAL_REWARD_ENVS``; an env that reports
    ``info["is_success"]`` defines it too (``run_policy`` sees that as it goes)."""
    unwrapped = getattr(env, "unwrapped", env)
    if getattr(unwrapped, "reward_marks_success", False) is True:
        return True
    spec = getattr(env, "spec", None) or getattr(unwrapped, "spec", None)
    return getattr(spec, "id", None) in GOAL_REWARD_ENVS


def run_policy(env: Any, policy: Callable[[Any], Any], episodes: int = 100,
               seed: Optional[int] = None, max_steps: Optional[int] = None) -> Evaluation:
    """Run ``policy`` (observation -> action) for ``episodes`` episodes; an ``Evaluation``.

    The first reset gets ``seed`` (Gymnasium's convention: later resets continue the env's
    seeded stream), so the same seed gives the same episodes. An episode is cut after
    ``max_steps`` steps (default: the env's time limit, else ``DEFAULT_MAX_STEPS``; see
    ``step_limit``) and then counts as no success. ``rl.evaluate_policy`` is the
    Stable-Baselines3-style front of this loop (an agent, mean and std).
    """
    if isinstance(episodes, bool) or not (isinstance(episodes, int) and episodes > 0):
        raise ValueError(f"run_policy: episodes must be a positive int, got {episodes!r}")
    if not callable(policy):
        raise TypeError(f"run_policy: policy must be a callable (observation -> action), got "
                        f"{type(policy).__name__}")
    limit = step_limit(env, max_steps, "run_policy")
    returns = np.empty(episodes)
    lengths = np.empty(episodes, dtype=np.int64)
    successes, reported = 0, False
    obs, _ = env.reset(seed=seed)
    for episode in range(episodes):
        total, done, steps = 0.0, False, 0
        while not done:
            obs, reward, terminated, truncated, info = env.step(policy(obs))
            total += float(reward)
            steps += 1
            done = terminated or truncated or steps >= limit
        reported = reported or "is_success" in info
        successes += bool(info.get("is_success", terminated and reward > 0))
        returns[episode], lengths[episode] = total, steps
        if episode + 1 < episodes:
            obs, _ = env.reset()
    rate = successes / episodes if reported or defines_success(env) else None
    return Evaluation(float(returns.mean()), rate, returns, lengths)


def _as_schedule(epsilon: Union[float, Callable[[int], float]]) -> Callable[[int], float]:
    if callable(epsilon):
        return epsilon
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not 0 <= epsilon <= 1:
        raise ValueError(f"epsilon must be in [0, 1] or a schedule (callable of the episode "
                         f"index), got epsilon={epsilon!r}")
    return ConstantSchedule(epsilon)


def _check_alpha(alpha: Union[float, Literal["visits"]]) -> Union[float, Literal["visits"]]:
    if alpha == "visits":
        return alpha
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha <= 1:
        raise ValueError(f"alpha must be in (0, 1] or 'visits' (alpha = 1/N(s, a)), "
                         f"got alpha={alpha!r}")
    return float(alpha)


def _discrete_size(space: Any, what: str) -> int:
    """n of a ``Discrete(n)`` space (starting at 0), else a ValueError naming the space."""
    from gymnasium.spaces import Discrete
    if not isinstance(space, Discrete) or int(space.start) != 0:
        raise ValueError(f"tabular learning needs Discrete {what} numbered from 0; the env's "
                         f"{what} space is {space!r}")
    return int(space.n)


class TabularAgent:
    """The shared machinery of the tabular learners: the table, ε-greedy acting, the loop.

    A subclass names its target in ``_bootstrap(s′, ε) -> (value, a′)``: the value that γ
    multiplies in y, and the next action when the target already chose it (SARSA), else -1
    (the agent then picks a′ after the update, from the updated table).

    Args:
        alpha: the step size α in (0, 1], or ``"visits"`` for α = 1 / N(s, a) (default 0.1).
        gamma: the discount γ in [0, 1] (default 0.99).
        epsilon: exploration: a constant in [0, 1] or a schedule, a callable of the episode
            index (counted over all ``learn`` calls) (default 0.1).
        seed: seeds the one ``numpy.random.Generator`` behind exploration, tie-breaking and
            the env's first reset; the same seed gives the same run (default None: fresh).

    Attributes:
        Q: the (n_states, n_actions) float64 table, created zero on the first ``learn``.
        N: the (n_states, n_actions) visit counts N(s, a).
        episodes_done: episodes learned so far (the schedule's clock).
        episode_envs: the sub-env index of each episode of the last ``learn`` call, in the
            order of its returns (all 0 for a single env).
        episode_lengths: the number of steps of each episode of the last ``learn`` call.

    Files: ``agent.save(path)`` writes Q, N and the hyperparameters (α, γ, the ε schedule when
    it is one of this module's, the episode count) to one safetensors file;
    ``QLearning.load(path)`` (or the class that wrote it) rebuilds the agent.
    """

    _BLOCK = 4096  # random numbers drawn per refill

    def __init__(self, alpha: Union[float, Literal["visits"]] = 0.1, gamma: float = 0.99,
                 epsilon: Union[float, Callable[[int], float]] = 0.1,
                 seed: Optional[Union[int, np.random.Generator]] = None) -> None:
        self.alpha = _check_alpha(alpha)
        if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not 0 <= gamma <= 1:
            raise ValueError(f"gamma must be in [0, 1], got gamma={gamma!r}")
        self.gamma = float(gamma)
        self.epsilon = _as_schedule(epsilon)
        self.rng = np.random.default_rng(seed)
        # the (S, A) action values and visit counts, None until the first learn (_prepare)
        self.Q: Any = None
        self.N: Any = None
        self.episodes_done = 0
        self.episode_envs = np.zeros(0, dtype=np.int64)
        self.episode_lengths = np.zeros(0, dtype=np.int64)
        self._uniform = itertools.chain.from_iterable(self._blocks()).__next__

    def _blocks(self) -> Iterator[list[float]]:
        while True:
            yield self.rng.random(self._BLOCK).tolist()

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(alpha={self.alpha!r}, gamma={self.gamma}, "
                f"epsilon={self.epsilon!r})")

    # ------------------------------------------------------------ acting
    def _greedy(self, s: int) -> int:
        """argmax_a Q(s, a), a tie broken uniformly: the k-th tied maximum replaces the
        choice with probability 1/k (reservoir sampling), one plain loop over the actions."""
        q = self._q
        best, action, ties = q(s, 0), 0, 1
        for a in range(1, self._n_actions):
            value = q(s, a)
            if value > best:
                best, action, ties = value, a, 1
            elif value == best:
                ties += 1
                if self._uniform() * ties < 1.0:
                    action = a
        return action

    def _act(self, s: int, epsilon: float) -> int:
        if self._uniform() < epsilon:
            return int(self._uniform() * self._n_actions)
        return self._greedy(s)

    def _max_q(self, s: int) -> float:
        q = self._q
        best = q(s, 0)
        for a in range(1, self._n_actions):
            value = q(s, a)
            if value > best:
                best = value
        return best

    def _bootstrap(self, s: int, epsilon: float) -> tuple[float, int]:
        raise NotImplementedError

    # ------------------------------------------------------------ learning
    def _prepare(self, env: Any, vector: bool = False) -> None:
        obs_space = env.single_observation_space if vector else env.observation_space
        action_space = env.single_action_space if vector else env.action_space
        n_states = _discrete_size(obs_space, "observation")
        n_actions = _discrete_size(action_space, "action")
        if self.Q is None:
            self.Q = np.zeros((n_states, n_actions))
            self.N = np.zeros((n_states, n_actions), dtype=np.int64)
        elif self.Q.shape != (n_states, n_actions):
            raise ValueError(f"{type(self).__name__}: the Q table is {self.Q.shape} but this env "
                             f"has {n_states} states and {n_actions} actions")
        self._n_actions = n_actions
        self._q = self.Q.item

    def _epsilon_at(self, episode: int) -> float:
        epsilon = self.epsilon(episode)
        if not 0 <= epsilon <= 1:
            raise ValueError(f"the epsilon schedule gave epsilon={epsilon!r} at episode "
                             f"{episode}; epsilon must be in [0, 1]")
        return epsilon

    def learn(self, env: Any, episodes: int, max_steps: Optional[int] = None,
              n_envs: Optional[int] = None,
              callback: Optional[Callable[[TabularAgent], Any]] = None) -> np.ndarray:
        """Learn from ``episodes`` episodes of ``env``; returns each episode's return (undiscounted).

        The env's first reset is seeded from the agent's generator; learning continues from
        the current table, so ``learn`` may be called again. An episode is cut after
        ``max_steps`` steps (default: the env's time limit, else ``DEFAULT_MAX_STEPS``), as
        a time limit cuts it: the last update bootstraps.

        ``env`` may be a Gymnasium vector env, or with ``n_envs`` an env id, a factory or an
        env to copy into a ``SyncVectorEnv`` of ``n_envs``: then the returns are those of the
        first ``episodes`` episodes to end, in that order, and ``episode_envs`` their sub-envs.

        ``callback(agent)`` runs after each episode (``episode_lengths`` then holds the
        episodes so far); returning False stops learning there, the returns so far returned.
        """
        if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 0:
            raise ValueError(f"learn: episodes must be a non-negative int, got {episodes!r}")
        from .buffers import is_vector_env, make_vector_env
        if n_envs is not None:
            env = make_vector_env(env, n_envs, "learn")
        if is_vector_env(env):
            return self._learn_vector(env, episodes, max_steps, callback)
        self.episode_envs = np.zeros(episodes, dtype=np.int64)
        lengths = []
        limit = step_limit(env, max_steps, "learn")
        self._prepare(env)
        Q, N, q, gamma = self.Q, self.N, self._q, self.gamma
        alpha = None if self.alpha == "visits" else self.alpha
        act, bootstrap, step = self._act, self._bootstrap, env.step
        returns = np.empty(episodes)
        seed = int(self.rng.integers(2**31))
        for episode in range(episodes):
            epsilon = self._epsilon_at(self.episodes_done)
            s, _ = env.reset(seed=seed if episode == 0 else None)
            a = act(s, epsilon)
            total, steps = 0.0, 0
            while True:
                s_next, r, terminated, truncated, _ = step(a)
                total += r
                steps += 1
                truncated = truncated or steps >= limit
                if terminated:
                    target, a_next = r, -1
                else:
                    value, a_next = bootstrap(s_next, epsilon)
                    target = r + gamma * value
                n = N.item(s, a) + 1
                N[s, a] = n
                q_sa = q(s, a)
                Q[s, a] = q_sa + (alpha or 1.0 / n) * (target - q_sa)
                if terminated or truncated:
                    break
                s = s_next
                a = a_next if a_next >= 0 else act(s, epsilon)
            returns[episode] = total
            lengths.append(steps)
            self.episodes_done += 1
            if callback is not None:
                self.episode_lengths = np.asarray(lengths, dtype=np.int64)
                if callback(self) is False:
                    self.episode_envs = self.episode_envs[:episode + 1]
                    return returns[:episode + 1]
        self.episode_lengths = np.asarray(lengths, dtype=np.int64)
        return returns

    def _learn_vector(self, env: Any, episodes: int, max_steps: Optional[int],
                      callback: Optional[Callable[[TabularAgent], Any]] = None) -> np.ndarray:
        """``learn`` on a vector env: all sub-envs step together; each transition updates the
        table as in the single-env loop, in sub-env order."""
        from .buffers import VectorRunner, vector_step_limit
        runner = VectorRunner(env, vector_step_limit(env, max_steps, "learn"))
        self._prepare(env, vector=True)
        Q, N, q, gamma = self.Q, self.N, self._q, self.gamma
        alpha = None if self.alpha == "visits" else self.alpha
        act, bootstrap = self._act, self._bootstrap
        n = runner.n
        returns: list[float] = []
        envs: list[int] = []
        lengths: list[int] = []
        stopped = False
        obs = runner.reset(seed=int(self.rng.integers(2**31))).tolist()
        # each sub-env's ε: the schedule at the number of episodes ended when its episode began
        ended = self.episodes_done
        epsilons = [self._epsilon_at(ended)] * n
        actions = [act(int(s), epsilons[i]) for i, s in enumerate(obs)]
        while len(returns) < episodes:
            step = runner.step(np.asarray(actions, dtype=np.int64))
            chosen = [-1] * n
            for k, i in enumerate(step.envs.tolist()):
                s, a = int(step.observations[k]), int(step.actions[k])
                r, s_next = float(step.rewards[k]), int(step.next_observations[k])
                if step.terminated[k]:
                    target, a_next = r, -1
                else:
                    value, a_next = bootstrap(s_next, epsilons[i])
                    target = r + gamma * value
                count = N.item(s, a) + 1
                N[s, a] = count
                q_sa = q(s, a)
                Q[s, a] = q_sa + (alpha or 1.0 / count) * (target - q_sa)
                chosen[i] = a_next
            new_episode = [False] * n
            for i, episode_return, episode_length in step.finished:
                if len(returns) < episodes and not stopped:
                    returns.append(episode_return)
                    envs.append(i)
                    lengths.append(episode_length)
                    if callback is not None:
                        self.episode_lengths = np.asarray(lengths, dtype=np.int64)
                        stopped = callback(self) is False
                ended += 1
                epsilons[i] = self._epsilon_at(ended)
                new_episode[i] = True
            if len(returns) >= episodes or stopped:
                break
            obs = runner.observations.tolist()
            actions = [chosen[i] if chosen[i] >= 0 and not new_episode[i]
                       else act(int(obs[i]), epsilons[i]) for i in range(n)]
        self.episodes_done += len(returns)
        self.episode_envs = np.asarray(envs, dtype=np.int64)
        self.episode_lengths = np.asarray(lengths, dtype=np.int64)
        return np.asarray(returns, dtype=np.float64)

    # ------------------------------------------------------------ reading the result
    def _check_learned(self, what: str) -> None:
        if self.Q is None:
            raise RuntimeError(f"{type(self).__name__}.{what}: nothing learned yet; "
                               f"call learn(env, episodes) first")

    def greedy_policy(self) -> np.ndarray:
        """π(s) = argmax_a Q(s, a) for every state, an int array (ties: the lowest action)."""
        self._check_learned("greedy_policy")
        return self.Q.argmax(axis=1)

    def evaluate(self, env: Any, episodes: int = 100, seed: Optional[int] = None,
                 max_steps: Optional[int] = None) -> Evaluation:
        """Mean return and success rate of the greedy policy over ``episodes`` (an ``Evaluation``)."""
        policy = self.greedy_policy()
        return run_policy(env, lambda s: int(policy[s]), episodes, seed, max_steps)

    def predict(self, observation: Any, state: Any = None, episode_start: Any = None,
                deterministic: bool = False) -> tuple[Union[int, np.ndarray], Any]:
        """``(action, state)`` for a state index (or an array of them), Stable-Baselines3's.

        deterministic: the greedy action argmax_a Q(s, a) (ties: the lowest, as
        ``greedy_policy``); else ε-greedy with ε from the schedule at ``episodes_done``. The
        action is an int for one state, an int array for several; ``state`` is returned as
        given, ``episode_start`` is unused.
        """
        self._check_learned("predict")
        states = np.asarray(observation, dtype=np.int64)
        actions = self.Q[states].argmax(axis=-1)
        if not deterministic:
            explore = self.rng.random(states.shape) < self._epsilon_at(self.episodes_done)
            actions = np.where(explore, self.rng.integers(self.Q.shape[1], size=states.shape),
                               actions)
        return (int(actions) if states.ndim == 0 else actions), state

    # ------------------------------------------------------------ files
    def save(self, path: PathLike) -> None:
        """Write the agent to ``path`` (safetensors): the tables Q and N, and as metadata its
        class, α, γ, the ε schedule (when it is a Constant/Linear/ExponentialSchedule; another
        callable is not saved) and ``episodes_done``."""
        self._check_learned("save")
        from ..autograd.tensor import as_tensor
        from ..io import save
        save({"Q": as_tensor(self.Q), "N": as_tensor(self.N)}, path, metadata={
            "agent": type(self).__name__,
            "hyperparameters": json.dumps({"alpha": self.alpha, "gamma": self.gamma,
                                           "epsilon": _schedule_spec(self.epsilon)}),
            "episodes_done": str(self.episodes_done)})

    @classmethod
    def load(cls, path: PathLike, env: Any = None, **kwargs: Any) -> TabularAgent:
        """A new agent rebuilt from a file written by ``save`` (``QLearning.load(path)``, or
        ``TabularAgent.load`` for whichever class wrote it): its tables, α, γ, ε schedule and
        episode count; ``kwargs`` override hyperparameters (``alpha``, ``gamma``,
        ``epsilon``, ``seed``). With ``env``, its spaces must fit the table."""
        from ..io import load, load_metadata
        metadata = load_metadata(path) or {}
        name = metadata.get("agent")
        classes = {c.__name__: c for c in (QLearning, SARSA, ExpectedSARSA)}
        if name not in classes or "hyperparameters" not in metadata:
            raise ValueError(f"{cls.__name__}.load: {path} is not a tabular agent file (written "
                             f"by QLearning/SARSA/ExpectedSARSA.save); its metadata names agent "
                             f"{name!r}")
        if cls is not TabularAgent and classes[name] is not cls:
            raise ValueError(f"{cls.__name__}.load: {path} holds a {name} agent; load it with "
                             f"{name}.load")
        hyperparameters = json.loads(metadata["hyperparameters"])
        hyperparameters["epsilon"] = _schedule(hyperparameters.get("epsilon"))
        agent = classes[name](**{**hyperparameters, **kwargs})
        tables = load(path)
        agent.Q, agent.N = tables["Q"].array.astype(np.float64), tables["N"].array.astype(np.int64)
        agent.episodes_done = int(metadata.get("episodes_done", 0))
        if env is not None:
            agent._prepare(env)
        return agent


# the schedules a file can hold: their constructor arguments
_SCHEDULES = {"ConstantSchedule": ("value",), "LinearSchedule": ("start", "end", "duration"),
              "ExponentialSchedule": ("start", "end", "decay")}


def _schedule_spec(schedule: Callable[[int], float]) -> Optional[dict[str, Any]]:
    """A JSON-able spec of one of this module's schedules, None for another callable."""
    names = _SCHEDULES.get(type(schedule).__name__)
    if names is None or type(schedule) not in (ConstantSchedule, LinearSchedule,
                                               ExponentialSchedule):
        return None
    return {"type": type(schedule).__name__, **{n: getattr(schedule, n) for n in names}}


def _schedule(spec: Optional[dict[str, Any]]) -> Union[float, Callable[[int], float]]:
    """The schedule of a spec written by ``_schedule_spec`` (None: the default ε, 0.1)."""
    if spec is None:
        return 0.1
    classes = {c.__name__: c for c in (ConstantSchedule, LinearSchedule, ExponentialSchedule)}
    return classes[spec["type"]](*(spec[n] for n in _SCHEDULES[spec["type"]]))


class QLearning(TabularAgent):
    """Q-learning: y = r + γ max_a′ Q(s′, a′) (off-policy: it learns Q* while exploring).

    Reference: Watkins, "Learning from Delayed Rewards", 1989; Sutton & Barto (2018), 6.5.
    See ``TabularAgent`` for the arguments.
    """

    def _bootstrap(self, s: int, epsilon: float) -> tuple[float, int]:
        return self._max_q(s), -1


class SARSA(TabularAgent):
    """SARSA: y = r + γ Q(s′, a′) with a′ the ε-greedy action the agent then takes (on-policy:
    it learns the value of the ε-greedy policy itself, so it keeps away from risky edges).

    Reference: Rummery & Niranjan, 1994; Sutton & Barto (2018), 6.4.
    """

    def _bootstrap(self, s: int, epsilon: float) -> tuple[float, int]:
        a = self._act(s, epsilon)
        return self._q(s, a), a


class ExpectedSARSA(TabularAgent):
    """Expected SARSA: y = r + γ [(1 − ε) max_a′ Q(s′, a′) + ε mean_a′ Q(s′, a′)], the ε-greedy
    expectation of SARSA's target (same fixed point, less variance).

    Reference: van Seijen et al., "A Theoretical and Empirical Analysis of Expected Sarsa", 2009.
    """

    def _bootstrap(self, s: int, epsilon: float) -> tuple[float, int]:
        q = self._q
        mean = sum([q(s, a) for a in range(self._n_actions)]) / self._n_actions
        return (1.0 - epsilon) * self._max_q(s) + epsilon * mean, -1
