"""Experience replay: the last ``capacity`` transitions (s, a, r, s′, terminated), sampled uniformly.

A ring buffer of preallocated arrays: transition t is written at row t mod capacity, so once
full each new transition overwrites the oldest. Sampling i.i.d. rows (with replacement)
breaks the correlation of consecutive steps that makes online Q-learning with a neural
network unstable.

Vector environments: ``VectorRunner`` steps a Gymnasium vector environment (``SyncVectorEnv``,
``AsyncVectorEnv``) for a learner and hands back, per step, the transitions of every
sub-environment, whatever the env's autoreset mode (Gymnasium 1.x: ``NEXT_STEP``, the default,
where the step after an episode's end only resets that sub-environment and makes no
transition; ``SAME_STEP``, where the final observation is in ``info["final_obs"]``;
``DISABLED``, where the runner resets ended sub-environments itself), with each episode's
return and length per sub-environment. ``ReplayBuffer.add_batch`` stores them in one write.

Reference: Lin, "Self-Improving Reactive Agents Based on Reinforcement Learning, Planning and
Teaching", 1992; Mnih et al., "Human-level control through deep RL", Nature 2015.
"""
from __future__ import annotations

import collections
import numbers
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Optional, TypeGuard, Union

import numpy as np

if TYPE_CHECKING:
    import gymnasium
    from gymnasium.vector import VectorEnv
    from numpy.typing import ArrayLike

    from .._typing import DType

Batch = collections.namedtuple(
    "Batch", ["observations", "actions", "rewards", "next_observations", "terminated"])
Batch.__doc__ = """A sampled minibatch: observations and next_observations (B, *obs_shape),
actions (B,) int64, rewards (B,) float32, terminated (B,) bool."""


class ReplayBuffer:
    """A ring buffer of transitions with uniform sampling.

    Args:
        capacity: how many transitions it keeps (the oldest are overwritten).
        observation_shape: the shape of one observation, e.g. (4,) for CartPole.
        observation_dtype: their dtype (default float32).
        seed: an int, or a ``numpy.random.Generator`` to share (e.g. the agent's) (default None).

    Store ``terminated``, not ``terminated or truncated``: a transition cut by a time limit
    still has a future, and its target must bootstrap from s′.

    Example: ``buffer = ReplayBuffer(10_000, (4,)); buffer.add(s, a, r, s2, False);
    batch = buffer.sample(64)``.
    """

    def __init__(self, capacity: int, observation_shape: Sequence[int],
                 observation_dtype: DType = np.float32,
                 seed: Optional[Union[int, np.random.Generator]] = None) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, (int, np.integer)) \
                or capacity < 1:
            raise ValueError(f"ReplayBuffer: capacity must be a positive int, got {capacity!r}")
        self.capacity = int(capacity)
        shape = (self.capacity, *tuple(observation_shape))
        self.observations = np.zeros(shape, dtype=observation_dtype)
        self.next_observations = np.zeros(shape, dtype=observation_dtype)
        self.actions = np.zeros(self.capacity, dtype=np.int64)
        self.rewards = np.zeros(self.capacity, dtype=np.float32)
        self.terminated = np.zeros(self.capacity, dtype=bool)
        self.rng = np.random.default_rng(seed)
        self.position = 0  # the row the next transition goes to
        self.full = False

    def __len__(self) -> int:
        return self.capacity if self.full else self.position

    def add(self, observation: ArrayLike, action: int, reward: float,
            next_observation: ArrayLike, terminated: bool) -> None:
        """Store one transition at the write position, then advance it (wrapping around)."""
        i = self.position
        self.observations[i] = observation
        self.next_observations[i] = next_observation
        self.actions[i] = action
        self.rewards[i] = reward
        self.terminated[i] = terminated
        self.position = (i + 1) % self.capacity
        self.full = self.full or self.position == 0

    def add_batch(self, observations: np.ndarray, actions: np.ndarray, rewards: np.ndarray,
                  next_observations: np.ndarray, terminated: np.ndarray) -> None:
        """Store k transitions (arrays with k rows, in order) at the write position onwards,
        wrapping around: the same rows as k calls of ``add``."""
        k = len(actions)
        if k == 0:
            return
        if k > self.capacity:  # only the last ``capacity`` would stay
            observations, actions, rewards, next_observations, terminated = (
                a[k - self.capacity:] for a in (observations, actions, rewards,
                                                 next_observations, terminated))
            self.position = (self.position + k - self.capacity) % self.capacity
            self.full = True
            k = self.capacity
        rows = (self.position + np.arange(k)) % self.capacity
        self.observations[rows] = observations
        self.next_observations[rows] = next_observations
        self.actions[rows] = actions
        self.rewards[rows] = rewards
        self.terminated[rows] = terminated
        self.full = self.full or self.position + k >= self.capacity
        self.position = (self.position + k) % self.capacity

    def sample(self, batch_size: int) -> Batch:
        """``batch_size`` transitions drawn uniformly with replacement, as a ``Batch``."""
        if len(self) == 0:
            raise ValueError("ReplayBuffer.sample: the buffer is empty; add transitions first")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise ValueError(f"ReplayBuffer.sample: batch_size must be a positive int, "
                             f"got {batch_size!r}")
        rows = self.rng.integers(0, len(self), size=batch_size)
        return Batch(self.observations[rows], self.actions[rows], self.rewards[rows],
                     self.next_observations[rows], self.terminated[rows])

    def __repr__(self) -> str:
        return (f"ReplayBuffer(capacity={self.capacity}, size={len(self)}, "
                f"observation_shape={self.observations.shape[1:]})")


