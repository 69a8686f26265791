"""Seeded random MDPs for tests and benchmarks (dense, or sparse with k successors per (s, a)).

    dense:  P[a, s, :] = u / sum(u), u_i ~ Uniform(0, 1)   (as pymdptoolbox.example.rand)
    sparse: P[a, s, :] puts weights u / sum(u) on k successors drawn uniformly (with
            replacement: a repeated successor's weights add up, so a row has at most k)
    R(s, a) ~ Normal(0, 1)
"""
from __future__ import annotations

from typing import Any, Optional, Union

import numpy as np

from gradsheet.rl.mdp import MDP


def random_transitions(n_states: int, n_actions: int, successors: Optional[int] = None,
                       seed: Optional[Union[int, np.integer, np.random.Generator]] = None
                       ) -> Union[np.ndarray, list[Any]]:
    """P as a dense (A, S, S) array, or (successors = k) a list of A CSR (S, S) matrices."""
    rng = np.random.default_rng(seed)
    if successors is None:
        P = rng.random((n_actions, n_states, n_states))
        return P / P.sum(axis=2, keepdims=True)
    import scipy.sparse
    if not 1 <= successors <= n_states:
        raise ValueError(f"random_mdp: successors must be in [1, n_states={n_states}], "
                         f"got {successors}")
    matrices: list[Any] = []  # scipy.sparse.csr_matrix each
    for _ in range(n_actions):
        cols = rng.integers(0, n_states, size=(n_states, successors))
        weights = rng.random((n_states, successors)) + 1e-3  # no zero-probability successor
        weights /= weights.sum(axis=1, keepdims=True)
        rows = np.repeat(np.arange(n_states), successors)
        matrices.append(scipy.sparse.csr_matrix((weights.ravel(), (rows, cols.ravel())),
                                                shape=(n_states, n_states)))
    return matrices


def random_mdp(n_states: int, n_actions: int, gamma: float = 0.9,
               successors: Optional[int] = None,
               seed: Optional[Union[int, np.integer, np.random.Generator]] = None) -> MDP:
    """A random MDP: dense P, or sparse with ``successors`` next states per (s, a)."""
    rng = np.random.default_rng(seed)
    P = random_transitions(n_states, n_actions, successors, seed=rng.integers(2**63))
    return MDP(P, rng.standard_normal((n_states, n_actions)), gamma)
