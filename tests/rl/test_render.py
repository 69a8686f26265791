"""Text and matplotlib pictures of V and pi on grids."""
import numpy as np
import pytest

from gradsheet.rl.render import plot_learning_curves, plot_values, text_policy, text_values


def test_text_values_and_policy_on_a_shape():
    V = np.array([0.5, 1.0, -2.25, 3.0])
    assert text_values(V, (2, 2), precision=1) == " 0.5  1.0\n-2.2  3.0"
    assert text_policy(np.array([2, 1, 3, 0]), (2, 2), terminal=[False, False, False, True]) \
        == "\u2192 \u2193\n\u2191 T"


def test_text_policy_on_a_gridworld_shows_walls_and_exits():
    pytest.importorskip("gymnasium")
    from gradsheet.rl.envs import GridWorld
    world = GridWorld()
    lines = text_policy(np.zeros(11, int), world).splitlines()
    assert lines[0].endswith("+") and lines[1].split()[1:] == ["#", "\u2190", "-"]
    assert text_values(np.arange(11.0), world, precision=0).splitlines()[1].split() == \
        ["4", "#", "5", "6"]


def test_shape_that_does_not_hold_the_states():
    with pytest.raises(ValueError, match=r"must hold the 5 states, got \(2, 2\)"):
        text_values(np.zeros(5), (2, 2))


def test_plots_draw_a_heatmap_with_arrows_and_curves():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt
    ax = plot_values(np.arange(4.0), (2, 2), policy=np.array([0, 1, 2, 3]), title="V")
    assert len(ax.patches) == 4 and ax.get_title() == "V"
    image = ax.images[0].get_array()
    assert image[1, 0] == 2.0
    curves = plot_learning_curves({"q": np.arange(100.0)}, window=10)
    line = curves.lines[0]
    assert line.get_ydata()[0] == pytest.approx(4.5) and len(line.get_ydata()) == 91
    plt.close("all")
