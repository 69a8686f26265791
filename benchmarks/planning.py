"""Value iteration to epsilon = 1e-6 (gamma = 0.99): gradsheet vs pymdptoolbox, side by side.

    dense:  random MDP, S = 500, A = 4 (P as one (A, S, S) array), per solve
    sparse: random MDP, S = 20,000, A = 4, 5 successors per (s, a), end to end: building the
            MDP from COO arrays (CSR per action, validation), then solving

Besides time, each contender's V is compared with V*, the exact value of the optimal policy
(dense: a linear solve; sparse: iterative evaluation with a guaranteed 1e-12 bound):
max |V - V*| should be <= epsilon. pymdptoolbox stops on the span of V_{k+1} - V_k and returns
V_{k+1} itself, whose error can be far larger than epsilon; gradsheet returns the midpoint of the
MacQueen/Porteus bracket.

Usage: python benchmarks/planning.py [--rounds N] [--threads 1]
"""
import argparse
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

GAMMA, EPSILON = 0.99, 1e-6
# pymdptoolbox needs about two minutes per sparse solve (its set-up is quadratic in S), so the
# sparse case runs at most 3 rounds and no warm-up round.
SPARSE_STATES = int(os.environ.get("PLANNING_SPARSE_S", 20_000))  # smaller for a smoke run
CONFIGS = {"dense": dict(n_states=500, n_actions=4, successors=None, max_rounds=None, warmup=1),
           "sparse": dict(n_states=SPARSE_STATES, n_actions=4, successors=5, max_rounds=3,
                          warmup=0)}


def make_arrays(cfg, seed=0):
    """P as a dense array, or per action (rows, cols, weights) COO arrays; R (S, A)."""
    from gradsheet.rl.envs import random_transitions
    rng = np.random.default_rng(seed)
    P = random_transitions(cfg["n_states"], cfg["n_actions"], cfg["successors"], seed=seed)
    if cfg["successors"] is not None:
        P = [(Pa.tocoo().row, Pa.tocoo().col, Pa.tocoo().data) for Pa in P]
    return P, rng.standard_normal((cfg["n_states"], cfg["n_actions"]))


def build_P(P, n_states):
    if isinstance(P, np.ndarray):
        return P
    import scipy.sparse
    return [scipy.sparse.csr_matrix((w, (r, c)), shape=(n_states, n_states)) for r, c, w in P]


def gradsheet_solve(P, R, n_states):
    from gradsheet.rl import MDP, value_iteration
    return value_iteration(MDP(build_P(P, n_states), R, GAMMA), epsilon=EPSILON).V


def pymdptoolbox_solve(P, R, n_states):
    import mdptoolbox.mdp
    solver = mdptoolbox.mdp.ValueIteration(build_P(P, n_states), R, GAMMA, epsilon=EPSILON)
    solver.run()
    return np.asarray(solver.V)


def optimal_values(P, R, n_states):
    from gradsheet.rl import MDP, policy_evaluation, value_iteration
    mdp = MDP(build_P(P, n_states), R, GAMMA)
    policy = value_iteration(mdp, epsilon=1e-10).policy
    method = "exact" if not mdp.sparse else "iterative"
    return policy_evaluation(mdp, policy, method=method, epsilon=1e-12)


def run(rounds):
    import mdptoolbox.mdp  # noqa: F401  (imports outside the timed solves)
    import scipy.sparse  # noqa: F401
    results = {}
    for name, cfg in CONFIGS.items():
        P, R = make_arrays(cfg)
        S = cfg["n_states"]
        solved = {}
        contenders = {who: (lambda who=who, solve=solve: solved.__setitem__(who, solve(P, R, S)))
                      for who, solve in (("gradsheet", gradsheet_solve),
                                         ("pymdptoolbox", pymdptoolbox_solve))}
        rounds_here = min(rounds, cfg["max_rounds"] or rounds)
        times = common.interleaved(contenders, n_steps=1, rounds=rounds_here, warmup=cfg["warmup"])
        rows = common.summarise(times, reference="pymdptoolbox")
        V_star = optimal_values(P, R, S)
        for who, V in solved.items():
            rows[who]["max_abs_error"] = float(np.abs(V - V_star).max())
        results[name] = rows
        common.print_table(f"value iteration, {name} S={S} A={cfg['n_actions']}, gamma={GAMMA}, "
                           f"epsilon={EPSILON}: ms per solve, median of {rounds_here} rounds", rows,
                           reference="pymdptoolbox")
        for who, row in rows.items():
            verdict = "within" if row["max_abs_error"] <= EPSILON else "NOT within"
            print(f"  {who:<12} max |V - V*| = {row['max_abs_error']:.3g} ({verdict} epsilon)")
        speedup = 1 / rows["gradsheet"]["vs_pymdptoolbox"]
        print(f"  gradsheet is {speedup:.1f}x faster than pymdptoolbox")
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # pymdptoolbox's scipy.sparse efficiency warnings
    print("BLAS:", common.blas_report())
    limiter = common.set_threads(args.threads)
    results = run(args.rounds)
    del limiter
    common.write_json(args.json, results)


if __name__ == "__main__":
    main()
