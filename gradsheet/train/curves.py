"""The training curves of a run: loss and every metric per epoch, train and validation (the
figure behind ``gradsheet train``'s training_curve.png). matplotlib (the ``viz`` extra) is
imported on first use, through ``gradsheet.plotting``."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Union, cast

from .. import plotting

if TYPE_CHECKING:
    from .history import History


def is_learning_rate(name: str) -> bool:
    """Whether a logged name is a learning rate (``lr``, LearningRateMonitor's ``lr-...``)
    rather than a loss or metric."""
    return name == "lr" or name.startswith("lr-")


def curve_names(history: Iterable[str]) -> list[str]:
    """The names ``plot_history`` draws, in logged order: ``loss`` and each metric (each
    drawn with its ``val_`` twin); not the learning rates."""
    return [name for name in history if not name.startswith("val_") and not is_learning_rate(name)]


def plot_history(history: Union[History, Mapping[str, Sequence[float]]],
                 title: str = "Training curves") -> Any:
    """The Figure of a History (or its ``.history`` dict): one titled panel per name of
    ``curve_names`` (loss first), the training values and the validation ones on a shared
    integer epoch axis (from 1), the legend outside the data. Write it with
    ``gradsheet.plotting.save(figure, "training_curve.png")``.

    Raises ImportError naming the extra when matplotlib is missing, ValueError when the
    history holds no epoch.
    """
    # a History's .history, or the dict itself (any object with a .history dict too)
    values = cast("Mapping[str, Sequence[float]]", getattr(history, "history", history))
    names = curve_names(values)
    if not names or not any(len(values[name]) for name in names):
        raise ValueError(f"plot_history: the history holds no epoch of a loss or metric "
                         f"(it logged {sorted(values)})")
    return plotting.history_figure(values, title, metrics=names,
                                   labels=("train", "validation"))
