"""Reinforcement learning and control: MDPs, planning, model estimation, learning, environments.

The cheat sheet's MDP (S, A, {P_sa}, gamma, R) is `MDP`; the Bellman equation is solved by
`value_iteration`, `policy_iteration` and `policy_evaluation`; the maximum-likelihood model
P_sa(s') = #(s, a, s') / #(s, a) is `estimate_mdp`.

Agents follow Stable-Baselines3's conventions: ``agent.predict(obs, deterministic=True)``
returns ``(action, state)``, ``agent.save(path)`` / ``DQN.load(path, env=None)`` (and
``QLearning.load``, ...) write and rebuild an agent from one safetensors file, and
``evaluate_policy(model, env, n_eval_episodes=10)`` returns the mean and standard deviation of
the return. Importing ``gradsheet.rl`` registers ``gradsheet/GridWorld-v0`` with Gymnasium
(when it is installed), so ``gymnasium.make("gradsheet/GridWorld-v0")`` makes a ``GridWorld``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
from gradsheet.rl.buffers import ReplayBuffer
from gradsheet.rl.tabular import (
    DEFAULT_MAX_STEPS,
    SARSA,
    ConstantSchedule,
    ExpectedSARSA,
    ExponentialSchedule,
    LinearSchedule,
    QLearning,
    run_policy,
    step_limit,
)
from gradsheet.rl.evaluation import evaluate_policy, load_agent

if TYPE_CHECKING:  # loaded on first use at run time (``__getattr__``)
    from gradsheet.rl.dqn import DQN

__all__ = [
    "DEFAULT_MAX_STEPS",
    "AgentResult",
    "ConstantSchedule",
    "DQN",
    "ExpectedSARSA",
    "ExponentialSchedule",
    "LinearSchedule",
    "MDP",
    "ModelEstimate",
    "PlanningResult",
    "QLearning",
    "ReplayBuffer",
    "SARSA",
    "bellman_residual",
    "estimate_mdp",
    "evaluate_policy",
    "explore",
    "load_agent",
    "greedy_policy",
    "model_based_agent",
    "modified_policy_iteration",
    "policy_evaluation",
    "policy_iteration",
    "q_values",
    "run_policy",
    "step_limit",
    "value_iteration",
]

GRIDWORLD_ID = "gradsheet/GridWorld-v0"


def _register_envs() -> None:
    """Register ``gradsheet/GridWorld-v0`` with Gymnasium, if it is installed (once)."""
    try:
        from gymnasium.envs.registration import register, registry
    except ImportError:  # the rl extra is not installed: nothing to register with
        return
    if GRIDWORLD_ID not in registry:
        register(id=GRIDWORLD_ID, entry_point="gradsheet.rl.envs.gridworld:GridWorld")


_register_envs()


def __getattr__(name: str) -> Any:
    # DQN pulls in nn, optim and io: load it on first use so planning stays a light import
    if name == "DQN":
        from gradsheet.rl.dqn import DQN
        return DQN
    # the subpackages with optional dependencies (gymnasium, matplotlib) load when asked for
    if name in ("envs", "render"):
        import importlib
        return importlib.import_module(f"gradsheet.rl.{name}")
    raise AttributeError(f"module 'gradsheet.rl' has no attribute {name!r}")
