"""Curves per epoch (or per step, per episode): the one plotting helper behind the tour's report,
the training-curve PNG of ``gradsheet train`` and ``rl.render``'s learning curves.

matplotlib (the ``viz`` extra) is imported on first use, so importing this module costs
nothing. Conventions every plot keeps:

- a title on every plot;
- the legend outside the axes (to the right), so it covers no curve;
- integer ticks on an epoch axis;
- a *with/without* pair (batch norm, dropout, a trained net and its initialisation) drawn in one
  colour, solid with and dashed without (:func:`paired`);
- a band for the spread over seeds around the median curve (:func:`median_band`);
- a grey dotted line at each theoretical value (chance, an exact optimum).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

WITH, WITHOUT = "-", "--"  # the line styles of a with/without pair
TRAIN, HELD_OUT = "C0", "C1"  # the colours of training and held-out (validation) curves
REFERENCE_STYLE = {"color": "0.45", "linestyle": ":", "linewidth": 1.5}


def pyplot(backend: str | None = None) -> Any:
    """``matplotlib.pyplot``, imported on first use; ``backend="Agg"`` first selects the
    non-interactive backend (for a program that only writes files). Without it matplotlib keeps
    its own choice: a notebook's inline backend, or Agg where there is no display.

    Raises ImportError naming the extra to install when matplotlib is missing.
    """
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError("plots need matplotlib: pip install gradsheet[viz]") from error
    if backend is not None:
        matplotlib.use(backend)
    import matplotlib.pyplot as plt
    return plt


def paired(color: str, with_: bool = True) -> dict[str, str]:
    """The style of one line of a with/without pair: the pair's ``color``, solid with, dashed
    without. ``paired("C0", False)`` -> ``{"color": "C0", "linestyle": "--"}``."""
    return {"color": color, "linestyle": WITH if with_ else WITHOUT}


def median_band(runs: Sequence[Sequence[float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(median, low, high) per step over the runs (one per seed): the median curve, and the band
    from the smallest to the largest run. A run shorter than the longest (it stopped: diverged)
    counts as +inf from its end on, so the median's last value is the median final value with a
    diverged run counting as infinite. The band's top is the largest finite value; a value with
    none is NaN (matplotlib leaves a gap there).

    >>> median_band([[3.0, 1.0], [2.0], [4.0, 2.0]])[0].tolist()
    [3.0, 2.0]
    """
    length = max(len(run) for run in runs)
    values = np.full((len(runs), length), np.inf)
    for i, run in enumerate(runs):
        values[i, :len(run)] = run
    finite = np.isfinite(values)
    median, low = np.median(values, axis=0), values.min(axis=0)
    high = np.where(finite, values, -np.inf).max(axis=0)
    median, low, high = (np.where(np.isfinite(v), v, np.nan) for v in (median, low, high))
    return median, low, high

def curves(series: Mapping[str, Sequence[float]], *, title: str, ylabel: str,
           xlabel: str = "epoch", x: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
           styles: Mapping[str, Mapping[str, Any]] | None = None,
           bands: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
           references: Sequence[tuple[float, str]] = (), log: bool = False,
           integer_ticks: bool | None = None, ax: Any = None) -> Any:
    """One line per named series, ``values[i]`` at ``x[i]`` (by default 1, 2, ...: epochs);
    returns the Axes.

    Args:
        series: ``{name: values}``, in legend order (several metrics, runs or models).
        title, ylabel, xlabel: the axes' texts (a plot always has a title).
        x: the x values, one sequence for every series or ``{name: xs}``.
        styles: ``{name: line keyword arguments}``, e.g. ``paired("C0", with_=False)``.
        bands: ``{name: (low, high)}``: a shaded band in the line's colour (the spread over
            seeds, see :func:`median_band`).
        references: ``[(value, label)]``: a grey dotted horizontal line at each theoretical
            value (chance, an exact optimum), in the legend.
        log: a logarithmic y axis.
        integer_ticks: ticks at integers only; by default on an ``epoch`` axis.
        ax: draw into these Axes (a new 6 x 3.5 inch figure by default).
    """
    plt = pyplot()
    if ax is None:
        ax = plt.subplots(figsize=(6, 3.5))[1]
    styles, bands = styles or {}, bands or {}
    for name, values in series.items():
        given = x.get(name) if isinstance(x, Mapping) else x
        xs = np.arange(1, len(values) + 1) if given is None else np.asarray(given)
        (line,) = ax.plot(xs, values, label=name, **styles.get(name, {}))
        if name in bands:
            low, high = bands[name]
            ax.fill_between(xs, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
    for value, label in references:
        ax.axhline(value, label=label, **REFERENCE_STYLE)
    if log:
        ax.set_yscale("log")
    if integer_ticks if integer_ticks is not None else xlabel == "epoch":
        from matplotlib.ticker import MaxNLocator
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    legend_outside(ax)
    return ax


def history_figure(history: Mapping[str, Sequence[float]], title: str,
                   metrics: Sequence[str] | None = None,
                   ylabels: Mapping[str, str] | None = None, log: bool = False,
                   labels: tuple[str, str] = ("train", "held-out")) -> Any:
    """One panel per metric of a ``History.history`` dict, stacked on a shared integer epoch
    axis: the metric's training values (``TRAIN`` colour) and its ``val_`` twin's (``HELD_OUT``);
    returns the Figure.

    Args:
        history: ``{name: per-epoch values}`` (``loss``, ``val_loss``, ``accuracy``, ...).
        title: the plot's title (the panel's, or above the panels when there are several).
        metrics: the names to draw (by default every name without the ``val_`` prefix).
        ylabels: ``{name: y-axis label}`` (by default the name).
        log: logarithmic y axes.
        labels: the legend's names of the training and the ``val_`` curve.
    """
    plt = pyplot()
    names = list(metrics or [name for name in history if not name.startswith("val_")])
    figure, axes = plt.subplots(len(names), 1, figsize=(6, 1 + 2.5 * len(names)), sharex=True,
                                squeeze=False)
    for name, ax in zip(names, axes[:, 0]):
        series = {labels[0]: history[name]}
        if f"val_{name}" in history:
            series[labels[1]] = history[f"val_{name}"]
        curves(series, title=title if len(names) == 1 else name, ax=ax, log=log,
               ylabel=(ylabels or {}).get(name, name),
               styles={labels[0]: {"color": TRAIN}, labels[1]: {"color": HELD_OUT}})
    if len(names) > 1:
        figure.suptitle(title)
        for ax in axes[:-1, 0]:
            ax.set_xlabel("")
    return figure


def legend_outside(ax: Any) -> Any:
    """The legend of ``ax`` to the right of the axes, where it covers no data (None without
    labelled artists)."""
    if not ax.get_legend_handles_labels()[0]:
        return None
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                     frameon=False)


def save(figure: Any, path: str, dpi: int = 90) -> str:
    """Write ``figure`` as a PNG at ``path`` atomically (never a half-written plot), legend and
    titles included (``bbox_inches="tight"``), and close it; returns ``path``."""
    from .io.files import atomic_file
    with atomic_file(path) as f:
        figure.savefig(f, format="png", dpi=dpi, bbox_inches="tight")
    pyplot().close(figure)
    return path
