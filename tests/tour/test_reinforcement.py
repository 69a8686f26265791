"""The tour's RL section: formula examples by hand, and the quick run end to end."""
import json

import pytest

pytest.importorskip("gymnasium")
from gradsheet import cli  # noqa: E402
from gradsheet.tour import reinforcement  # noqa: E402


def test_formula_examples_match_the_formulas():
    rows = {formula: example for formula, _, example, _ in reinforcement.formulas()}
    assert rows["V^pi(s) = E[sum_t gamma^t R(s_t)]"].endswith("V = 2")  # 1 / (1 - 0.5)
    # stay (0) or leave to a terminal worth 1: V*(0) = 0.9 * 1, V*(1) = R(1) = 1
    assert rows["V*(s) = R(s) + max_a gamma sum P_sa(s') V*(s')"].endswith("[0.9, 1.0]")
    assert "[1, 0]" in rows["pi*(s) = argmax_a sum P_sa(s') V*(s')"]
    assert rows["P_sa(s') = #(s, a, s') / #(s, a)"].endswith("[0.3333, 0.6667]")
    assert rows["Q(s,a) += alpha [r + gamma max Q(s',.) - Q(s,a)]"].endswith("Q = 0.5")


@pytest.mark.slow
def test_quick_rl_section_prints_and_records_every_figure(tmp_path, capsys):
    assert cli.main(["tour", "--quick", "--section", "rl", "--out", str(tmp_path),
                     "--no-progress"]) == 0
    printed = capsys.readouterr().out
    results = json.loads((tmp_path / "results.json").read_text())["reinforcement"]
    residuals = results["bellman_residuals"]
    assert len(residuals) == results["value_iteration_sweeps"] and residuals[-1] < residuals[0]
    assert results["vi_vs_policy_iteration"] <= 1e-6
    errors = [row["max_abs_error_P"] for row in results["model_estimation"]]
    assert errors[-1] < errors[0]
    for row in results["model_estimation"]:
        assert f"max |P_hat - P| = {row['max_abs_error_P']:.4f}" in printed
    # FrozenLake: the exact success probability within the time limit is a probability, and
    # the simulation's claim is printed as recorded
    p = results["frozenlake_success_probability_limit"]
    assert 0.5 < p <= results["frozenlake_success_probability"] <= 1.0 + 1e-9
    assert f"{results['frozenlake_simulated_success']:.4f}" in printed
    assert 0.0 <= results["frozenlake_q_learning_success"] <= 1.0
    for key in ("residual_contracts", "vi_epsilon_accurate", "model_converges",
                "q_learning_optimal", "frozenlake_simulation_matches"):
        claim = results[key]
        assert claim["claim"] in printed
        assert claim["holds"], f"{key}: {claim['evidence']}"
    assert {"gridworld_values.png", "frozenlake_q_learning.png"} <= set(results["plots"])
