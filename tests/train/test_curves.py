"""The training-curve figure: loss and every metric, titled, on integer epoch ticks (issue 16,
item 3). Checked on matplotlib's objects before the PNG is written."""
import numpy as np
import pytest

from gradsheet import plotting
from gradsheet.train import History, plot_history
from gradsheet.train.curves import curve_names


def _history(epochs=7):
    history = History()
    for epoch in range(epochs):
        history.append(epoch, {"loss": 1 / (epoch + 1), "accuracy": 0.5 + epoch / 20,
                               "mae": 0.3, "val_loss": 1.2 / (epoch + 1),
                               "val_accuracy": 0.45 + epoch / 20, "val_mae": 0.35, "lr": 0.1,
                               "lr-SGD/pg1": 0.1})
    return history


def test_the_figure_shows_loss_and_every_metric_with_titles_and_integer_epochs(tmp_path):
    history = _history()
    assert curve_names(history.history) == ["loss", "accuracy", "mae"]
    figure = plot_history(history)
    axes = figure.axes
    assert [ax.get_title() for ax in axes] == ["loss", "accuracy", "mae"]
    assert figure._suptitle.get_text() == "Training curves"
    for ax, name in zip(axes, ["loss", "accuracy", "mae"]):
        assert ax.get_ylabel() == name
        lines = {line.get_label(): line for line in ax.get_lines()}
        assert set(lines) == {"train", "validation"}
        np.testing.assert_array_equal(lines["train"].get_xdata(), np.arange(1, 8))
        np.testing.assert_array_equal(lines["train"].get_ydata(), history[name])
        np.testing.assert_array_equal(lines["validation"].get_ydata(), history[f"val_{name}"])
        ticks = ax.get_xticks()
        shown = ticks[(ticks >= 1) & (ticks <= 7)]
        assert len(shown) >= 2 and np.all(shown == np.round(shown))  # whole epochs only
        legend = ax.get_legend()
        assert legend is not None and legend.get_bbox_to_anchor().x0 > ax.bbox.x1 - 1
    assert axes[-1].get_xlabel() == "epoch"
    path = plotting.save(figure, str(tmp_path / "training_curve.png"))
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_one_panel_and_an_empty_history():
    history = History()
    history.append(0, {"loss": 1.0, "lr": 0.1})
    history.append(1, {"loss": 0.5, "lr": 0.1})
    (ax,) = plot_history(history.history, title="Run 3").axes
    assert ax.get_title() == "Run 3" and [line.get_label() for line in ax.get_lines()] == ["train"]
    with pytest.raises(ValueError, match=r"plot_history: .*no epoch.*\['lr'\]"):
        plot_history({"lr": [0.1]})
