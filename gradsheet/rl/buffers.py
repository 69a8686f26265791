"""Experience replay: the last ``capacity`` transitions (s, a, r, s′, terminated), sampled uniformly.

A ring buffer of preallocated arrays: transition t is written at row t mod capacity, so once
full each new transition overwrites the oldest. Sampling i.i.d. rows (with replacement)
breaks the correlation of consecutive steps that makes online Q-learning with a neural
network unstable.

Reference: Lin, "Self-Improving Reactive Agents Based on Reinforcement Learning, Planning and
Teaching", 1992; Mnih et al., "Human-level control through deep RL", Nature 2015.
"""
import collections

import numpy as np

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

    def __init__(self, capacity, observation_shape, observation_dtype=np.float32, seed=None):
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

    def __len__(self):
        return self.capacity if self.full else self.position

    def add(self, observation, action, reward, next_observation, terminated):
        """Store one transition at the write position, then advance it (wrapping around)."""
        i = self.position
        self.observations[i] = observation
        self.next_observations[i] = next_observation
        self.actions[i] = action
        self.rewards[i] = reward
        self.terminated[i] = terminated
        self.position = (i + 1) % self.capacity
        self.full = self.full or self.position == 0

    def sample(self, batch_size):
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

    def __repr__(self):
        return (f"ReplayBuffer(capacity={self.capacity}, size={len(self)}, "
                f"observation_shape={self.observations.shape[1:]})")
