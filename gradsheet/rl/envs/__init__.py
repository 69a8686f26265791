"""Environments: GridWorld (a Gymnasium env with its exact MDP) and random MDPs."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gradsheet.rl.envs.random_mdp import random_mdp, random_transitions

if TYPE_CHECKING:  # needs gymnasium: imported when asked for (``__getattr__``)
    from gradsheet.rl.envs.gridworld import GridWorld

__all__ = ["GridWorld", "random_mdp", "random_transitions"]


def __getattr__(name: str) -> Any:
    # GridWorld needs gymnasium (the rl extra); import it only when asked for.
    if name == "GridWorld":
        try:
            from gradsheet.rl.envs.gridworld import GridWorld
        except ImportError as error:
            raise ImportError("GridWorld needs gymnasium: pip install gradsheet[rl]") from error
        return GridWorld
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
