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
