"""The tour shows reference code beside each formula, and names the fused version it mirrors."""
import html
import inspect

import pytest

from gradsheet import reference
from gradsheet.reference import TWINS, fused_name
from gradsheet.tour import convolutional, neural_networks, recurrent, reinforcement
from gradsheet.tour.report import Report

SECTIONS = {"nn": neural_networks, "cnn": convolutional, "rnn": recurrent, "rl": reinforcement}

# formulas whose implementation is a fused op: the tour must show its reference instead
FUSED_FORMULAS = {
    "z = w^T x + b": reference.linear,
    "L(z,y) = -[y log z + (1-y) log(1-z)]": reference.binary_cross_entropy,
    "L = -log softmax(z)_y (C classes)": reference.cross_entropy,
    "Adam: adaptive learning rate alpha": reference.adam_step,
    "dL/dw = dL/da * da/dz * dz/dw": reference.backpropagate,
    "w <- w - alpha dL/dw": reference.sgd_step,
    "conv layer: N x N outputs per filter": reference.conv2d,
    "pooling: max of each F x F window": reference.max_pool2d,
    "x_i <- gamma (x_i - mu_B)/sqrt(sigma_B^2 + eps) + beta": reference.batch_norm,
    "c_t = Γ_f ⊙ c_{t−1} + Γ_i ⊙ g_t": reference.lstm_cell,
    "h_t = Γ_o ⊙ tanh(c_t)": reference.lstm_layer,
    "h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)": reference.rnn_cell,
    "V*(s) = R(s) + max_a gamma sum P_sa(s') V*(s')": reference.bellman_backup,
}


@pytest.fixture(scope="module")
def rows():
    return {key: module.formulas() for key, module in SECTIONS.items()}


def test_no_formula_shows_the_optimised_source_of_an_op_that_has_a_reference(rows):
    for key, table in rows.items():
        for formula, _, _, implementation in table:
            assert implementation not in TWINS, (
                f"{key}: {formula!r} shows {fused_name(implementation)}; show "
                f"{TWINS[implementation].__name__} from gradsheet.reference instead")


def test_the_fused_formulas_show_their_reference(rows):
    shown = {formula: implementation for table in rows.values() for formula, *_, implementation
             in table}
    for formula, function in FUSED_FORMULAS.items():
        assert shown[formula] is function, formula
    gates = [f for f in shown if f.startswith("Γ_")]
    assert len(gates) == 4 and all(shown[f] is reference.lstm_cell for f in gates)


def test_every_reference_the_tour_names_exists_and_its_code_is_in_the_report(rows, tmp_path):
    report = Report(str(tmp_path), stream=lambda text: None)
    for key, table in rows.items():
        report.section(key, key)
        report.formula_table(table)
    report.write()
    page = (tmp_path / "index.html").read_text()
    named = {implementation for table in rows.values() for *_, implementation in table
             if getattr(implementation, "fused", None) is not None}
    assert len(named) >= 10
    for function in named:
        assert getattr(reference, function.__name__) is function  # it is gradsheet.reference's
        assert html.escape(inspect.getsource(function)) in page, function.__name__
        fused = fused_name(function.fused)
        anchor = "fused-" + fused.replace(".", "-")
        assert f"href='#{anchor}'" in page and f"id='{anchor}'" in page, fused
        assert html.escape(function.faster) in page
        assert html.escape(inspect.getsource(function.fused)) in page  # the fused code, linked


def test_every_reference_function_names_the_fused_version_it_mirrors():
    functions = [getattr(reference, name) for name in reference.__all__
                 if inspect.isfunction(getattr(reference, name))
                 and getattr(reference, name).__module__.startswith("gradsheet.reference.")
                 and not getattr(reference, name).__module__.endswith(".registry")]
    for function in functions:
        if function is reference.over_time:  # the loop the layers share, not a twin itself
            continue
        doc = inspect.getdoc(function)
        assert "Fused:" in doc, function.__name__
        assert function.faster.strip() and not function.faster.endswith(".")
        source = inspect.getsource(function)
        assert len(source.splitlines()) <= 60, f"{function.__name__} does not fit one screen"
    for fused, twin in TWINS.items():
        assert fused.__name__ in inspect.getdoc(twin) or fused.__module__.rsplit(".", 1)[-1] \
            in inspect.getdoc(twin), (fused, twin)
