"""``gradsheet rl``: plan (value or policy iteration) or learn (Q-learning, SARSA, DQN) on a
named environment, print the result and save it to a run directory, and ``gradsheet rl
evaluate --agent FILE`` to reload a saved agent and score it.

Each run writes to its own folder, ``--out/NAME/version_N`` (NAME: ``--name``, by default
ALGO-ENV; printed at the start): args.json (the arguments), result.json, and for a learner
agent.safetensors (the Q table, or the DQN's weights with its architecture and
hyperparameters: ``gradsheet.rl.load_agent`` reads it), monitor.csv (each learning episode's
return r, length l and seconds since the start t, Stable-Baselines3's Monitor format) and
learning_curve.png. Learning shows a progress bar (tqdm, on a terminal; ``--no-progress``
hides it). Success rates are reported only for envs that define success (FrozenLake, Taxi,
GridWorld; not CartPole, whose episodes end when the pole falls).

``--n-envs N`` learns on a ``gymnasium.vector.SyncVectorEnv`` of N copies of the env: DQN acts
in all N with one batched forward pass per step and feeds its replay buffer from every one;
the tabular learners update their table from all N. The greedy policy is evaluated on one env.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from .. import plotting
from ..io.files import write_atomically
from .runs import add_run_options, add_threads_option, next_version_dir, save_args

if TYPE_CHECKING:
    from ..rl import MDP
    from ..rl.tabular import Evaluation

Policy = Callable[[Any], Any]  # a greedy policy: observation -> action

ENVIRONMENTS: dict[str, Optional[str]] = {"GridWorld": None, "FrozenLake": "FrozenLake-v1",
                "FrozenLake8x8": "FrozenLake8x8-v1", "Taxi": "Taxi-v4",
                "CliffWalking": "CliffWalking-v1", "CartPole": "CartPole-v1"}
PLANNERS = ("value-iteration", "policy-iteration")
LEARNERS = ("q-learning", "sarsa", "dqn")
TABULAR = ("q-learning", "sarsa")  # learners of a table: Discrete observations


def make_env(name: str, gamma: float) -> tuple[Any, Optional[MDP]]:
    """The environment and, where it publishes its model, its exact MDP (else None)."""
    from ..rl import MDP
    if name == "GridWorld":
        from ..rl.envs import GridWorld
        world = GridWorld(gamma=gamma)
        return world, world.mdp
    try:
        import gymnasium
    except ImportError:
        raise ImportError("gradsheet rl needs gymnasium: pip install gradsheet[rl]") from None
    env_id = ENVIRONMENTS[name]
    assert env_id is not None  # every env but GridWorld (made above) has a Gymnasium id
    env = gymnasium.make(env_id)
    has_model = isinstance(getattr(env.unwrapped, "P", None), dict)
    return env, (MDP.from_gymnasium(env, gamma) if has_model else None)


def _plan(args: argparse.Namespace, env: Any, mdp: MDP
          ) -> tuple[dict[str, Any], Policy, None]:
    from ..rl import policy_iteration, value_iteration
    if args.algo == "value-iteration":
        result = value_iteration(mdp, epsilon=args.epsilon)
    else:
        result = policy_iteration(mdp)
    print(f"{args.algo} on {args.env} (gamma={args.gamma}): {result.iterations} iterations")
    policy = result.policy
    return {"V": result.V.tolist(), "policy": policy.tolist(),
            "iterations": int(result.iterations)}, (lambda s: int(policy[s])), None


def _learners_for(env: Any) -> str:
    """The --algo choices that can learn on ``env``: DQN for a Box observation, the tabular
    learners for a Discrete one."""
    if type(env.observation_space).__name__ == "Discrete":
        return "--algo " + " or ".join(TABULAR)
    return "--algo dqn (its observations are not a Discrete state index, which the tabular " \
           "learners need)"


def _learning_env(args: argparse.Namespace, env: Any) -> tuple[Any, str]:
    """The env to learn on: ``env`` itself, or with --n-envs a SyncVectorEnv of copies."""
    if args.n_envs is None:
        return env, ""
    from ..rl.buffers import make_vector_env
    vector = make_vector_env(lambda: make_env(args.env, args.gamma)[0], args.n_envs, "--n-envs")
    return vector, f" ({args.n_envs} envs stepped together)"


class _Progress:
    """The learning's progress bar and monitor: after each episode, ``(agent)`` moves the bar
    (by env steps for DQN, by episodes for a table) and records the episode's return, length
    and time for monitor.csv."""

    def __init__(self, total: int, unit: str, show: bool, step_of: Callable[[Any], int]) -> None:
        from tqdm import tqdm
        self.bar = tqdm(total=total, unit=unit, disable=not show, dynamic_ncols=True,
                        file=sys.stderr)
        self.step_of, self.start, self.done = step_of, time.time(), 0
        self.times: list[float] = []

    def __call__(self, agent: Any) -> bool:
        self.times.append(time.time() - self.start)
        done = self.step_of(agent)
        self.bar.update(done - self.done)
        self.done = done
        returns = agent.episode_returns if hasattr(agent, "num_timesteps") else None
        if returns:
            self.bar.set_postfix(mean_return=f"{np.mean(returns[-100:]):.3g}", refresh=False)
        return True


def _learn(args: argparse.Namespace, env: Any
           ) -> tuple[dict[str, Any], Policy, list[float], list[int], list[float], Any]:
    """Learn with ``args.algo``; (result, greedy policy, returns, lengths, times, agent)."""
    from ..rl import DQN, SARSA, LinearSchedule, QLearning
    learn_env, envs = _learning_env(args, env)
    show = not args.no_progress and sys.stderr.isatty()
    if args.algo == "dqn":
        dqn = DQN(learn_env, gamma=args.gamma, seed=args.seed)
        progress = _Progress(args.timesteps, "step", show, lambda a: a.num_timesteps)
        with progress.bar:
            episodes = dqn.learn(args.timesteps, max_steps=args.max_steps, callback=progress)
        returns = list(map(float, episodes.returns))
        print(f"dqn on {args.env}{envs}: {dqn.num_timesteps} steps, {len(returns)} episodes")
        result: dict[str, Any] = {"episode_returns": returns}
        if args.n_envs is not None:
            result["episode_envs"] = episodes.envs.tolist()
        return (result, dqn._greedy, returns, episodes.lengths.tolist(), progress.times, dqn)
    learner = QLearning if args.algo == "q-learning" else SARSA
    agent = learner(alpha=args.alpha, gamma=args.gamma, seed=args.seed,
                    epsilon=LinearSchedule(1.0, 0.05, max(args.episodes // 2, 1)))
    progress = _Progress(args.episodes, "episode", show, lambda a: len(a.episode_lengths))
    with progress.bar:
        returns = agent.learn(learn_env, args.episodes, max_steps=args.max_steps,
                              callback=progress).tolist()
    policy = agent.greedy_policy()
    print(f"{args.algo} on {args.env}{envs}: {args.episodes} episodes")
    result = {"Q": agent.Q.tolist(), "policy": policy.tolist(), "episode_returns": returns}
    if args.n_envs is not None:
        result["episode_envs"] = agent.episode_envs.tolist()
    return (result, (lambda s: int(policy[s])), returns, agent.episode_lengths.tolist(),
            progress.times, agent)


def run(args: argparse.Namespace) -> int:
    """``gradsheet rl``: plan (value/policy iteration) or learn (Q-learning, SARSA, DQN) on
    ``args.env``, print the result (V and the policy as grids for GridWorld), evaluate the
    greedy policy over ``args.eval_episodes`` episodes, and write the run directory (see the
    module doc). Returns 0.
    """
    from ..rl import run_policy
    if args.n_envs is not None and args.algo in PLANNERS:
        raise ValueError(f"--n-envs steps environments for a learner (--algo q-learning, sarsa "
                         f"or dqn); {args.algo} plans on the model and steps none")
    env, mdp = make_env(args.env, args.gamma)
    if args.algo in PLANNERS and mdp is None:
        raise ValueError(f"{args.env} publishes no model (env.unwrapped.P) to plan with; "
                         f"learn it instead: {_learners_for(env)}")
    if args.algo in TABULAR and type(env.observation_space).__name__ != "Discrete":
        raise ValueError(f"--algo {args.algo} learns a table over Discrete states; {args.env}'s "
                         f"observations are {env.observation_space}: use {_learners_for(env)}")
    if args.algo == "dqn" and type(env.observation_space).__name__ == "Discrete":
        raise ValueError(f"--algo dqn needs a flat Box observation (a vector); {args.env}'s "
                         f"observations are {env.observation_space} state indices: use "
                         f"{_learners_for(env)}, or a planner where the env has a model")
    run_dir = next_version_dir(args.out, args.name or f"{args.algo}-{args.env}")
    save_args(run_dir, args, RUN_OPTIONS)
    print(f"run directory: {run_dir}", flush=True)
    agent = None
    returns: Optional[list[float]]
    if args.algo in PLANNERS:
        assert mdp is not None  # checked above: a planner needs the env's model
        result, act, returns = _plan(args, env, mdp)
    else:
        result, act, returns, lengths, times, agent = _learn(args, env)
    if args.env == "GridWorld" and "policy" in result:
        from ..rl.render import text_policy, text_values
        if "V" in result:
            print(text_values(result["V"], env))
        print(text_policy(result["policy"], env))
    evaluation = run_policy(env, act, episodes=args.eval_episodes, seed=args.seed,
                            max_steps=args.max_steps)
    result["evaluation"] = _evaluation_json(evaluation)
    print(f"greedy policy over {args.eval_episodes} episodes: {_summary(evaluation)}")
    write_atomically(os.path.join(run_dir, "result.json"),
                     json.dumps({"env": args.env, "algo": args.algo, **result}))
    if agent is not None:
        assert returns is not None  # a learner's episodes
        agent.save(os.path.join(run_dir, "agent.safetensors"))
        _write_monitor(os.path.join(run_dir, "monitor.csv"), args.env, returns, lengths, times)
        _plot_returns(returns, os.path.join(run_dir, "learning_curve.png"))
    print(f"saved to {run_dir}")
    return 0


def _evaluation_json(evaluation: Evaluation) -> dict[str, Any]:
    scores = {"mean_return": evaluation.mean_return, "std_return": evaluation.std_return,
              "episodes": len(evaluation.returns)}
    if evaluation.success_rate is not None:
        scores["success_rate"] = evaluation.success_rate
    return scores


def _summary(evaluation: Evaluation) -> str:
    text = f"mean return {evaluation.mean_return:.4g} (std {evaluation.std_return:.3g})"
    if evaluation.success_rate is not None:  # only envs that define success
        text += f", success rate {evaluation.success_rate:.2%}"
    return text


def _write_monitor(path: str, env: str, returns: Sequence[float], lengths: Sequence[int],
                   times: Sequence[float]) -> None:
    """monitor.csv as Stable-Baselines3's Monitor writes it: a JSON comment line, then r,l,t."""
    lines = [f"#{json.dumps({'t_start': time.time() - (times[-1] if times else 0.0), 'env_id': env})}",
             "r,l,t"]
    lines += [f"{r:.6g},{int(n)},{t:.6f}" for r, n, t in zip(returns, lengths, times)]
    write_atomically(path, "\n".join(lines) + "\n")


