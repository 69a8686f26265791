"""The scripts in examples/ run as a user would run them (small configurations)."""
import os
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


RUN_WITH_TORCH = pathlib.Path(__file__).resolve().parent / "run_with_torch.py"


def run_as_torch(name, *args):
    """The same example under PyTorch itself (tests/run_with_torch.py maps the imports)."""
    done = subprocess.run([sys.executable, str(RUN_WITH_TORCH), str(EXAMPLES / name), *args],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    return done.stdout


def _before_after(out):
    """The first two numbers of the example's last line (before and after training)."""
    last = out.strip().splitlines()[-1]
    numbers = [float(word.rstrip(",")) for word in last.split() if _is_number(word.rstrip(","))]
    return numbers[0], numbers[1]


def _is_number(word):
    try:
        float(word)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("run", [run_example, run_as_torch], ids=["gradsheet", "torch"])
def test_reinforce_agent_with_categorical_gets_longer_episodes(run):
    pytest.importorskip("gymnasium")
    first, last = _before_after(run("reinforce_cartpole.py", "--episodes", "100"))
    assert last > 1.5 * first


@pytest.mark.parametrize("run", [run_example, run_as_torch], ids=["gradsheet", "torch"])
def test_time_series_lstm_trained_with_lbfgs_predicts_the_waves(run):
    before, after = _before_after(run("time_series_lbfgs.py", "--steps", "2", "--length", "80"))
    assert after < 0.1 * before


@pytest.mark.parametrize("run", [run_example, run_as_torch], ids=["gradsheet", "torch"])
def test_vae_lowers_its_test_loss(run):
    before, after = _before_after(run("vae.py", "--epochs", "3"))
    assert after < 0.8 * before


def test_mnist_style_cnn_learns_under_torch_too():
    out = run_as_torch("mnist_style_cnn.py", "--epochs", "2", "--log-interval", "100")
    accuracy = float(out.strip().splitlines()[-1].split("final test accuracy ")[1].rstrip("%"))
    assert accuracy > 80


@pytest.mark.parametrize("positions", ["sinusoidal", "learned"])
def test_char_transformer_lowers_its_loss_and_samples_from_the_text(positions):
    # one BLAS thread: the GEMMs are small, and on a loaded machine a threaded OpenBLAS spins
    done = subprocess.run([sys.executable, str(EXAMPLES / "char_transformer.py"), "--steps", "120",
                           "--log-interval", "40", "--bptt", "32", "--d-model", "32", "--nlayers",
                           "1", "--sample-len", "60", "--positions", positions, "--temperature",
                           "0.7"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"{positions} positions" in out
    before, after = _before_after(out)
    assert after < 0.7 * before and after < 2.8, out.splitlines()[-1]
    logged = [float(line.split("loss ")[1].split()[0]) for line in out.splitlines()
              if line.startswith("| step")]
    assert len(logged) == 3 and logged[-1] < logged[0]
    text = out.split("sample (temperature 0.7):\n")[1].split("\n" + "-" * 89)[0]
    assert text.startswith("Shall I ") and len(text) == len("Shall I ") + 60
