"""rl_learning: how fast the learners run and how much experience DQN needs.

    qlearning: Q-learning on FrozenLake8x8-v1 (slippery) in steps per second, against a bare
               loop of env.step with random actions (action_space.sample()) on the same env:
               the two alternate round by round; the ratio is the median of per-round ratios.
               Target: Q-learning at >= 60% of the bare loop's speed.
    dqn:       DQN (default hyper-parameters: RL Zoo's CartPole-v1 set, exploration over the
               first 8,000 steps) on CartPole-v1, one run per seed: the env steps and wall
               time (evaluations included) until a 100-episode mean return first reaches
               475 (the v1 solve threshold), for the training episodes (exploring) and for
               the greedy policy (100 evaluation episodes), capped. Target: solved within 100,000 env steps in
               at least 3 of 5 seeds.

Usage: python benchmarks/rl_learning.py [--part qlearning dqn] [--rounds N] [--seeds 0 1 2 3 4]
                                        [--cap 150000] [--threads 1] [--json out.json]
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

SOLVED_AT = 475.0
WINDOW = 100
EXPLORATION_STEPS = 8000


def qlearning_throughput(rounds, episodes_per_round=300):
    """Per round: µs per step of Q-learning, then of the bare loop over as many steps."""
    import gymnasium as gym

    from gradsheet.rl.tabular import ExponentialSchedule, QLearning
    env = gym.make("FrozenLake8x8-v1")
    agent = QLearning(alpha=0.1, gamma=0.99, epsilon=ExponentialSchedule(1.0, 0.05, 0.999),
                      seed=0)
    bare_env = gym.make("FrozenLake8x8-v1")
    bare_env.reset(seed=0)
    bare_env.action_space.seed(0)

    def bare(n_steps):
        step, sample, reset = bare_env.step, bare_env.action_space.sample, bare_env.reset
        for _ in range(n_steps):
            _, _, terminated, truncated, _ = step(sample())
            if terminated or truncated:
                reset()

    agent.learn(env, 50)  # warm-up: the table exists, the code paths are hot
    bare(1000)
    learner_us, bare_us, ratios = [], [], []
    for _ in range(rounds):
        visits = int(agent.N.sum())
        start = time.perf_counter()
        agent.learn(env, episodes_per_round)
        n_steps = int(agent.N.sum()) - visits
        learner_us.append((time.perf_counter() - start) * 1e6 / n_steps)
        start = time.perf_counter()
        bare(n_steps)
        bare_us.append((time.perf_counter() - start) * 1e6 / n_steps)
        ratios.append(bare_us[-1] / learner_us[-1])
    row = {"qlearning_us_per_step": statistics.median(learner_us),
           "bare_env_step_us_per_step": statistics.median(bare_us),
           "speed_ratio": statistics.median(ratios),
           "greedy_success_rate": agent.evaluate(env, 1000, seed=1).success_rate}
    print(f"\nQ-learning on FrozenLake8x8-v1 (slippery), median of {rounds} rounds")
    print(f"  Q-learning   {1e6 / row['qlearning_us_per_step']:>10,.0f} steps/s")
    print(f"  bare loop    {1e6 / row['bare_env_step_us_per_step']:>10,.0f} steps/s")
    print(f"  ratio        {row['speed_ratio']:>10.2f}  (target >= 0.60)")
    print(f"  (its greedy policy after {agent.episodes_done} episodes reaches the goal in "
          f"{row['greedy_success_rate']:.0%} of 1000 episodes)")
    return row


def dqn_run(seed, cap, overrides):
    """One seeded DQN run: the env steps (and seconds) at which each criterion was first met.

    training: the last 100 training episodes (exploring with the final epsilon) average >= 475.
    greedy:   the greedy policy averages >= 475 over 100 evaluation episodes (on a separate
              env, its steps not counted); screened every 2,000 steps by 10 episodes, the full
              100 run only when the screen averages >= 475.

    Exploration decays over the first 8,000 steps whatever the cap: the RL Zoo setting, 0.16
    of its 50,000-step runs (DQN's exploration_fraction is a fraction of the learn call).
    """
    import gymnasium as gym

    from gradsheet.rl.dqn import DQN
    options = {"exploration_fraction": EXPLORATION_STEPS / cap, **overrides}
    agent = DQN(gym.make("CartPole-v1"), seed=seed, **options)
    eval_env = gym.make("CartPole-v1")
    solved = {}
    next_check = [2000]
    start = time.perf_counter()

    def record(agent):
        returns = agent.episode_returns
        if "training" not in solved and len(returns) >= WINDOW and \
                sum(returns[-WINDOW:]) >= SOLVED_AT * WINDOW:
            solved["training"] = (agent.num_timesteps, time.perf_counter() - start)
        if "greedy" not in solved and agent.num_timesteps >= next_check[0]:
            next_check[0] = agent.num_timesteps + 2000
            if agent.evaluate(eval_env, 10, seed=seed).mean_return >= SOLVED_AT and \
                    agent.evaluate(eval_env, WINDOW, seed=seed + 1).mean_return >= SOLVED_AT:
                solved["greedy"] = (agent.num_timesteps, time.perf_counter() - start)
        return len(solved) < 2

    agent.learn(cap, callback=record)
    returns = agent.episode_returns
    return {"seed": seed, "training_solved_at": solved.get("training"),
            "greedy_solved_at": solved.get("greedy"), "seconds": time.perf_counter() - start,
            "steps_taken": agent.num_timesteps, "episodes": len(returns),
            "best_mean_100": float(max(np.convolve(returns, np.ones(WINDOW) / WINDOW, "valid"),
                                       default=np.nan))}


def _solved_text(at):
    """(steps, seconds) as two table cells, or dashes when not solved."""
    return (f"{at[0]:,}", f"{at[1]:.1f}") if at else ("-", "-")


def dqn_sample_efficiency(seeds, cap, overrides):
    print(f"\nDQN on CartPole-v1: env steps (and wall seconds) until a {WINDOW}-episode mean "
          f"return >= {SOLVED_AT:.0f}, cap {cap:,}" + (f", overrides {overrides}" if overrides
                                                      else ""))
    print(f"  {'seed':>4} {'training: steps':>15} {'s':>7} {'greedy: steps':>13} {'s':>7} "
          f"{'episodes':>9} {'best training mean-100':>23}")
    rows = []
    for seed in seeds:
        row = dqn_run(seed, cap, overrides)
        rows.append(row)
        (train_steps, train_s), (greedy_steps, greedy_s) = (
            _solved_text(row["training_solved_at"]), _solved_text(row["greedy_solved_at"]))
        print(f"  {seed:>4} {train_steps:>15} {train_s:>7} {greedy_steps:>13} {greedy_s:>7} "
              f"{row['episodes']:>9} {row['best_mean_100']:>23.1f}", flush=True)
    summary = {}
    for criterion in ("training", "greedy"):
        steps = [r[criterion + "_solved_at"][0] for r in rows if r[criterion + "_solved_at"]]
        summary[criterion] = sum(1 for s in steps if s <= 100_000)
        median = f"{statistics.median(steps):,.0f}" if steps else "-"
        print(f"  {criterion}: solved within 100,000 steps in {summary[criterion]} of {len(rows)} "
              f"seeds (target >= 3 of 5); median steps when solved: {median}")
    return {"runs": rows, "solved_within_100k": summary}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", nargs="+", choices=["qlearning", "dqn"],
                        default=["qlearning", "dqn"])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--cap", type=int, default=150_000, help="env steps per DQN run at most")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads for DQN")
    parser.add_argument("--dqn-kwargs", default="{}",
                        help="JSON dict of DQN hyper-parameters to override")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    print("BLAS:", common.blas_report())
    results = {}
    if "qlearning" in args.part:
        results["qlearning"] = qlearning_throughput(args.rounds)
    if "dqn" in args.part:
        limiter = common.set_threads(args.threads)
        results["dqn"] = dqn_sample_efficiency(args.seeds, args.cap, json.loads(args.dqn_kwargs))
        results["dqn"]["threads"] = args.threads
        del limiter
    common.write_json(args.json, results)


if __name__ == "__main__":
    main()
