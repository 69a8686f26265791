"""The tour's neural-network section end to end (quick mode): the digits MLP and the claims."""
import json

import pytest

from gradsheet import cli
from gradsheet.tour import neural_networks


def test_formula_table_examples_match_the_formulas():
    rows = {formula: example for formula, _, example, _ in neural_networks.formulas()}
    assert rows["z = w^T x + b"].endswith("-> 6.5")          # 1 + 2 + 3 + 0.5
    assert "0.1054" in rows["L(z,y) = -[y log z + (1-y) log(1-z)]"]  # -log 0.9
    assert "w=0.7000" in rows["w <- w - alpha dL/dw"]          # 1 - 0.1 * 3
    assert "w=0.9990" in rows["Adam: adaptive learning rate alpha"]  # Adam's first step is lr


def test_gradcheck_of_the_small_network_passes():
    result = neural_networks.gradcheck_small_network()
    assert result.passed and result.relative_error < 1e-5


@pytest.mark.slow
def test_quick_tour_trains_digits_mlp_and_writes_every_figure(tmp_path, capsys):
    assert cli.main(["tour", "--quick", "--section", "nn", "--out", str(tmp_path),
                     "--no-progress"]) == 0
    printed = capsys.readouterr().out
    results = json.loads((tmp_path / "results.json").read_text())["neural_networks"]
    assert results["mlp_test_accuracy"] >= 0.97
    assert f"{results['mlp_test_accuracy']:.2%}" in printed
    experiment = results["dropout_experiment"]
    for run in experiment.values():
        assert set(run) >= {"train_accuracy", "test_accuracy", "train_loss", "test_loss"}
        assert f"{run['test_accuracy']:.2%}" in printed
    claim = results["dropout_claim"]
    assert claim["holds"] == ("HOLDS" in printed.split("verdict:")[-1].split("\n")[0])


def test_unknown_section_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["tour", "--section", "nope"])
    assert exit_info.value.code == 2
    assert "nope" in capsys.readouterr().err
