"""Pictures of a grid world's V and pi: text always, a matplotlib heatmap in the viz extra.

``grid`` is a GridWorld (its walls and exits are drawn) or a shape (rows, cols) whose states
are numbered row-major, as FrozenLake's. Actions are drawn as FrozenLake's: 0 left, 1 down,
2 right, 3 up.
"""
import numpy as np

ARROWS = "\u2190\u2193\u2192\u2191"
_VECTORS = ((-1, 0), (0, -1), (1, 0), (0, 1))  # (dx, dy) on a plot whose y points up


def _layout(grid, n_states):
    """(rows, cols), (row, col) of each state, and the wall cells."""
    if hasattr(grid, "cells"):
        shape, cells = grid.shape, list(grid.cells)
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


def text_values(V, grid, precision=2):
    """V laid out on the grid as text, walls as '#'."""
    V = np.asarray(V, dtype=float)
    shape, cells, walls = _layout(grid, V.size)
    texts = {cell: f"{v:.{precision}f}" for cell, v in zip(cells, V)}
    texts.update({cell: "#" for cell in walls})
    width = max(len(t) for t in texts.values())
    return "\n".join(" ".join(texts[(r, c)].rjust(width) for c in range(shape[1]))
                     for r in range(shape[0]))


def text_policy(policy, grid, terminal=None):
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


def plot_values(V, grid, policy=None, terminal=None, ax=None, title=None):
    """A heatmap of V with the policy's arrows; returns the matplotlib Axes."""
    plt = _pyplot()
    V = np.asarray(V, dtype=float)
    shape, cells, _ = _layout(grid, V.size)
    terminal = _terminal(grid, terminal, V.size)
    image = np.full(shape, np.nan)
    for (r, c), v in zip(cells, V):
        image[r, c] = v
    if ax is None:
        ax = plt.subplots(figsize=(1 + shape[1], 1 + shape[0] * 0.9))[1]
    mesh = ax.imshow(image, cmap="viridis")
    ax.figure.colorbar(mesh, ax=ax, label="V(s)")
    for s, (r, c) in enumerate(cells):
        if policy is not None and not terminal[s]:
            dx, dy = _VECTORS[int(policy[s])]
            ax.arrow(c - 0.25 * dx, r + 0.25 * dy, 0.3 * dx, -0.3 * dy, head_width=0.15,
                     color="white", length_includes_head=True)
        elif shape[0] * shape[1] <= 100:
            ax.text(c, r, f"{V[s]:.2f}", ha="center", va="center", color="white", fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def plot_learning_curves(curves, window=50, ax=None, ylabel="episode return"):
    """Returns per episode, one line per name in ``curves`` ({name: returns}), smoothed by a
    moving average over ``window`` episodes; returns the Axes."""
    plt = _pyplot()
    if ax is None:
        ax = plt.subplots(figsize=(6, 3.5))[1]
    for name, returns in curves.items():
        returns = np.asarray(returns, dtype=float)
        w = max(1, min(window, returns.size))
        smooth = np.convolve(returns, np.ones(w) / w, mode="valid")
        ax.plot(np.arange(w, returns.size + 1), smooth, label=name)
    ax.set_xlabel("episode")
    ax.set_ylabel(f"{ylabel} (mean of {window})")
    ax.legend()
    return ax


def _terminal(grid, terminal, n_states):
    if terminal is None:
        terminal = getattr(grid, "terminal", np.zeros(n_states, dtype=bool))
    return np.asarray(terminal, dtype=bool)


def _pyplot():
    try:
        import matplotlib.pyplot as plt  # matplotlib falls back to Agg without a display
    except ImportError as error:
        raise ImportError("plots need matplotlib: pip install gradsheet[viz]") from error
    return plt