def evaluate_command(args: argparse.Namespace) -> int:
    """``gradsheet rl evaluate``: reload the agent saved in ``args.agent`` (a file, or a run
    directory holding agent.safetensors) and print the mean and std of its greedy policy's
    return over ``args.episodes`` episodes of the env it learned on (its run's args.json, or
    ``--env``), and the success rate where the env defines success. Returns 0."""
    from ..rl import load_agent, run_policy
    from .runs import load_args
    path, saved = args.agent, {}
    if os.path.isdir(path):
        saved, path = load_args(path, "--agent"), os.path.join(path, "agent.safetensors")
    elif os.path.isfile(os.path.join(os.path.dirname(path) or ".", "args.json")):
        saved = load_args(os.path.dirname(path) or ".", "--agent")
    name = args.env or saved.get("env")
    if name is None:
        raise ValueError(f"--agent {args.agent}: no args.json beside it names the env; give "
                         f"--env ({', '.join(ENVIRONMENTS)})")
    env, _ = make_env(name, saved.get("gamma", 0.99))
    agent = load_agent(path, env=env)
    evaluation = run_policy(env, lambda obs: agent.predict(obs, deterministic=True)[0],
                            episodes=args.episodes, seed=args.seed, max_steps=args.max_steps)
    print(f"{type(agent).__name__} from {path} on {name} over {args.episodes} episodes: "
          f"{_summary(evaluation)}")
    return 0