# ---------------------------------------------------------------- vector environments
def is_vector_env(env: Any) -> TypeGuard[VectorEnv[Any, Any, Any]]:
    """Whether ``env`` is a Gymnasium vector environment (``gymnasium.vector.VectorEnv``)."""
    try:
        from gymnasium.vector import VectorEnv
    except ImportError:
        return False
    return isinstance(env, VectorEnv)


def make_vector_env(env: Union[str, gymnasium.Env[Any, Any], Callable[[], gymnasium.Env[Any, Any]]],
                    n_envs: int, who: str = "rl") -> gymnasium.vector.SyncVectorEnv:
    """A ``gymnasium.vector.SyncVectorEnv`` of ``n_envs`` copies of ``env``: an env id
    (``"CartPole-v1"``), a factory (a callable returning an env) or an env made by
    ``gymnasium.make`` (copies made from its spec)."""
    import gymnasium
    count: object = n_envs  # (an int to a type checker, but any Integral is checked here)
    if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 1:
        raise ValueError(f"{who}: n_envs must be a positive int, got n_envs={n_envs!r}")
    if is_vector_env(env):
        raise ValueError(f"{who}: env is already a vector env of {env.num_envs} envs; "
                         f"leave n_envs out")
    if isinstance(env, str):
        def factory() -> gymnasium.Env[Any, Any]:
            return gymnasium.make(env)
    elif isinstance(env, gymnasium.Env):
        spec = env.spec
        if spec is None:
            raise ValueError(f"{who}: n_envs={n_envs} needs an env id, a factory (a callable "
                             f"returning an env) or an env made by gymnasium.make (it has a "
                             f"spec to copy); got {type(env).__name__} without a spec")

        def factory() -> gymnasium.Env[Any, Any]:
            return gymnasium.make(spec)
    elif callable(env):
        factory = env
    else:
        raise TypeError(f"{who}: env must be an env id, a factory or an env, got "
                        f"{type(env).__name__}")
    return gymnasium.vector.SyncVectorEnv([factory] * int(n_envs))


def vector_step_limit(env: Any, max_steps: Optional[int] = None, who: str = "rl") -> int:
    """``rl.step_limit`` of a vector env's sub-environments: ``max_steps`` when given, else
    their time limit (the first sub-env's TimeLimit, or its spec), else DEFAULT_MAX_STEPS."""
    from .tabular import DEFAULT_MAX_STEPS, step_limit
    if max_steps is not None:
        return step_limit(env, max_steps, who)
    sub_envs = getattr(env.unwrapped, "envs", None)
    if sub_envs:
        return step_limit(sub_envs[0], None, who)
    try:
        specs = env.get_attr("spec")
    except Exception:  # noqa: BLE001 (a sub-env without a spec: the default)
        specs = ()
    limit = getattr(specs[0], "max_episode_steps", None) if specs else None
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
        return limit
    return DEFAULT_MAX_STEPS


