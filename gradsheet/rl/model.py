"""Learning the model: the maximum-likelihood MDP from observed transitions, and an agent on it.

    P_sa(s') = #(took a in s and got to s') / #(took a in s)
    R(s, a)  = mean of the rewards observed after taking a in s

(s, a) never tried has no estimate; ``unvisited`` chooses the rule:
    "uniform":   P_sa(s') = 1/S for every s'
    "self_loop": P_sa(s) = 1 (the pair is assumed to go nowhere)
    "laplace":   P_sa(s') = (#(s, a, s') + alpha) / (#(s, a) + alpha S), for every (s, a)
                 (add-alpha smoothing; it also shrinks the visited pairs toward uniform)
An unvisited pair's reward is ``default_reward``.

The model-based agent (the cheat sheet's loop): act, count, estimate the MDP, plan on it by
value iteration, act greedily on the plan (epsilon-greedy, to keep exploring), repeat.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Sequence
from typing import Any, Optional, Union

import numpy as np
from numpy.typing import ArrayLike

from gradsheet.rl.mdp import MDP
from gradsheet.rl.planning import value_iteration

_RULES = ("uniform", "self_loop", "laplace")


@dataclass
class ModelEstimate:
    """The estimated model and the counts behind it.

    mdp: the estimated MDP; counts: #(s, a, s') as an int array (S, A, S); visits: #(s, a)
    (S, A); reward_sum: summed rewards per (s, a) (S, A).
    """

    mdp: MDP
    counts: np.ndarray
    visits: np.ndarray
    reward_sum: np.ndarray


def estimate_mdp(transitions: ArrayLike, n_states: int, n_actions: int, gamma: float = 0.99,
                 unvisited: str = "uniform", alpha: float = 1.0, default_reward: float = 0.0
                 ) -> ModelEstimate:
    """The maximum-likelihood MDP P_sa(s') = #(s, a, s') / #(s, a) and mean rewards R(s, a).

    Args:
        transitions: array-like (N, 4) of rows (s, a, r, s'), or (N, 5) with a fifth column
            ``terminated``: a state entered by a terminating transition is terminal in the
            estimate (absorbing, as in MDP.from_gymnasium).
        unvisited: "uniform", "self_loop" or "laplace" (module docstring); alpha is the
            Laplace pseudo-count.
    Returns:
        ModelEstimate (mdp, counts, visits, reward_sum).
    """
    if unvisited not in _RULES:
        raise ValueError(f"estimate_mdp: unvisited must be one of {_RULES}, got {unvisited!r}")
    if unvisited == "laplace" and not alpha > 0:
        raise ValueError(f"estimate_mdp: Laplace smoothing needs alpha > 0, got {alpha}")
    data = np.asarray(transitions, dtype=np.float64).reshape(-1, np.shape(transitions)[-1]
                                                            if np.size(transitions) else 4)
    if data.shape[1] not in (4, 5):
        raise ValueError(f"estimate_mdp: transitions must be rows (s, a, r, s') or (s, a, r, s', "
                         f"terminated), got shape {data.shape}")
    s, a, s_next = (_indices(data[:, i], n, name) for i, n, name in
                    ((0, n_states, "state"), (1, n_actions, "action"), (3, n_states, "next state")))
    pair = s * n_actions + a
    counts = np.bincount(pair * n_states + s_next, minlength=n_states * n_actions * n_states)
    counts = counts.reshape(n_states, n_actions, n_states)
    visits = counts.sum(axis=2)
    reward_sum = np.bincount(pair, weights=data[:, 2], minlength=n_states * n_actions)
    reward_sum = reward_sum.reshape(n_states, n_actions)

    seen = visits > 0
    R = np.where(seen, reward_sum / np.maximum(visits, 1), default_reward)
    if unvisited == "laplace":
        P = (counts + alpha) / (visits[..., None] + alpha * n_states)
    else:
        P = counts / np.maximum(visits, 1)[..., None]
        if unvisited == "uniform":
            P[~seen] = 1.0 / n_states
        else:
            rows, acts = np.nonzero(~seen)
            P[rows, acts, rows] = 1.0
    terminal = np.zeros(n_states, dtype=bool)
    if data.shape[1] == 5:
        terminal[s_next[data[:, 4] != 0]] = True
        P[terminal] = 0.0
        P[terminal, :, terminal] = 1.0
        R[terminal] = 0.0
    mdp = MDP(P.transpose(1, 0, 2), R, gamma, terminal=terminal)
    return ModelEstimate(mdp, counts, visits, reward_sum)


def explore(env: Any, n_steps: int, policy: Optional[Union[np.ndarray, Sequence[int]]] = None,
            epsilon: float = 1.0,
            seed: Optional[int] = None, max_steps: Optional[int] = None) -> np.ndarray:
    """Run ``env`` for n_steps (resetting when an episode ends, or after ``max_steps`` steps
    of one episode: default the env's time limit, else ``rl.DEFAULT_MAX_STEPS``); returns
    (N, 5) rows (s, a, r, s', terminated). Actions: uniformly random with probability
    epsilon, else policy[s] (so the default, epsilon = 1, is a random walk)."""
    from gradsheet.rl.tabular import step_limit
    limit = step_limit(env, max_steps, "explore")
    rng = np.random.default_rng(seed)
    rows = np.empty((n_steps, 5))
    state, _ = env.reset(seed=None if seed is None else int(rng.integers(2**31)))
    n_actions = env.action_space.n
    length = 0
    for t in range(n_steps):
        if policy is None or rng.random() < epsilon:  # explore
            action = int(rng.integers(n_actions))
        else:
            action = int(policy[state])
        nxt, reward, terminated, truncated, _ = env.step(action)
        rows[t] = state, action, reward, nxt, terminated
        length += 1
        if terminated or truncated or length >= limit:
            state, length = env.reset()[0], 0
        else:
            state = nxt
    return rows


@dataclass
class AgentResult:
    """What model_based_agent returns: the final plan and model, and the per-round returns."""

    policy: np.ndarray
    model: ModelEstimate
    returns: list[float] = field(default_factory=list)


def model_based_agent(env: Any, rounds: int = 20, steps_per_round: int = 500, gamma: float = 0.99,
                      epsilon: float = 0.1, unvisited: str = "uniform", seed: Optional[int] = None,
                      max_steps: Optional[int] = None) -> AgentResult:
    """The model-based loop: act, estimate the MDP from every transition so far, plan, repeat.

    Round 0 acts randomly; later rounds act epsilon-greedily on the plan of the latest model.
    ``returns`` holds the mean reward per step of each round. Episodes are cut after
    ``max_steps`` steps (see ``explore``); ``rounds`` and ``steps_per_round`` bound the loop.
    """
    for name, value in (("rounds", rounds), ("steps_per_round", steps_per_round)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"model_based_agent: {name} must be a positive int, got {value!r}")
    rng = np.random.default_rng(seed)
    n_states, n_actions = env.observation_space.n, env.action_space.n
    seen: list[np.ndarray] = []
    policy: Optional[np.ndarray] = None  # round 0 acts randomly
    returns: list[float] = []
    for _ in range(rounds):
        rows = explore(env, steps_per_round, policy, epsilon, seed=int(rng.integers(2**31)),
                       max_steps=max_steps)
        seen.append(rows)
        returns.append(float(rows[:, 2].mean()))
        model = estimate_mdp(np.concatenate(seen), n_states, n_actions, gamma, unvisited)
        policy = value_iteration(model.mdp).policy
    assert policy is not None  # rounds >= 1 (checked above)
    return AgentResult(policy, model, returns)


def _indices(column: np.ndarray, n: int, name: str) -> np.ndarray:
    values = column.astype(np.int64)
    bad = np.flatnonzero((values != column) | (values < 0) | (values >= n))
    if bad.size:
        raise ValueError(f"estimate_mdp: {name} {column[bad[0]]} in transition {bad[0]} is not "
                         f"an integer in [0, {n})")
    return values
