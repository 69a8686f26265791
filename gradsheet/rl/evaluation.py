"""Evaluating and loading agents with Stable-Baselines3's names.

    mean_reward, std_reward = evaluate_policy(model, env, n_eval_episodes=10)
    agent = load_agent("runs/dqn-CartPole/version_0/agent.safetensors")

``evaluate_policy`` runs ``model.predict(obs, deterministic=deterministic)`` (any object with
SB3's ``predict``: ``DQN``, ``QLearning``, ``SARSA``, ``ExpectedSARSA``) for
``n_eval_episodes`` episodes of ``env`` and returns the mean and standard deviation of the
undiscounted return, μ = (1/n) Σ G_i and σ = sqrt((1/n) Σ (G_i − μ)²), as SB3's does.
``rl.run_policy`` is the loop underneath (a plain observation -> action callable, and an
``Evaluation`` with the success rate).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Union

from .tabular import run_policy

if TYPE_CHECKING:
    from .._typing import PathLike

__all__ = ["evaluate_policy", "load_agent"]


def evaluate_policy(model: Any, env: Any, n_eval_episodes: int = 10, deterministic: bool = True,
                    return_episode_rewards: bool = False, *, seed: Optional[int] = None,
                    max_steps: Optional[int] = None
                    ) -> Union[tuple[float, float], tuple[list[float], list[int]]]:
    """(mean return, std of the return) of ``model`` over ``n_eval_episodes`` episodes of ``env``.

    Stable-Baselines3's ``evaluate_policy(model, env, n_eval_episodes=10, deterministic=True,
    return_episode_rewards=False)``: with ``return_episode_rewards`` it returns
    ``(episode_rewards, episode_lengths)``, two lists, instead. ``model`` needs SB3's
    ``predict(obs, deterministic=...) -> (action, state)``. gradsheet's additions, keyword
    only: ``seed`` for the env's first reset, ``max_steps`` to cut an episode (default the
    env's time limit, else ``rl.DEFAULT_MAX_STEPS``).

    Example: ``mean, std = evaluate_policy(DQN.load("agent.safetensors"),
    gymnasium.make("CartPole-v1"), n_eval_episodes=20)``.
    """
    if not callable(getattr(model, "predict", None)):
        raise TypeError(f"evaluate_policy: model must have a predict(obs, deterministic=...) "
                        f"method (an agent), got {type(model).__name__}")
    evaluation = run_policy(env, lambda obs: model.predict(obs, deterministic=deterministic)[0],
                            n_eval_episodes, seed, max_steps)
    if return_episode_rewards:
        return evaluation.returns.tolist(), evaluation.lengths.tolist()
    return evaluation.mean_return, evaluation.std_return


def load_agent(path: PathLike, env: Any = None, **kwargs: Any) -> Any:
    """The agent saved in ``path`` by ``DQN.save`` or a tabular agent's ``save``, rebuilt by
    its class's ``load(path, env=None, **kwargs)``; a ValueError names any other file."""
    from ..io import load_metadata
    from .tabular import TabularAgent
    name = (load_metadata(path) or {}).get("agent")
    if name == "DQN":
        from .dqn import DQN
        return DQN.load(path, env, **kwargs)
    if name in ("QLearning", "SARSA", "ExpectedSARSA"):
        return TabularAgent.load(path, env, **kwargs)
    raise ValueError(f"load_agent: {path} is not an agent file (written by DQN.save or "
                     f"QLearning/SARSA/ExpectedSARSA.save); its metadata names agent {name!r}")
