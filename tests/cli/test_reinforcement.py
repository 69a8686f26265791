"""gradsheet rl end to end on small runs (run directories, saved agents, monitor.csv,
rl evaluate), and its error handling."""
import json
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("gymnasium")

from gradsheet import cli, rl  # noqa: E402


def _run(tmp_path, name):
    return tmp_path / name / "version_0"


def test_value_iteration_on_gridworld_prints_values_and_policy(tmp_path, capsys):
    assert cli.main(["rl", "--env", "GridWorld", "--eval-episodes", "20",
                     "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    run = _run(tmp_path, "value-iteration-GridWorld")
    assert printed.startswith(f"run directory: {run}\n")
    assert "→ → → +" in printed                     # the classic optimal policy's top row
    result = json.loads((run / "result.json").read_text())
    assert result["algo"] == "value-iteration" and len(result["V"]) == 11
    assert result["evaluation"]["success_rate"] > 0.5
    assert json.loads((run / "args.json").read_text())["eval_episodes"] == 20


def test_policy_iteration_agrees_with_value_iteration(tmp_path):
    for algo in ("value-iteration", "policy-iteration"):
        assert cli.main(["rl", "--algo", algo, "--env", "FrozenLake", "--eval-episodes", "5",
                         "--out", str(tmp_path), "--name", "lake"]) == 0
    vi, pi = (json.loads((tmp_path / "lake" / f"version_{n}" / "result.json").read_text())
              for n in (0, 1))  # a second run never writes into the first one's folder
    assert (vi["algo"], pi["algo"]) == ("value-iteration", "policy-iteration")
    assert max(abs(a - b) for a, b in zip(vi["V"], pi["V"])) < 1e-5


@pytest.mark.parametrize("algo", ["q-learning", "sarsa"])
def test_tabular_learning_saves_the_agent_the_monitor_and_the_curve(algo, tmp_path, capsys):
    assert cli.main(["rl", "--algo", algo, "--env", "Taxi", "--episodes", "300",
                     "--eval-episodes", "5", "--out", str(tmp_path), "--threads", "1"]) == 0
    run = _run(tmp_path, f"{algo}-Taxi")
    result = json.loads((run / "result.json").read_text())
    assert len(result["episode_returns"]) == 300
    assert (run / "learning_curve.png").exists()
    lines = (run / "monitor.csv").read_text().splitlines()
    assert json.loads(lines[0][1:])["env_id"] == "Taxi" and lines[1] == "r,l,t"
    monitor = np.loadtxt(lines[2:], delimiter=",")
    assert monitor.shape == (300, 3)
    np.testing.assert_allclose(monitor[:, 0], result["episode_returns"], rtol=1e-5)
    assert (monitor[:, 1] >= 1).all() and (np.diff(monitor[:, 2]) >= 0).all()
    agent = rl.load_agent(run / "agent.safetensors")
    assert type(agent).__name__ == {"q-learning": "QLearning", "sarsa": "SARSA"}[algo]
    np.testing.assert_array_equal(agent.greedy_policy(), result["policy"])


def test_rl_evaluate_reloads_a_frozenlake_agent_with_a_success_rate(tmp_path, capsys):
    assert cli.main(["rl", "--algo", "q-learning", "--env", "FrozenLake", "--episodes", "400",
                     "--eval-episodes", "50", "--seed", "1", "--out", str(tmp_path)]) == 0
    run = _run(tmp_path, "q-learning-FrozenLake")
    learned = json.loads((run / "result.json").read_text())["evaluation"]
    capsys.readouterr()
    # the run directory: the env comes from its args.json
    assert cli.main(["rl", "evaluate", "--agent", str(run), "--episodes", "50",
                     "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    assert f"QLearning from {run / 'agent.safetensors'} on FrozenLake over 50 episodes" in printed
    assert f"mean return {learned['mean_return']:.4g}" in printed
    assert f"success rate {learned['success_rate']:.2%}" in printed


def test_dqn_saves_its_agent_and_evaluates_without_a_success_rate(tmp_path, capsys):
    assert cli.main(["rl", "--algo", "dqn", "--env", "CartPole", "--timesteps", "300",
                     "--eval-episodes", "2", "--out", str(tmp_path)]) == 0
    run = _run(tmp_path, "dqn-CartPole")
    assert "success rate" not in capsys.readouterr().out
    result = json.loads((run / "result.json").read_text())
    assert "success_rate" not in result["evaluation"] and "std_return" in result["evaluation"]
    agent = rl.DQN.load(run / "agent.safetensors")
    assert agent.net_arch == (256, 256) and agent.num_timesteps == 300
    lengths = np.loadtxt((run / "monitor.csv").read_text().splitlines()[2:], delimiter=",")[:, 1]
    assert lengths.sum() <= 300 and len(lengths) == len(result["episode_returns"])
    assert cli.main(["rl", "evaluate", "--agent", str(run / "agent.safetensors"),
                     "--episodes", "3"]) == 0
    printed = capsys.readouterr().out
    assert "DQN from" in printed and "mean return" in printed and "success" not in printed


def test_rl_progress_bar_on_a_terminal(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert cli.main(["rl", "--algo", "q-learning", "--episodes", "50", "--eval-episodes", "2",
                     "--out", str(tmp_path)]) == 0
    assert "50/50" in capsys.readouterr().err
    assert cli.main(["rl", "--algo", "q-learning", "--episodes", "50", "--eval-episodes", "2",
                     "--out", str(tmp_path), "--no-progress"]) == 0
    assert "50/50" not in capsys.readouterr().err


@pytest.mark.parametrize("argv, fragment", [
    (["rl", "--gamma", "2"], "--gamma: invalid number in [0, 1] value: '2'"),
    (["rl", "--env", "Pong"], "invalid choice: 'Pong'"),
    (["rl", "--algo", "a3c"], "invalid choice: 'a3c'"),
    # the hint names only the learners that work on CartPole's Box observations
    (["rl", "--env", "CartPole"], "CartPole publishes no model (env.unwrapped.P) to plan with; "
                                  "learn it instead: --algo dqn"),
    (["rl", "--algo", "q-learning", "--env", "CartPole"], "use --algo dqn"),
    (["rl", "--algo", "dqn", "--env", "FrozenLake", "--timesteps", "10"],
     "FrozenLake's observations are Discrete(16) state indices: use --algo q-learning or sarsa"),
    (["rl", "evaluate"], "the following arguments are required: --agent"),
    (["rl", "evaluate", "--agent", "nope.safetensors", "--env", "CartPole"], "nope.safetensors"),
])
def test_bad_arguments_give_one_line_and_a_nonzero_exit(argv, fragment, tmp_path):
    done = subprocess.run([sys.executable, "-m", "gradsheet.cli", *argv], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], done.stderr
    assert not (tmp_path / "runs").exists()  # a refused run leaves no run folder
