"""The Bellman backup as the cheat sheet writes it, one line per action, and value iteration.

Plain NumPy on an ``gradsheet.rl.MDP``: P_sa(s') is ``mdp.P[a][s, s']`` (dense or sparse),
R(s, a) is ``mdp.reward[s, a]`` (the sheet's R(s) when it does not depend on a), γ is
``mdp.gamma``; a terminal state ends the episode, so nothing is added after it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from gradsheet.rl import planning as fused

from .registry import mirrors

if TYPE_CHECKING:
    from gradsheet.rl.mdp import MDP


@mirrors(fused.value_iteration, "the fused solver computes Q for every action at once as "
         "one (A*S, S) @ (S,) product and stops with a certified error bound")
def bellman_backup(mdp: MDP, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Q(s, a) = R(s, a) + γ Σ_s' P_sa(s') V(s'),  V_new(s) = max_a Q(s, a); returns (Q, V_new).

    At a terminal state s, Q(s, a) = R(s, a). Fused: ``mdp.q_values`` and the sweep of
    ``gradsheet.rl.planning.value_iteration``.
    """
    gamma = np.where(mdp.terminal, 0.0, mdp.gamma)  # no future after a terminal state
    Q = np.empty((mdp.n_states, mdp.n_actions))
    for a in range(mdp.n_actions):
        Q[:, a] = mdp.reward[:, a] + gamma * (mdp.P[a] @ V)
    return Q, Q.max(axis=1)


@mirrors(fused.value_iteration, "the fused solver vectorises each sweep over all actions and "
         "stops as soon as the MacQueen bracket certifies max|V - V*| <= epsilon")
def value_iteration(mdp: MDP, sweeps: int) -> tuple[np.ndarray, list[float]]:
    """V_0(s) = 0, V_{i+1}(s) = max_a [R(s, a) + γ Σ_s' P_sa(s') V_i(s')]: ``sweeps`` backups.

    Returns (V, residuals), residuals[i] = max_s |V_{i+1}(s) − V_i(s)|.
    Fused: ``gradsheet.rl.planning.value_iteration`` (which also stops by itself).
    """
    V = np.zeros(mdp.n_states)
    residuals = []
    for _ in range(sweeps):
        _, V_next = bellman_backup(mdp, V)
        residuals.append(float(np.abs(V_next - V).max()))
        V = V_next
    return V, residuals
