"""The report's plots, checked on the matplotlib objects: every plot titled, legends outside the
data, with/without pairs in one colour (solid with, dashed without), the curve drawn being the
one the quoted figure comes from, terminals drawn as terminals and reference lines where a
theoretical value exists.

The sections' drawing functions get small made-up inputs; the RL section's GridWorld planning
and FrozenLake parts run for real (FrozenLake with 100 episodes), their plots captured on the
way to the PNG.
"""
import numpy as np
import pytest

from tests.test_plotting import assert_readable, data_axes, styles

pytest.importorskip("matplotlib")
from gradsheet import plotting  # noqa: E402
from gradsheet.tour import attention, convolutional, neural_networks, recurrent  # noqa: E402
from gradsheet.tour.report import Report  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plotting.pyplot().close("all")


def legend(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


def reference_lines(ax):
    """{label: y} of the horizontal reference lines (plotting.REFERENCE_STYLE's dotted grey)."""
    return {line.get_label(): line.get_ydata()[0] for line in ax.lines
            if line.get_linestyle() == ":" and line.get_color() == "0.45"}


def test_the_dropout_plot_pairs_with_and_without_dropout():
    losses = [1.0, 0.5, 0.2]
    series = {f"{split}, {kind} dropout": losses for kind in ("without", "with")
              for split in ("train", "held-out")}
    ax = neural_networks.dropout_curves(series, "dropout experiment")
    assert_readable(ax.figure)
    seen = styles(ax)
    for split in ("train", "held-out"):
        with_, without = seen[f"{split}, with dropout"], seen[f"{split}, without dropout"]
        assert with_[0] == without[0] and (with_[1], without[1]) == ("-", "--")
    assert seen["train, with dropout"][0] != seen["held-out, with dropout"][0]


def _runs(*finals, length=4):
    """Runs whose losses fall linearly to each final value; None: diverged after 2 epochs."""
    return [{"seed": i, "losses": [2.0, 1.5] if f is None else
             np.linspace(2.0, f, length).tolist(), "diverged": f is None}
            for i, f in enumerate(finals)]


def test_the_batch_norm_plot_draws_the_median_over_seeds_that_the_report_quotes():
    outcome = {}
    for label, plain, bn in (("lr=0.1", _runs(0.3), _runs(0.05)),
                             ("lr=0.7", _runs(0.4, None, 1.0), _runs(0.2, 0.1, 0.3))):
        outcome[label] = {name: {"runs": runs, "median_final_loss":
                                 convolutional._median_final(runs)}
                          for name, runs in (("plain", plain), ("bn", bn))}
    ax = convolutional.batchnorm_curves(outcome, "with and without batch norm")
    assert_readable(ax.figure)
    lines = {line.get_label(): line for line in ax.lines}
    median = lines["lr=0.7, with BN, median of 3 seeds"].get_ydata()
    assert median[-1] == outcome["lr=0.7"]["bn"]["median_final_loss"] == 0.2
    # without BN, one seed diverged: the median's last point is 1.0, as quoted
    assert lines["lr=0.7, without BN, median of 3 seeds"].get_ydata()[-1] == 1.0
    assert len(ax.collections) == 2  # a band for each 3-seed curve, none for one seed
    seen = styles(ax)
    for label in ("lr=0.1", "lr=0.7"):
        with_ = next(v for k, v in seen.items() if k.startswith(f"{label}, with BN"))
        without = next(v for k, v in seen.items() if k.startswith(f"{label}, without BN"))
        assert with_[0] == without[0] and (with_[1], without[1]) == ("-", "--")
    assert reference_lines(ax) == {"chance (ln 10)": pytest.approx(np.log(10))}
    assert ax.get_yscale() == "log"


def test_the_recurrent_plots_share_each_cell_colour_and_show_the_baseline():
    results = {cell: {"curve": [(100, 0.2), (200, mse)]} for cell, mse in
               (("rnn", 0.16), ("lstm", 0.01))}
    ax = recurrent.training_plot(results, 0.17, "adding problem")
    assert_readable(ax.figure)
    assert reference_lines(ax) == {"predict 1 (baseline)": 0.17}
    assert ax.lines[0].get_xdata().tolist() == [100, 200]
    norms = {cell: {"initial": [1.0, 0.1, 0.01], "trained": [1.0, 0.5, 0.2]}
             for cell in ("rnn", "lstm")}
    norms_ax = recurrent.norms_plot(norms, "gradient norms")
    assert_readable(norms_ax.figure)
    seen, curve_colours = styles(norms_ax), styles(ax)
    for name, cell in (("RNN", "vanilla RNN"), ("LSTM", "LSTM")):
        assert seen[f"{name}, trained"] == (curve_colours[cell][0], "-")
        assert seen[f"{name}, initial"] == (curve_colours[cell][0], "--")


def test_the_attention_plots_have_titles_outside_legends_and_their_references():
    lengths = [25, 50, 100]
    accuracy = {"transformer": dict.fromkeys(lengths, 1.0),
                "lstm": {25: 1.0, 50: 0.3, 100: 0.25}}
    ax = attention._accuracy_plot(lengths, accuracy, "recall task")
    assert_readable(ax.figure)
    assert reference_lines(ax) == {"chance": 1 / attention.N_SYMBOLS}
    lstm_colour = styles(recurrent.training_plot(
        {cell: {"curve": [(1, 0.1)]} for cell in ("rnn", "lstm")}, 0.2, "t"))["LSTM"][0]
    assert styles(ax)["LSTM"][0] == lstm_colour  # the LSTM in the colour of the RNN section
    rng = np.random.default_rng(0)
    maps = {}
    for T, head in ((25, 1), (100, 0)):
        weights = rng.random((2, T, T))
        maps[T] = (weights / weights.sum(-1, keepdims=True), head)
    figure = attention._attention_plot(plotting.pyplot(), maps, "attention weights")
    assert_readable(figure)
    assert figure.get_suptitle() == "attention weights"
    right = data_axes(figure)[1]
    assert reference_lines(right) == {"uniform (1/T)": 1 / 100}


def recording(report):
    """Keep each figure ``report.plot`` draws, by key (the PNG is still written)."""
    drawn, plot = {}, report.plot

    def record(key, title, draw):
        def keep(plt):
            drawn[key] = draw(plt)
            return drawn[key]
        return plot(key, title, keep)
    report.plot = record
    return drawn


@pytest.fixture
def rl_report(tmp_path):
    pytest.importorskip("gymnasium")
    return Report(str(tmp_path), stream=lambda text: None, quick=True, seed=0)


def test_the_gridworld_heatmap_draws_its_exits_as_terminals(rl_report):
    from matplotlib.colors import to_hex

    from gradsheet.rl.envs import GridWorld
    from gradsheet.tour import reinforcement
    drawn = recording(rl_report)
    rl_report.section("reinforcement", "4. RL")
    world = GridWorld(gamma=reinforcement.GAMMA)
    reinforcement._gridworld_planning(rl_report, world)
    ax = drawn["gridworld_values"]
    assert_readable(ax.figure)
    assert ax.get_title() == "GridWorld: V* and pi* (value iteration)"
    image = ax.images[0].get_array()
    for s, (r, c) in enumerate(world.cells):  # only the non-terminal states take a colour
        assert np.ma.is_masked(image[r, c]) or np.isnan(image[r, c]) if world.terminal[s] \
            else image[r, c] == pytest.approx(rl_report.results["reinforcement"]["V_star"][s])
    exits = {text.get_text(): text for text in ax.texts}
    assert set(exits) == {"+1", "-1"}
    outlines = {to_hex(p.get_edgecolor()): p.get_xy() for p in ax.patches
                if p.get_label() == "terminal"}
    assert outlines == {to_hex("tab:green"): pytest.approx((2.55, -0.45)),
                        to_hex("tab:red"): pytest.approx((2.55, 0.55))}
    walls = [p for p in ax.patches if p.get_label() == "wall"]
    assert len(walls) == 1 and walls[0].get_hatch() == "///"


def test_the_frozenlake_curve_shows_the_optimal_policys_success_probability(rl_report,
                                                                         monkeypatch):
    from gradsheet.tour import reinforcement
    for name in ("FROZENLAKE_Q_EPISODES", "FROZENLAKE_EPISODES", "FROZENLAKE_Q_SIMULATED"):
        monkeypatch.setattr(reinforcement, name, (100, 100))  # the plot, not the claim, here
    drawn = recording(rl_report)
    rl_report.section("reinforcement", "4. RL")
    reinforcement._frozenlake(rl_report, quick=True, seed=0)
    ax = drawn["frozenlake_q_learning"]
    assert_readable(ax.figure)
    exact = rl_report.results["reinforcement"]["frozenlake_success_probability_limit"]
    assert reference_lines(ax) == {"pi*, exact (200-step limit)": pytest.approx(exact)}
    assert ax.get_title() == "Q-learning on FrozenLake 8x8: success per episode"


def test_report_plot_titles_a_plot_drawn_without_one(tmp_path):
    report = Report(str(tmp_path), stream=lambda text: None)
    report.section("s", "a section")
    drawn = recording(report)
    report.plot("bare", "the caption", lambda plt: plt.subplots()[0])
    assert data_axes(drawn["bare"])[0].get_title() == "the caption"
    assert (tmp_path / "bare.png").read_bytes()[:4] == b"\x89PNG"
