"""gradsheet rl end to end on small runs, and its error handling."""
import json
import subprocess
import sys

import pytest

pytest.importorskip("gymnasium")

from gradsheet import cli  # noqa: E402


def test_value_iteration_on_gridworld_prints_values_and_policy(tmp_path, capsys):
    assert cli.main(["rl", "--env", "GridWorld", "--eval-episodes", "20",
                     "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "→ → → +" in printed                     # the classic optimal policy's top row
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["algo"] == "value-iteration" and len(result["V"]) == 11
    assert result["evaluation"]["success_rate"] > 0.5


def test_policy_iteration_agrees_with_value_iteration(tmp_path):
    for algo in ("value-iteration", "policy-iteration"):
        assert cli.main(["rl", "--algo", algo, "--env", "FrozenLake", "--eval-episodes", "5",
                         "--out", str(tmp_path / algo)]) == 0
    vi, pi = (json.loads((tmp_path / a / "result.json").read_text())
              for a in ("value-iteration", "policy-iteration"))
    assert max(abs(a - b) for a, b in zip(vi["V"], pi["V"])) < 1e-5


@pytest.mark.parametrize("algo", ["q-learning", "sarsa"])
def test_tabular_learning_writes_returns_and_curve(algo, tmp_path):
    assert cli.main(["rl", "--algo", algo, "--env", "Taxi", "--episodes", "300",
                     "--eval-episodes", "5", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "result.json").read_text())
    assert len(result["episode_returns"]) == 300
    assert (tmp_path / "learning_curve.png").exists()


def test_dqn_runs_on_cartpole_without_a_success_rate(tmp_path, capsys):
    assert cli.main(["rl", "--algo", "dqn", "--env", "CartPole", "--timesteps", "300",
                     "--eval-episodes", "2", "--out", str(tmp_path)]) == 0
    assert "success rate" not in capsys.readouterr().out
    assert "success_rate" not in json.loads((tmp_path / "result.json").read_text())["evaluation"]


@pytest.mark.parametrize("argv, fragment", [
    (["rl", "--gamma", "2"], "--gamma: invalid number in [0, 1] value: '2'"),
    (["rl", "--env", "Pong"], "invalid choice: 'Pong'"),
    (["rl", "--algo", "a3c"], "invalid choice: 'a3c'"),
    (["rl", "--env", "CartPole"], "CartPole publishes no model"),
    (["rl", "--algo", "dqn", "--env", "FrozenLake", "--timesteps", "10"], "Box observation"),
])
def test_bad_arguments_give_one_line_and_a_nonzero_exit(argv, fragment):
    done = subprocess.run([sys.executable, "-m", "gradsheet.cli", *argv],
                          capture_output=True, text=True)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], done.stderr
