"""The tour's RNN section: the live gate checks, the dl/dh_t probe, sampling, and (slow) the
quick run end to end."""
import json
import re

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import cli
from gradsheet.data.datasets import CharDataset
from gradsheet.tour import recurrent


def test_gate_formulas_agree_with_the_cell_by_hand():
    rows = {formula: example for formula, _, example, _ in recurrent.formulas()}
    for formula in ("c_t = Γ_f ⊙ c_{t−1} + Γ_i ⊙ g_t", "h_t = Γ_o ⊙ tanh(c_t)",
                    "h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)"):
        error = float(re.search(r"= ([0-9.e+-]+)$", rows[formula]).group(1))
        assert error < 1e-12, (formula, rows[formula])
    assert rows["g <- g * min(1, max_norm / ||g||)"].endswith("-> 1.0000")
    gate_lines = [f for f in rows if f.startswith("Γ_")]
    assert len(gate_lines) == 4 and all("?" in f for f in gate_lines)


def test_gradcheck_of_the_small_lstm_passes():
    result = recurrent.gradcheck_small_lstm()
    assert result.passed and result.relative_error < 1e-5


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_gradient_probe_at_the_last_step_matches_the_head(cell):
    """dl/dh_T of l = (w h_T + b - y)^2 is 2 (w h_T + b - y) w: the probe must give its norm."""
    gs.manual_seed(0)
    model = recurrent.LastStep(cell, 2, 5, 1)
    x = gs.tensor(np.random.default_rng(0).standard_normal((4, 6, 2)).astype(np.float32))
    y = gs.tensor(np.random.default_rng(1).standard_normal((4, 1)).astype(np.float32))
    norms = recurrent.hidden_gradient_norms(model, x, y)
    assert len(norms) == 6
    output, _ = model.rnn(x)
    h_T = output.array[:, -1]
    w, b = model.head.weight.array, model.head.bias.array
    residual = h_T @ w.T + b - y.array
    expected = np.linalg.norm(2 * residual * w, axis=1).mean()
    np.testing.assert_allclose(norms[-1], expected, rtol=1e-5)
    assert all(n > 0 for n in norms)


def test_sampling_is_seeded_and_continues_the_prompt():
    gs.manual_seed(0)
    data = CharDataset(seq_len=8)
    model = recurrent.CharLSTM(data.vocab_size, 4, 8)
    first = recurrent.sample(model, data, "Love ", 30, seed=3)
    assert first.startswith("Love ") and len(first) == 35
    assert first == recurrent.sample(model, data, "Love ", 30, seed=3)
    assert set(first) <= set(data.vocab)


@pytest.mark.slow
def test_quick_tour_section_writes_every_figure(tmp_path, capsys):
    assert cli.main(["tour", "--quick", "--section", "rnn", "--out", str(tmp_path),
                     "--no-progress"]) == 0
    printed = capsys.readouterr().out
    results = json.loads((tmp_path / "results.json").read_text())["recurrent"]
    baseline = results["adding_baseline_mse"]
    assert 0.12 < baseline < 0.22  # about Var(u + u') = 1/6 on 1000 sequences
    for key in ("adding_rnn_test_mse", "adding_lstm_test_mse", "char_lm_final_loss"):
        assert f"{results[key]:.4f}"[:5] in printed or f"{results[key]:.3f}" in printed
    norms = results["hidden_gradient_norms"]
    assert all(len(norms[c][w]) == recurrent.ADDING_T for c in norms for w in norms[c])
    assert results["char_lm_final_loss"] < results["char_lm_uniform_loss"]
    assert results["char_lm_sample"].startswith("Shall I ")
    claim = results["lstm_claim"]
    assert claim["holds"] == ("HOLDS" in printed.split("verdict:")[-1].split("\n")[0])
    holds = (results["adding_lstm_test_mse"] <= 0.1 * baseline
             and results["adding_rnn_test_mse"] >= 0.5 * baseline)
    assert claim["holds"] == holds
