"""GridWorld: the classic 4x3 world of Russell and Norvig (ch. 17) as a Gymnasium env.

    . . . +1        intended move with probability 1 - 2 slip (0.8),
    . # . -1        each perpendicular direction with probability slip (0.1),
    S . . .         a move into a wall or the edge stays put.

Rewards are on transitions: entering an exit cell gives its reward and ends the episode
(terminated); every other step gives the living reward (-0.04). The env exposes its exact model
as ``env.mdp`` (an rl.MDP whose terminal states are the exits), so planning on it and acting in
it agree: V^pi(s) is the expected discounted return of the episodes ``step`` produces.

Actions follow FrozenLake: 0 left, 1 down, 2 right, 3 up. Observations are state indices over
the non-wall cells in row-major order (``env.cells[s]`` is the (row, col) of state s).

``import gradsheet.rl`` registers it with Gymnasium: ``gymnasium.make("gradsheet/GridWorld-v0",
slip=0.2)`` makes one (keyword arguments as the constructor's), wrapped as Gymnasium wraps
every env, and ``gymnasium.utils.env_checker.check_env`` passes on it without a warning.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

import gymnasium as gym
import numpy as np

from gradsheet.rl.mdp import MDP

CLASSIC = ("...+",
           ".#.-",
           "S...")
MOVES = ((0, -1), (1, 0), (0, 1), (-1, 0))  # left, down, right, up
ARROWS = "\u2190\u2193\u2192\u2191"


class GridWorld(gym.Env):
    """A grid of free cells ('.'), walls ('#'), a start ('S') and exits (keys of ``exits``).

    Args:
        layout: rows of equal length, as a sequence of strings or one string with newlines.
        exits: exit character -> reward for entering it (episode ends there).
        living_reward: reward of every step that does not enter an exit.
        slip: probability of moving to each side of the intended direction (0 <= slip <= 0.5).
        gamma: the discount of ``env.mdp``.
        render_mode: None or "ansi" (``render()`` returns the grid as text).
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}
    reward_marks_success = True  # entering an exit with a positive reward is reaching the goal

    def __init__(self, layout: Union[str, Sequence[str]] = CLASSIC,
                 exits: Optional[Mapping[str, float]] = None, living_reward: float = -0.04,
                 slip: float = 0.1, gamma: float = 0.99, render_mode: Optional[str] = None) -> None:
        self.layout = _parse_layout(layout)
        self.exits = {"+": 1.0, "-": -1.0} if exits is None else dict(exits)
        if not 0.0 <= slip <= 0.5:
            raise ValueError(f"GridWorld: slip must be in [0, 0.5] (1 - 2 slip is the intended "
                             f"move's probability), got {slip}")
        if render_mode not in (None, "ansi"):
            raise ValueError(f"GridWorld: render_mode must be None or 'ansi', got {render_mode!r}")
        self.slip, self.living_reward, self.render_mode = float(slip), float(living_reward), render_mode
        self.shape = (len(self.layout), len(self.layout[0]))
        self.cells = [(r, c) for r, row in enumerate(self.layout) for c, ch in enumerate(row)
                      if ch != "#"]
        self.index = {cell: s for s, cell in enumerate(self.cells)}
        starts = [s for s, (r, c) in enumerate(self.cells) if self.layout[r][c] == "S"]
        if len(starts) != 1:
            raise ValueError(f"GridWorld: the layout needs exactly one start 'S', found {len(starts)}")
        self.start = starts[0]
        unknown = {ch for row in self.layout for ch in row} - set(".#S") - set(self.exits)
        if unknown:
            raise ValueError(f"GridWorld: unknown layout characters {sorted(unknown)}; use '.', "
                             f"'#', 'S' and the exits {sorted(self.exits)}")
        self.terminal = np.array([self.layout[r][c] in self.exits for r, c in self.cells])
        # The reward of a step is that of the cell it enters.
        self.arrival_reward = np.array([self.exits.get(self.layout[r][c], self.living_reward)
                                        for r, c in self.cells])
        self.mdp = self._build_mdp(gamma)
        # Sampling s' by inverting the cumulative row: one uniform draw per step.
        self._cumulative = np.cumsum(self.mdp.P, axis=2)
        self.observation_space = gym.spaces.Discrete(len(self.cells))
        self.action_space = gym.spaces.Discrete(4)
        self.state = self.start

    def _build_mdp(self, gamma: float) -> MDP:
        n = len(self.cells)
        P = np.zeros((4, n, n))
        for s, cell in enumerate(self.cells):
            for a in range(4):
                if self.terminal[s]:
                    P[a, s, s] = 1.0
                    continue
                # The intended move and the two perpendicular slips (a +- 1 mod 4).
                for move, prob in ((a, 1 - 2 * self.slip), ((a + 1) % 4, self.slip),
                                   ((a + 3) % 4, self.slip)):
                    P[a, s, self._moved(cell, move)] += prob
        R = np.broadcast_to(self.arrival_reward, (4, n, n)) * np.where(self.terminal, 0.0, 1.0)[None, :, None]
        return MDP(P, R, gamma, terminal=self.terminal)

    def _moved(self, cell: tuple[int, int], move: int) -> int:
        r, c = cell[0] + MOVES[move][0], cell[1] + MOVES[move][1]
        return self.index.get((r, c), self.index[cell])

    def reset(self, *, seed: Optional[int] = None,
              options: Optional[dict[str, Any]] = None) -> tuple[int, dict[str, Any]]:
        """Start a new episode at 'S'; returns (observation, info)."""
        super().reset(seed=seed)
        self.state = self.start
        return self.state, {}

    def step(self, action: Union[int, np.integer[Any]]) -> tuple[int, float, bool, bool, dict[str, Any]]:
        """Move; returns (observation, reward, terminated, truncated, info).

        terminated: an exit was entered (a true end of the MDP, value 0 after it);
        truncated: always False here (a time limit is a wrapper's business, not the MDP's).
        """
        if not self.action_space.contains(action):
            raise ValueError(f"GridWorld.step: action {action!r} is not in {{0, 1, 2, 3}}")
        if self.terminal[self.state]:
            raise RuntimeError("GridWorld.step: the episode has ended; call reset()")
        action = int(action)
        cumulative = self._cumulative[action, self.state]
        nxt = min(int(cumulative.searchsorted(self.np_random.random(), side="right")),
                  len(cumulative) - 1)
        prob = float(self.mdp.P[action, self.state, nxt])
        self.state = nxt
        return nxt, float(self.arrival_reward[nxt]), bool(self.terminal[nxt]), False, {"prob": prob}

    def render(self) -> Optional[str]:
        if self.render_mode != "ansi":
            return None
        rows = [list(row) for row in self.layout]
        r, c = self.cells[self.state]
        rows[r][c] = "A"
        return "\n".join(" ".join(row) for row in rows) + "\n"


def _parse_layout(layout: Union[str, Sequence[str]]) -> list[str]:
    rows = layout.strip().splitlines() if isinstance(layout, str) else list(layout)
    rows = [row.strip() for row in rows]
    if not rows or any(len(row) != len(rows[0]) for row in rows) or not rows[0]:
        raise ValueError(f"GridWorld: layout rows must be non-empty and of equal length, got "
                         f"lengths {[len(row) for row in rows]}")
    return rows
