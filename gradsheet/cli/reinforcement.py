"""``gradsheet rl``: plan (value or policy iteration) or learn (Q-learning, SARSA, DQN) on a
named environment, print the result and save it as JSON (and a learning curve).

``--n-envs N`` learns on a ``gymnasium.vector.SyncVectorEnv`` of N copies of the env: DQN acts
in all N with one batched forward pass per step and feeds its replay buffer from every one;
the tabular learners update their table from all N. The greedy policy is evaluated on one env.
"""
import json
import os

import numpy as np

from ..io.files import atomic_file, remove_stale_temporaries, write_atomically

ENVIRONMENTS = {"GridWorld": None, "FrozenLake": "FrozenLake-v1",
                "FrozenLake8x8": "FrozenLake8x8-v1", "Taxi": "Taxi-v4",
                "CliffWalking": "CliffWalking-v1", "CartPole": "CartPole-v1"}
# Envs whose episodes end terminated with a positive reward exactly when the goal is reached
# (CartPole's pole falling also ends with reward 1; CliffWalking's goal step costs -1).
REPORTS_SUCCESS = ("GridWorld", "FrozenLake", "FrozenLake8x8", "Taxi")
PLANNERS = ("value-iteration", "policy-iteration")
LEARNERS = ("q-learning", "sarsa", "dqn")


def make_env(name, gamma):
    """The environment and, where it publishes its model, its exact MDP (else None)."""
    from ..rl import MDP
    if name == "GridWorld":
        from ..rl.envs import GridWorld
        env = GridWorld(gamma=gamma)
        return env, env.mdp
    try:
        import gymnasium
    except ImportError:
        raise ImportError("gradsheet rl needs gymnasium: pip install gradsheet[rl]") from None
    env = gymnasium.make(ENVIRONMENTS[name])
    has_model = isinstance(getattr(env.unwrapped, "P", None), dict)
    return env, (MDP.from_gymnasium(env, gamma) if has_model else None)


def _plan(args, env, mdp):
    from ..rl import policy_iteration, value_iteration
    if mdp is None:
        raise ValueError(f"{args.env} publishes no model (env.unwrapped.P) to plan with; "
                         "learn it instead: --algo q-learning, sarsa or dqn")
    if args.algo == "value-iteration":
        result = value_iteration(mdp, epsilon=args.epsilon)
    else:
        result = policy_iteration(mdp)
    print(f"{args.algo} on {args.env} (gamma={args.gamma}): {result.iterations} iterations")
    policy = result.policy
    return {"V": result.V.tolist(), "policy": policy.tolist(),
            "iterations": int(result.iterations)}, (lambda s: int(policy[s])), None


def _learning_env(args, env):
    """The env to learn on: ``env`` itself, or with --n-envs a SyncVectorEnv of copies."""
    if args.n_envs is None:
        return env, ""
    from ..rl.buffers import make_vector_env
    vector = make_vector_env(lambda: make_env(args.env, args.gamma)[0], args.n_envs, "--n-envs")
    return vector, f" ({args.n_envs} envs stepped together)"


