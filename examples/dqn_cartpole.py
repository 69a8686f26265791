"""Train a DQN on Gymnasium's CartPole-v1 and report its greedy return.

CartPole pays +1 per step the pole stays up, up to 500 steps (then the episode is truncated,
not terminated: DQN keeps bootstrapping there). "Solved" means a mean return >= 475 over 100
consecutive episodes. Training stops early once the last 100 training episodes reach it.

Usage: python examples/dqn_cartpole.py [--steps 100000] [--seed 0] [--save q.safetensors]
Needs: pip install gradsheet[rl]   (a minute or two on one CPU core)
"""
import argparse
import time

import gymnasium as gym
import numpy as np

from gradsheet.rl import DQN


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000, help="env steps at most")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", help="write the trained Q-network here (safetensors)")
    args = parser.parse_args()

    # exploration decays over the first 8,000 steps, as in RL Zoo's 50,000-step runs
    # (exploration_fraction is a fraction of the learn call)
    agent = DQN(gym.make("CartPole-v1"), exploration_fraction=min(1.0, 8000 / args.steps),
                seed=args.seed)
    print(agent)
    start = time.perf_counter()

    def progress(agent):
        returns = agent.episode_returns
        mean_100 = np.mean(returns[-100:])
        if len(returns) % 25 == 0:
            print(f"episode {len(returns):>5}  step {agent.num_timesteps:>7,}  "
                  f"mean return (last 100) {mean_100:6.1f}  epsilon {agent.exploration_rate:.3f}"
                  f"  {time.perf_counter() - start:6.1f} s")
        if len(returns) >= 100 and mean_100 >= 475:
            print(f"solved after {agent.num_timesteps:,} steps ({len(returns)} episodes)")
            return False
        return True

    agent.learn(args.steps, callback=progress)
    result = agent.evaluate(gym.make("CartPole-v1"), episodes=20, seed=args.seed + 1000)
    print(f"greedy policy: mean return {result.mean_return:.1f} over 20 episodes "
          f"(min {result.returns.min():.0f}, max {result.returns.max():.0f}; random play: ~22)")
    if args.save:
        agent.save(args.save)
        print(f"Q-network saved to {args.save}")


if __name__ == "__main__":
    main()
