"""Pictures of a grid world's V and pi: text always, a matplotlib heatmap in the viz extra.

``grid`` is a GridWorld (its walls and exits are drawn) or a shape (rows, cols) whose states
are numbered row-major, as FrozenLake's. Actions are drawn as FrozenLake's: 0 left, 1 down,
2 right, 3 up.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional, Union, cast

import numpy as np

from .. import plotting

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .envs.gridworld import GridWorld

    # a GridWorld, or the shape (rows, cols) of a grid numbered row-major (FrozenLake's)
    Grid = Union[GridWorld, Sequence[int]]

ARROWS = "\u2190\u2193\u2192\u2191"
_VECTORS = ((-1, 0), (0, -1), (1, 0), (0, 1))  # (dx, dy) on a plot whose y points up


def _layout(grid: Grid, n_states: int) -> tuple[tuple[int, ...], list[tuple[int, int]],
                                                set[tuple[int, int]]]:
    """(rows, cols), (row, col) of each state, and the wall cells."""
    if hasattr(grid, "cells"):  # a GridWorld
        world = cast("GridWorld", grid)
        shape, cells = tuple(world.shape), list(world.cells)
    else:
        shape = tuple(grid)
        if len(shape) != 2 or shape[0] * shape[1] != n_states:
            raise ValueError(f"render: a grid shape (rows, cols) must hold the {n_states} states, "
                             f"got {shape}")
        cells = [divmod(s, shape[1]) for s in range(n_states)]
    if len(cells) != n_states:
        raise ValueError(f"render: the grid has {len(cells)} states, the values {n_states}")
    walls = {(r, c) for r in range(shape[0]) for c in range(shape[1])} - set(cells)
    return shape, cells, walls


def text_values(V: Any, grid: Grid, precision: int = 2) -> str:
    """V laid out on the grid as text, walls as '#'."""
    V = np.asarray(V, dtype=float)
    shape, cells, walls = _layout(grid, V.size)
    texts = {cell: f"{v:.{precision}f}" for cell, v in zip(cells, V)}
    texts.update({cell: "#" for cell in walls})
    width = max(len(t) for t in texts.values())
    return "\n".join(" ".join(texts[(r, c)].rjust(width) for c in range(shape[1]))
                     for r in range(shape[0]))


def text_policy(policy: Any, grid: Grid, terminal: Any = None) -> str:
    """pi as arrows on the grid; terminal states as 'T' (or their exit character), walls '#'."""
    policy = np.asarray(policy)
    shape, cells, walls = _layout(grid, policy.size)
    terminal = _terminal(grid, terminal, policy.size)
    labels = getattr(grid, "layout", None)
    marks = {}
    for s, (r, c) in enumerate(cells):
        marks[(r, c)] = (labels[r][c] if labels else "T") if terminal[s] else ARROWS[policy[s]]
    marks.update({cell: "#" for cell in walls})
    return "\n".join(" ".join(marks[(r, c)] for c in range(shape[1])) for r in range(shape[0]))


def plot_values(V: Any, grid: Grid, policy: Any = None, terminal: Any = None,
                ax: Optional[Axes] = None, title: Optional[str] = None) -> Axes:
    """A heatmap of V with the policy's arrows; returns the matplotlib Axes.

    Only the non-terminal states are coloured (their V sets the colour scale). A terminal state
    is drawn as a terminal: an outlined white cell labelled with its exit reward (``+1``, green
    outline; ``-1``, red) on a GridWorld, ``T`` otherwise; its V (0: the reward was paid on
    arrival) would otherwise colour a +1 exit as the worst cell. Walls are hatched.
    """
    plt = plotting.pyplot()
    from matplotlib.patches import Rectangle
    V = np.asarray(V, dtype=float)
    shape, cells, walls = _layout(grid, V.size)
    terminal = _terminal(grid, terminal, V.size)
    image = np.full(shape, np.nan)
    for s, (r, c) in enumerate(cells):
        if not terminal[s]:
            image[r, c] = V[s]
    if ax is None:
        ax = plt.subplots(figsize=(1.5 + shape[1], 1 + shape[0] * 0.9))[1]
    mesh = ax.imshow(image, cmap="viridis")
    ax.figure.colorbar(mesh, ax=ax, label="V(s), non-terminal states")
    for r, c in walls:
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor="0.85", edgecolor="0.4",
                               hatch="///", label="wall"))
    for s, (r, c) in enumerate(cells):
        if terminal[s]:
            reward = _exit_reward(grid, (r, c))
            color = "black" if reward is None else "tab:green" if reward > 0 else "tab:red"
            ax.add_patch(Rectangle((c - 0.45, r - 0.45), 0.9, 0.9, facecolor="white",
                                   edgecolor=color, linewidth=3, label="terminal"))
            ax.text(c, r, "T" if reward is None else f"{reward:+g}", ha="center", va="center",
                    color=color, fontsize=12, fontweight="bold")
        elif policy is not None:
            dx, dy = _VECTORS[int(policy[s])]
            ax.arrow(c - 0.25 * dx, r + 0.25 * dy, 0.3 * dx, -0.3 * dy, head_width=0.15,
                     facecolor="white", edgecolor="black", linewidth=0.5,
                     length_includes_head=True)
        elif shape[0] * shape[1] <= 100:
            ax.text(c, r, f"{V[s]:.2f}", ha="center", va="center", color="white", fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title or "V(s)" + (" and the policy" if policy is not None else ""))
    return ax


def plot_learning_curves(curves: Mapping[str, Any], window: int = 50, ax: Optional[Axes] = None,
                         ylabel: str = "episode return", title: Optional[str] = None,
                         references: Sequence[tuple[float, str]] = ()) -> Axes:
    """Returns per episode, one line per name in ``curves`` ({name: returns}), smoothed by a
    moving average over ``window`` episodes; ``references`` are ``[(value, label)]`` lines at
    theoretical values (an optimal policy's success probability). Returns the Axes."""
    smooth: dict[str, Any] = {}  # arrays, which plotting.curves draws as sequences
    episodes: dict[str, Any] = {}
    for name, returns in curves.items():
        returns = np.asarray(returns, dtype=float)
        w = max(1, min(window, returns.size))
        smooth[name] = np.convolve(returns, np.ones(w) / w, mode="valid")
        episodes[name] = np.arange(w, returns.size + 1)
    return plotting.curves(smooth, x=episodes, ax=ax, xlabel="episode",
                           ylabel=f"{ylabel} (mean of {window})", references=references,
                           title=title or f"learning curve: {ylabel}, moving mean of {window}")


def _exit_reward(grid: Grid, cell: tuple[int, int]) -> Optional[float]:
    """The exit reward of a GridWorld's terminal ``cell`` (None for a grid without exits)."""
    exits, layout = getattr(grid, "exits", None), getattr(grid, "layout", None)
    if exits is None or layout is None:
        return None
    return exits.get(layout[cell[0]][cell[1]])


def _terminal(grid: Grid, terminal: Any, n_states: int) -> np.ndarray:
    if terminal is None:
        terminal = getattr(grid, "terminal", np.zeros(n_states, dtype=bool))
    return np.asarray(terminal, dtype=bool)

