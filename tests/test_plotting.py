"""gradsheet.plotting: the curves every plot of the report, the train PNG and rl.render share.

``assert_readable`` is the check the report's plot tests apply to every figure: each plot has a
title and each legend lies outside its axes (their boxes on the drawn canvas do not overlap).
"""
import numpy as np
import pytest

from gradsheet import plotting

pytest.importorskip("matplotlib")


def data_axes(figure):
    """The figure's axes without its colorbars."""
    return [ax for ax in figure.axes if ax.get_label() != "<colorbar>"]


def legend_overlaps(ax):
    """Whether the legend of ``ax`` covers part of its axes (after drawing the figure)."""
    figure = ax.figure
    if not hasattr(figure.canvas, "get_renderer"):  # closed by plotting.save: draw it again
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        FigureCanvasAgg(figure)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    return ax.get_legend().get_window_extent(renderer).overlaps(ax.get_window_extent(renderer))


def assert_readable(figure):
    """Every plot of ``figure`` has a title and every legend lies outside the data."""
    for ax in data_axes(figure):
        assert ax.get_title(), "a plot without a title"
        if ax.get_legend() is not None:
            assert not legend_overlaps(ax), f"the legend covers the plot {ax.get_title()!r}"


def styles(ax):
    """{label: (colour, line style)} of the lines of ``ax``."""
    from matplotlib.colors import to_hex
    return {line.get_label(): (to_hex(line.get_color()), line.get_linestyle())
            for line in ax.lines}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plotting.pyplot().close("all")


def test_curves_titles_the_plot_keeps_the_legend_outside_and_ticks_whole_epochs():
    ax = plotting.curves({"loss": [2.0, 1.0, 0.5], "val_loss": [2.1, 1.4, 1.2]},
                         title="loss per epoch", ylabel="loss")
    assert ax.get_title() == "loss per epoch" and ax.get_xlabel() == "epoch"
    assert_readable(ax.figure)
    assert [line.get_xdata().tolist() for line in ax.lines] == [[1, 2, 3]] * 2
    ax.figure.canvas.draw()
    ticks = [t for t in ax.get_xticks() if 1 <= t <= 3]
    assert ticks and all(float(t).is_integer() for t in ticks)  # not 1.25, 1.5, ...


def test_the_legend_check_catches_a_legend_over_the_data():
    ax = plotting.curves({"a": [0.0, 1.0]}, title="t", ylabel="y")
    ax.legend(loc="center")  # the default placement, inside the axes
    assert legend_overlaps(ax)
    with pytest.raises(AssertionError, match="covers the plot 't'"):
        assert_readable(ax.figure)


def test_paired_styles_bands_and_reference_lines():
    with_, without = plotting.paired("C3"), plotting.paired("C3", with_=False)
    assert with_ == {"color": "C3", "linestyle": "-"} and without["linestyle"] == "--"
    ax = plotting.curves({"with BN": [1.0, 0.5], "without BN": [1.0, 0.9]}, title="pair",
                         ylabel="loss", styles={"with BN": with_, "without BN": without},
                         bands={"with BN": ([0.9, 0.4], [1.1, 0.6])},
                         references=[(np.log(10), "chance (ln 10)")], log=True)
    seen = styles(ax)
    assert seen["with BN"][0] == seen["without BN"][0]
    assert (seen["with BN"][1], seen["without BN"][1]) == ("-", "--")
    assert seen["chance (ln 10)"][1] == ":" and ax.lines[-1].get_ydata()[0] == np.log(10)
    from matplotlib.colors import to_rgb
    band = ax.collections[0]  # in its line's colour
    assert tuple(band.get_facecolor()[0][:3]) == pytest.approx(to_rgb(ax.lines[0].get_color()))
    assert ax.get_yscale() == "log" and "chance (ln 10)" in [
        t.get_text() for t in ax.get_legend().get_texts()]


def test_median_band_counts_a_run_that_stopped_as_infinite():
    median, low, high = plotting.median_band([[3.0, 1.0, 0.5], [2.0], [4.0, 2.0, 1.0]])
    # epoch 3: the stopped run is +inf, so the median is the middle of (0.5, 1.0, inf)
    assert median.tolist() == [3.0, 2.0, 1.0]
    assert low.tolist() == [2.0, 1.0, 0.5] and high.tolist() == [4.0, 2.0, 1.0]
    median, low, high = plotting.median_band([[1.0], [2.0]])  # neither diverged
    assert median.tolist() == [1.5]
    median, _, high = plotting.median_band([[1.0, 2.0], [], []])  # two of three stopped at once
    assert np.isnan(median).all() and high.tolist() == [1.0, 2.0]


def test_history_figure_draws_a_panel_per_metric_with_its_validation_twin():
    history = {"loss": [1.0, 0.6, 0.4, 0.3], "val_loss": [1.1, 0.8, 0.7, 0.7],
               "accuracy": [0.5, 0.7, 0.8, 0.9], "val_accuracy": [0.5, 0.6, 0.7, 0.7]}
    figure = plotting.history_figure(history, "training curve", labels=("train", "validation"))
    loss, accuracy = data_axes(figure)
    assert figure.get_suptitle() == "training curve"
    assert (loss.get_title(), accuracy.get_title()) == ("loss", "accuracy")
    assert [line.get_label() for line in loss.lines] == ["train", "validation"]
    assert accuracy.lines[1].get_ydata().tolist() == history["val_accuracy"]
    assert styles(loss) == styles(accuracy)  # train and validation keep their colours
    assert_readable(figure)
    single = plotting.history_figure({"loss": [1.0, 0.5]}, "loss only", metrics=["loss"])
    assert data_axes(single)[0].get_title() == "loss only" and len(data_axes(single)[0].lines) == 1


def test_save_writes_a_png_and_closes_the_figure(tmp_path):
    plt = plotting.pyplot()
    figure = plotting.curves({"a": [1.0, 2.0]}, title="t", ylabel="y").figure
    path = plotting.save(figure, str(tmp_path / "curve.png"))
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert not plt.fignum_exists(figure.number)
    assert [p.name for p in tmp_path.iterdir()] == ["curve.png"]  # no temporary left behind