def single_env(env: Any, who: str = "rl") -> gymnasium.Env[Any, Any]:
    """One sub-environment like those of the vector env ``env`` (for evaluation): made from
    the sub-environments' spec."""
    import gymnasium
    try:
        spec = env.get_attr("spec")[0]
    except Exception:  # noqa: BLE001
        spec = None
    if spec is None:
        raise ValueError(f"{who}: cannot make a single env like this vector env's (its envs "
                         f"have no spec); pass env=")
    return gymnasium.make(spec)


Transitions = collections.namedtuple(
    "Transitions", ["envs", "observations", "actions", "rewards", "next_observations",
                    "terminated", "finished"])
Transitions.__doc__ = """One vector step's real transitions, one row per sub-environment that
made one (``envs``: their indices, ascending): observations, actions, rewards,
next_observations (the true s′, also at an episode's end), terminated; and ``finished``, a list
of ``(env index, return, length)`` of the episodes that ended at this step."""


class VectorRunner:
    """Steps a Gymnasium vector env for a learner, handling autoreset and step limits.

    ``reset(seed)`` returns the first observations (sub-env i seeded ``seed + i``);
    ``step(actions)`` returns the step's ``Transitions`` and leaves in ``observations`` the
    observations to act on next. An episode is cut after ``limit`` steps (as a time limit:
    not terminated) and that sub-env reset (``reset(options={"reset_mask": ...})``).

    Autoreset modes (``env.metadata["autoreset_mode"]``, Gymnasium 1.x): NEXT_STEP (the
    default) — the step after an episode ended resets that sub-env, ignores its action and
    makes no transition; SAME_STEP — s′ of an ended episode is ``info["final_obs"]``; DISABLED
    — the runner resets every ended sub-env itself.
    """

    def __init__(self, env: Any, limit: int) -> None:
        from gymnasium.vector import AutoresetMode
        mode = env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
        self.mode = AutoresetMode(mode) if isinstance(mode, str) else mode
        self.modes = AutoresetMode
        self.env, self.limit, self.n = env, int(limit), int(env.num_envs)
        self.lengths = np.zeros(self.n, dtype=np.int64)
        self.returns = np.zeros(self.n)
        self.resetting = np.zeros(self.n, dtype=bool)  # NEXT_STEP: next step() only resets
        self.observations: Any = None  # the (n, *obs_shape) array once reset() ran

    def reset(self, seed: Optional[int] = None) -> np.ndarray:
        """Reset every sub-env (sub-env i with ``seed + i``); the first observations."""
        self.observations, _ = self.env.reset(seed=seed)
        self.lengths[:] = 0
        self.returns[:] = 0.0
        self.resetting[:] = False
        return self.observations

    def step(self, actions: ArrayLike) -> Transitions:
        """Step every sub-env with ``actions`` (one per sub-env); a ``Transitions``."""
        before = self.observations
        obs, rewards, terminated, truncated, infos = self.env.step(actions)
        terminated, truncated = np.asarray(terminated, bool), np.asarray(truncated, bool)
        live = ~self.resetting
        ended = live & (terminated | truncated)
        next_obs = obs
        if self.mode == self.modes.SAME_STEP and ended.any():
            next_obs = np.array(obs, copy=True)
            final = infos["final_obs"]
            for i in np.flatnonzero(ended):
                next_obs[i] = final[i]
        self.lengths[live] += 1
        self.returns[live] += np.asarray(rewards, dtype=np.float64)[live]
        cut = live & ~ended & (self.lengths >= self.limit)
        done = ended | cut
        rows = np.flatnonzero(live)
        finished = [(int(i), float(self.returns[i]), int(self.lengths[i]))
                    for i in np.flatnonzero(done)]
        self.lengths[done] = 0
        self.returns[done] = 0.0
        transitions = Transitions(rows, before[rows], np.asarray(actions)[rows],
                                  np.asarray(rewards)[rows], next_obs[rows], terminated[rows],
                                  finished)
        if self.mode == self.modes.NEXT_STEP:
            self.resetting = ended  # these reset at the next step (their action ignored)
        manual = done if self.mode == self.modes.DISABLED else cut
        if manual.any():
            fresh, _ = self.env.reset(options={"reset_mask": manual})
            obs = np.array(obs, copy=True)
            obs[manual] = fresh[manual]
        self.observations = obs
        return transitions