def _learn(args, env):
    from ..rl import DQN, SARSA, LinearSchedule, QLearning
    learn_env, envs = _learning_env(args, env)
    if args.algo == "dqn":
        agent = DQN(learn_env, gamma=args.gamma, seed=args.seed)
        episodes = agent.learn(args.timesteps, max_steps=args.max_steps)
        returns = list(map(float, episodes.returns))
        print(f"dqn on {args.env}{envs}: {agent.num_timesteps} steps, {len(returns)} episodes")
        result = {"episode_returns": returns}
        if args.n_envs is not None:
            result["episode_envs"] = episodes.envs.tolist()
        return result, agent.predict, returns
    learner = QLearning if args.algo == "q-learning" else SARSA
    agent = learner(alpha=args.alpha, gamma=args.gamma, seed=args.seed,
                    epsilon=LinearSchedule(1.0, 0.05, max(args.episodes // 2, 1)))
    returns = agent.learn(learn_env, args.episodes, max_steps=args.max_steps).tolist()
    policy = agent.greedy_policy()
    print(f"{args.algo} on {args.env}{envs}: {args.episodes} episodes")
    result = {"Q": agent.Q.tolist(), "policy": policy.tolist(), "episode_returns": returns}
    if args.n_envs is not None:
        result["episode_envs"] = agent.episode_envs.tolist()
    return result, (lambda s: int(policy[s])), returns


def run(args):
    """``gradsheet rl``: plan (value/policy iteration) or learn (Q-learning, SARSA, DQN) on
    ``args.env``, print the result (V and the policy as grids for GridWorld), evaluate the
    greedy policy over ``args.eval_episodes`` episodes, and with ``--out`` write result.json
    (and, for a learner, a learning-curve PNG). Returns 0.
    """
    from ..rl.tabular import evaluate_policy
    if args.n_envs is not None and args.algo in PLANNERS:
        raise ValueError(f"--n-envs steps environments for a learner (--algo q-learning, sarsa "
                         f"or dqn); {args.algo} plans on the model and steps none")
    env, mdp = make_env(args.env, args.gamma)
    if args.algo in PLANNERS:
        result, act, returns = _plan(args, env, mdp)
    else:
        result, act, returns = _learn(args, env)
    if args.env == "GridWorld" and "policy" in result:
        from ..rl.render import text_policy, text_values
        if "V" in result:
            print(text_values(result["V"], env))
        print(text_policy(result["policy"], env))
    evaluation = evaluate_policy(env, act, episodes=args.eval_episodes, seed=args.seed,
                                 max_steps=args.max_steps)
    result["evaluation"] = {"mean_return": evaluation.mean_return, "episodes": args.eval_episodes}
    summary = f"mean return {evaluation.mean_return:.4g}"
    if args.env in REPORTS_SUCCESS:
        result["evaluation"]["success_rate"] = evaluation.success_rate
        summary += f", success rate {evaluation.success_rate:.2%}"
    print(f"greedy policy over {args.eval_episodes} episodes: {summary}")
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        remove_stale_temporaries(args.out)
        write_atomically(os.path.join(args.out, "result.json"),
                         json.dumps({"env": args.env, "algo": args.algo, **result}))
        if returns:
            _plot_returns(returns, os.path.join(args.out, "learning_curve.png"))
        print(f"saved to {args.out}")
    return 0


def _plot_returns(returns, path):
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
    with atomic_file(path) as f:
        ax.figure.savefig(f, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt
    plt.close(ax.figure)


def add_command(commands):
    """Add the ``rl`` subcommand (its options, and ``run``) to ``commands``, an argparse
    subparsers object.
    """
    parser = commands.add_parser("rl", help="plan or learn on a named environment")
    parser.add_argument("--algo", choices=PLANNERS + LEARNERS, default="value-iteration")
    parser.add_argument("--env", choices=list(ENVIRONMENTS), default="GridWorld")
    parser.add_argument("--gamma", type=_unit_interval, default=0.99)
    parser.add_argument("--epsilon", type=float, default=1e-6,
                        help="value iteration's accuracy: |V - V*| <= epsilon")
    parser.add_argument("--episodes", type=_positive_int, default=5000,
                        help="tabular learning episodes (at least 1)")
    parser.add_argument("--alpha", type=_step_size, default=0.1, help="tabular learning rate")
    parser.add_argument("--timesteps", type=_positive_int, default=50_000,
                        help="DQN environment steps")
    parser.add_argument("--eval-episodes", type=_positive_int, default=100)
    parser.add_argument("--max-steps", type=_positive_int, default=None,
                        help="steps after which an episode is cut (default: the env's own time "
                             "limit, else gradsheet.rl.DEFAULT_MAX_STEPS)")
    parser.add_argument("--n-envs", type=_positive_int, default=None,
                        help="learn on N copies of the env stepped together (a Gymnasium "
                             "SyncVectorEnv; DQN: one batched forward pass per step)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="folder for result.json (and learning_curve.png)")
    parser.set_defaults(run=run)


def _unit_interval(text):
    value = float(text)
    if not 0 <= value <= 1:
        raise ValueError(f"expected a number in [0, 1], got {text}")
    return value


def _positive_int(text):
    value = int(text)
    if value <= 0:
        raise ValueError(f"expected a positive integer, got {text}")
    return value


def _step_size(text):
    value = float(text)
    if not 0 < value <= 1:
        raise ValueError(f"expected a number in (0, 1], got {text}")
    return value


_unit_interval.__name__ = "number in [0, 1]"
_positive_int.__name__ = "positive integer"
_step_size.__name__ = "number in (0, 1]"
