"""The cheat sheet's MDP on the classic 4x3 grid: value iteration, policy iteration, and a
model estimated from random exploration, all giving the same optimal policy.

Usage: python examples/gridworld_planning.py [--samples 40000] [--seed 0]
Needs: pip install gradsheet[rl]
"""
import argparse

import numpy as np

from gradsheet import rl


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=40_000, help="exploration steps")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    grid = rl.envs.GridWorld(gamma=0.9)
    vi = rl.value_iteration(grid.mdp, epsilon=1e-8)      # V_{i+1} = R + max_a gamma P_a V_i
    pi = rl.policy_iteration(grid.mdp)
    print(f"value iteration: {vi.iterations} sweeps; V*:")
    print(rl.render.text_values(vi.V, grid))
    print("pi*:")
    print(rl.render.text_policy(vi.policy, grid))
    print(f"policy iteration agrees: max |V_VI - V_PI| = {np.max(np.abs(vi.V - pi.V)):.2e}")

    # P_sa(s') = #(s, a, s') / #(s, a) from random exploration, then plan on the estimate
    transitions = rl.explore(grid, n_steps=args.samples, seed=args.seed)
    estimate = rl.estimate_mdp(transitions, grid.mdp.n_states, grid.mdp.n_actions,
                               gamma=0.9)
    planned = rl.value_iteration(estimate.mdp, epsilon=1e-8)
    print(f"model from {args.samples} random steps: max |P_hat - P| = "
          f"{np.max(np.abs(estimate.mdp.P - grid.mdp.P)):.3f}; same optimal policy: "
          f"{np.array_equal(planned.policy, vi.policy)}")


if __name__ == "__main__":
    main()
