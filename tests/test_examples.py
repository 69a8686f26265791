"""The scripts in examples/ run as a user would run them (small configurations)."""
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def run_example(name, *args):
    done = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_digits_mlp_learns():
    out = run_example("digits_mlp.py", "--epochs", "3")
    accuracy = float(out.strip().splitlines()[-1].split("test accuracy ")[1].rstrip("%"))
    assert accuracy > 80


def test_gridworld_planning_agrees_across_methods():
    pytest.importorskip("gymnasium")
    out = run_example("gridworld_planning.py", "--samples", "20000")
    assert "→ → → +" in out and "same optimal policy: True" in out


def test_dqn_cartpole_runs():
    pytest.importorskip("gymnasium")
    out = run_example("dqn_cartpole.py", "--steps", "1500")
    assert "greedy" in out.lower()


def test_digits_cnn_learns_and_its_hook_counts_the_relu_zeros():
    out = run_example("digits_cnn.py", "--epochs", "2")
    assert "conv: N = 8 ; pool: N = 4" in out
    zeros = out.split("fraction of zeros after each ReLU on the test set:")[1].splitlines()[0]
    fractions = [float(part.split(": ")[1]) for part in zeros.split(", ")]
    assert len(fractions) == 2 and all(0 < f < 1 for f in fractions)
    accuracy = float(out.strip().splitlines()[-1].split("test accuracy ")[1].rstrip("%"))
    assert accuracy > 80


def test_mnist_style_cnn_with_adadelta_and_steplr_learns():
    out = run_example("mnist_style_cnn.py", "--epochs", "2", "--log-interval", "100")
    assert "Using Device: cpu" in out
    accuracy = float(out.strip().splitlines()[-1].split("final test accuracy ")[1].rstrip("%"))
    assert accuracy > 80


def test_lstm_language_model_with_narrow_batching_lowers_perplexity():
    out = run_example("lstm_language_model.py", "--epochs", "8")
    last = out.strip().splitlines()[-1]
    before = float(last.split("train perplexity ")[1].split(" before")[0])
    after = float(last.split("training, ")[1].split(" after")[0])
    assert after < 0.6 * before, last
