"""The side-by-side benchmarks time the same training step in gradsheet, PyTorch and a
hand-written NumPy version: their ``check`` says the three agree (equal weights after a few
steps), so a ratio compares equal work. Here each check runs, and fails when one contender
trains a different network."""
import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _module(name):
    spec = importlib.util.spec_from_file_location(f"_bench_steps_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["rnn", "cnn"])
def test_the_contenders_of_a_benchmark_train_the_same_network(name):
    _module(name).check()  # assert_allclose inside: raises when they differ


def test_the_recurrent_check_fails_when_one_contender_takes_an_extra_step():
    rnn = _module("rnn")
    makers = rnn.CASES["rnn"][1]
    make_numpy = makers["numpy"]

    def twice():
        step = make_numpy()

        def extra():
            step()
            step()
        extra.weights = step.weights
        return extra
    makers["numpy"] = twice
    with pytest.raises(AssertionError, match="rnn: numpy"):
        rnn.check()
