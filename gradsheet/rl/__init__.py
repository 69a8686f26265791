"""Reinforcement learning and control: MDPs, planning, model estimation, learning, environments.

The cheat sheet's MDP (S, A, {P_sa}, gamma, R) is `MDP`; the Bellman equation is solved by
`value_iteration`, `policy_iteration` and `policy_evaluation`; the maximum-likelihood model
P_sa(s') = #(s, a, s') / #(s, a) is `estimate_mdp`.
"""

from gradsheet.rl.mdp import MDP
from gradsheet.rl.model import AgentResult, ModelEstimate, estimate_mdp, explore, model_based_agent
from gradsheet.rl.planning import (
    PlanningResult,
    bellman_residual,
    greedy_policy,
    modified_policy_iteration,
    policy_evaluation,
    policy_iteration,
    q_values,
    value_iteration,
)

__all__ = [
    "AgentResult",
    "MDP",
    "ModelEstimate",
    "PlanningResult",
    "bellman_residual",
    "estimate_mdp",
    "explore",
    "greedy_policy",
    "model_based_agent",
    "modified_policy_iteration",
    "policy_evaluation",
    "policy_iteration",
    "q_values",
    "value_iteration",
]