def _plot_returns(returns: Sequence[float], path: str) -> None:
    try:
        from ..rl.render import plot_learning_curves
    except ImportError:
        return
    try:
        ax = plot_learning_curves({"episode return": np.asarray(returns)},
                                  window=max(len(returns) // 20, 1))
    except ImportError:
        print("(no learning-curve plot: pip install gradsheet[viz])")
        return
    plotting.save(ax.figure, path)


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the ``rl`` subcommand (its options, and ``run``) and ``rl evaluate`` to
    ``commands``, an argparse subparsers object.
    """
    parser = commands.add_parser("rl", help="plan or learn on a named environment; "
                                 "'rl evaluate --agent FILE' scores a saved agent")
    parser.add_argument("--algo", choices=PLANNERS + LEARNERS, default="value-iteration",
                        help="planners use the env's model; learners learn from episodes")
    parser.add_argument("--env", choices=list(ENVIRONMENTS), default="GridWorld",
                        help="the environment (all but GridWorld from Gymnasium)")
    parser.add_argument("--gamma", type=_unit_interval, default=0.99, help="the discount")
    parser.add_argument("--epsilon", type=float, default=1e-6,
                        help="value iteration's accuracy: |V - V*| <= epsilon")
    parser.add_argument("--episodes", type=_positive_int, default=5000,
                        help="tabular learning episodes (at least 1)")
    parser.add_argument("--alpha", type=_step_size, default=0.1, help="tabular learning rate")
    parser.add_argument("--timesteps", type=_positive_int, default=50_000,
                        help="DQN environment steps")
    parser.add_argument("--eval-episodes", type=_positive_int, default=100,
                        help="episodes of the greedy policy scored after planning or learning")
    parser.add_argument("--max-steps", type=_positive_int, default=None,
                        help="steps after which an episode is cut (default: the env's own time "
                             "limit, else gradsheet.rl.DEFAULT_MAX_STEPS)")
    parser.add_argument("--n-envs", type=_positive_int, default=None,
                        help="learn on N copies of the env stepped together (a Gymnasium "
                             "SyncVectorEnv; DQN: one batched forward pass per step)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the agent, the env and the evaluation")
    add_run_options(parser, "args.json, result.json, agent.safetensors, monitor.csv and "
                            "learning_curve.png")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_threads_option(parser)
    parser.set_defaults(run=run)
    sub = parser.add_subparsers(dest="rl_command", metavar="{evaluate}", required=False,
                                parser_class=type(parser))
    evaluate = sub.add_parser("evaluate", help="reload a saved agent and score its greedy "
                              "policy", description="Reload an agent saved by 'gradsheet rl' "
                              "and report the mean and std of its return.")
    evaluate.add_argument("--agent", required=True,
                          help="agent.safetensors, or the run directory holding it")
    evaluate.add_argument("--env", choices=list(ENVIRONMENTS), default=None,
                          help="the environment (default: the one the agent's run learned on)")
    evaluate.add_argument("--episodes", type=_positive_int, default=10,
                          help="episodes to score")
    evaluate.add_argument("--max-steps", type=_positive_int, default=None,
                          help="steps after which an episode is cut (default: the env's limit)")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the env's first reset")
    add_threads_option(evaluate)
    evaluate.set_defaults(run=evaluate_command)


RUN_OPTIONS = ("algo", "env", "gamma", "epsilon", "episodes", "alpha", "timesteps",
               "eval_episodes", "max_steps", "n_envs", "seed", "out", "name", "threads")


def _unit_interval(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise ValueError(f"expected a number in [0, 1], got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError(f"expected a positive integer, got {text}")
    return value


def _step_size(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise ValueError(f"expected a number in (0, 1], got {text}")
    return value


_unit_interval.__name__ = "number in [0, 1]"
_positive_int.__name__ = "positive integer"
_step_size.__name__ = "number in (0, 1]"
