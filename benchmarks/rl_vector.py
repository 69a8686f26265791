"""rl_vector: DQN's env steps per second on CartPole-v1 with 8 vector envs against 1.

Three settings, each timed for n_envs = 1 and n_envs = 8 (a SyncVectorEnv), rounds alternating:

    collect      acting and storing only: ε = 0.04 (a Q forward pass nearly every step: one
                 batched pass per vector step with 8 envs), no gradient step
    per-env      training at the same gradient steps per env step as one env: DQN's defaults,
                 128 gradient steps every 256 env steps (0.5 per env step) for both
    per-vector   training at the same gradient steps per vector step (Stable-Baselines3's
                 convention: train_freq counts steps of the vector env, so 8 envs collect 8x the
                 transitions per gradient step): 128 every 256 vector steps, i.e. every 2048 env
                 steps with 8 envs — the same gradient steps per second of acting

Target (issue 12): >= 3x the env steps/s with 8 envs. 1 BLAS thread.

Usage: python benchmarks/rl_vector.py [--rounds 3] [--steps 4000] [--json out.json]
"""
import os

# 1 BLAS thread, set before NumPy loads (a batch of 8 would otherwise run threaded gemm on a
# busy machine: measured 20x slower there)
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

SETTINGS = {
    "collect": dict(learning_starts=0, train_freq=10**9, exploration_initial_eps=0.04,
                    exploration_final_eps=0.04),
    "per-env": dict(learning_starts=1000),
    "per-vector": dict(learning_starts=1000),
}


def _agent(setting, n_envs):
    import gymnasium as gym

    from gradsheet.rl.dqn import DQN
    options = dict(SETTINGS[setting])
    if setting == "per-vector" and n_envs > 1:
        options["train_freq"] = 256 * n_envs  # 128 gradient steps per 256 vector steps
    env = gym.make("CartPole-v1") if n_envs == 1 else \
        gym.vector.SyncVectorEnv([lambda: gym.make("CartPole-v1")] * n_envs)
    return DQN(env, seed=0, **options)


def _rate(setting, n_envs, steps):
    """(env steps/s, gradient steps per env step) over ``steps`` env steps after a warm-up that
    fills the buffer past learning_starts."""
    agent = _agent(setting, n_envs)
    agent.learn(2048 if setting != "collect" else 500)  # past learning_starts, code paths hot
    counted = [0]
    train = agent.train

    def counting(gradient_steps):
        counted[0] += gradient_steps
        return train(gradient_steps)

    agent.train = counting
    before = agent.num_timesteps
    start = time.perf_counter()
    agent.learn(steps)
    seconds = time.perf_counter() - start
    taken = agent.num_timesteps - before
    return taken / seconds, counted[0] / taken


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=4096, help="env steps per timed run")
    parser.add_argument("--n-envs", type=int, default=8)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    limiter = common.set_threads(1)
    print("BLAS:", common.blas_report())
    results = {}
    print(f"\nDQN on CartPole-v1: env steps/s, 1 env vs {args.n_envs} (SyncVectorEnv), median of "
          f"{args.rounds} rounds")
    print(f"  {'setting':<11} {'1 env':>10} {'grad/step':>9} {f'{args.n_envs} envs':>10} "
          f"{'grad/step':>9} {'speed-up':>8}")
    for setting in SETTINGS:
        one, many, ratios = [], [], []
        for _ in range(args.rounds):
            a, grads_one = _rate(setting, 1, args.steps)
            b, grads_many = _rate(setting, args.n_envs, args.steps)
            one.append(a)
            many.append(b)
            ratios.append(b / a)
        row = {"env_steps_per_s_1": statistics.median(one),
               f"env_steps_per_s_{args.n_envs}": statistics.median(many),
               "gradient_steps_per_env_step_1": grads_one,
               f"gradient_steps_per_env_step_{args.n_envs}": grads_many,
               "speedup": statistics.median(ratios)}
        results[setting] = row
        print(f"  {setting:<11} {row['env_steps_per_s_1']:>10,.0f} {grads_one:>9.3f} "
              f"{row[f'env_steps_per_s_{args.n_envs}']:>10,.0f} {grads_many:>9.3f} "
              f"{row['speedup']:>7.2f}x", flush=True)
    print("  (target: >= 3x)")
    del limiter
    common.write_json(args.json, results)


if __name__ == "__main__":
    main()
