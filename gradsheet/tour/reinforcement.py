"""Tour section: the cheat sheet's "Reinforcement learning and control" part, run.

GridWorld (Russell and Norvig's 4x3 world): value iteration's V* and pi* printed as grids and
its Bellman residual per sweep; a model estimated from a random walk converging to the true P
and planning the same policy; Q-learning reaching pi* without a model. FrozenLake 8x8
(slippery): the optimal success probability from the exact model, and the simulated success
rates of that policy and of Q-learning's.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

from gradsheet.rl import (MDP, LinearSchedule, QLearning, estimate_mdp, explore,
                          policy_evaluation, policy_iteration, value_iteration)
from gradsheet.rl.render import plot_learning_curves, plot_values, text_policy, text_values

if TYPE_CHECKING:
    from gradsheet.rl import PlanningResult
    from gradsheet.rl.envs import GridWorld

    from .report import FormulaRow, Report

GAMMA = 0.9  # Berkeley CS188's GridWorld discount
# Sizes (quick, full), checked over seeds 0-4: Q-learning's greedy policy is optimal in 9/9
# states from 2000 episodes on; the estimated model plans pi* (9/9) from 40000 steps on.
# FrozenLake: pi*'s simulated success (the claim) keeps 4000 episodes in full mode, as its 99%
# interval is as narrow as before; Q-learning's own rate (no claim) is simulated for fewer.
Q_EPISODES = (2_000, 3_000)
FROZENLAKE_Q_EPISODES = (3_000, 5_000)
FROZENLAKE_EPISODES = (1_000, 4_000)
FROZENLAKE_Q_SIMULATED = (1_000, 2_000)


def formulas() -> list[FormulaRow]:
    """(formula, gradsheet call, live example, implementation) for each RL line of the sheet."""
    from gradsheet import reference
    from gradsheet.rl import mdp as mdp_module, model, planning, tabular
    # one state worth R = 1 per step, gamma = 0.5: V = 1 / (1 - 0.5) = 2
    loop = MDP(np.ones((1, 1, 1)), np.ones(1), 0.5)
    # two actions: stay (reward 0) or leave to a terminal state worth R = 1
    choice = MDP(np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]]),
                 np.array([0.0, 1.0]), 0.9, terminal=[1])
    vi = value_iteration(choice, epsilon=1e-9)
    counts = estimate_mdp([(0, 0, 0.0, 0), (0, 0, 0.0, 1), (0, 0, 0.0, 1)], 2, 1).mdp.P[0, 0]
    # one episode on a two-cell corridor "S+": the step into the +1 exit updates
    # Q(S, right) = 0 + 0.5 (1 - 0) = 0.5 (a bump into the edge leaves Q at 0)
    from gradsheet.rl.envs import GridWorld
    agent = QLearning(alpha=0.5, gamma=0.9, epsilon=0.0, seed=0)
    agent.learn(GridWorld("S+", living_reward=0.0, slip=0.0), 1)
    return [
        ("MDP (S, A, P_sa, gamma, R)", "rl.MDP(P, R, gamma)", repr(choice), mdp_module.MDP),
        ("V^pi(s) = E[sum_t gamma^t R(s_t)]", "rl.policy_evaluation(mdp, pi)",
         f"R = 1 forever, gamma = 0.5 -> V = {policy_evaluation(loop, np.zeros(1, int))[0]:.4g}",
         planning.policy_evaluation),
        ("V*(s) = R(s) + max_a gamma sum P_sa(s') V*(s')", "rl.value_iteration(mdp)",
         f"stay or exit to R = 1 (gamma 0.9) -> V* = {np.round(vi.V, 4).tolist()}",
         reference.bellman_backup),
        ("pi*(s) = argmax_a sum P_sa(s') V*(s')", "rl.greedy_policy(mdp, V)",
         f"-> pi* = {vi.policy.tolist()} (leave)", planning.greedy_policy),
        ("P_sa(s') = #(s, a, s') / #(s, a)", "rl.estimate_mdp(transitions, S, A)",
         f"s'=0 once, s'=1 twice -> {np.round(counts, 4).tolist()}", model.estimate_mdp),
        ("Q(s,a) += alpha [r + gamma max Q(s',.) - Q(s,a)]", "rl.QLearning(alpha, gamma)",
         f"alpha=0.5, Q = 0, r = 1 into a terminal -> Q = {agent.Q[0, 2]:.4g}",
         tabular.QLearning),
    ]


def run(report: Report, quick: bool = False, seed: int = 0, verbose: int = 1) -> None:
    """Section 4, reinforcement learning: value iteration on GridWorld, model estimation from a
    random walk, Q-learning, and FrozenLake 8x8.

    Every figure is printed and recorded in ``report``. ``quick`` shrinks the experiments to
    fit the tour's --quick budget; ``seed`` fixes every random draw; ``verbose`` is taken for
    the sections' common signature (this section shows no progress bars).
    """
    from gradsheet.rl.envs import GridWorld
    report.section("reinforcement", "4. Reinforcement learning and control: MDPs, Bellman, "
                   "value iteration, model estimation, Q-learning")
    report.formula_table(formulas())
    world = GridWorld(gamma=GAMMA)
    optimum = _gridworld_planning(report, world)
    _model_estimation(report, world, optimum, quick, seed)
    _gridworld_q_learning(report, world, optimum, quick, seed)
    _frozenlake(report, quick, seed)


def _gridworld_planning(report: Report, world: GridWorld) -> PlanningResult:
    report.text(f"\nGridWorld 4x3 (exits +1/-1, wall, living reward -0.04, slips 0.8/0.1/0.1), "
                f"gamma={GAMMA}: value iteration from V_0 = 0 to epsilon = 1e-6")
    result = value_iteration(world.mdp, epsilon=1e-6)
    report.text("V*:\n" + _indent(text_values(result.V, world)))
    report.text("pi*:\n" + _indent(text_policy(result.policy, world)))
    report.record("V_star", result.V.tolist())
    report.record("pi_star", result.policy.tolist())
    residuals = result.residuals
    report.record("bellman_residuals", residuals)
    shown = ", ".join(f"{r:.2e}" for r in residuals[:3] + residuals[-2:])
    report.figure("value_iteration_sweeps", result.iterations,
                  f"sweeps to epsilon (residual max|T V - V| first and last: {shown})")
    ratios = [b / a for a, b in zip(residuals, residuals[1:]) if a > 0]
    report.claim("residual_contracts", "the Bellman residual shrinks by a factor gamma or better "
                 "per sweep (T is a gamma-contraction)", max(ratios) <= GAMMA + 1e-12,
                 f"largest ratio of successive residuals {max(ratios):.4f}, gamma = {GAMMA}")
    exact = policy_iteration(world.mdp)
    gap = float(np.abs(exact.V - result.V).max())
    report.figure("vi_vs_policy_iteration", gap, "max |V_VI - V_PI| (exact linear solve)", "{:.2e}")
    report.claim("vi_epsilon_accurate", "value iteration's V is within epsilon = 1e-6 of V*",
                 gap <= 1e-6 and np.array_equal(exact.policy, result.policy),
                 f"max error {gap:.2e}, same policy as policy iteration: "
                 f"{np.array_equal(exact.policy, result.policy)}")
    title = "GridWorld: V* and pi* (value iteration)"
    report.plot("gridworld_values", title,
                lambda plt: plot_values(result.V, world, result.policy, title=title))
    return result


def _model_estimation(report: Report, world: GridWorld, optimum: PlanningResult, quick: bool,
                      seed: int) -> None:
    counts = (1_000, 10_000, 40_000) if quick else (1_000, 10_000, 40_000, 160_000)
    report.text(f"\nModel estimation from a random walk: P_sa(s') = #(s, a, s') / #(s, a), "
                f"then value iteration on the estimate ({', '.join(map(str, counts))} steps)")
    rows = explore(world, counts[-1], seed=seed)
    live = ~world.terminal
    outcome = []
    for n in counts:
        estimate = estimate_mdp(rows[:n], world.mdp.n_states, 4, gamma=GAMMA)
        error = float(np.abs(estimate.mdp.P - world.mdp.P)[:, live].max())
        policy = value_iteration(estimate.mdp).policy
        agree = int((policy == optimum.policy)[live].sum())
        outcome.append({"samples": n, "max_abs_error_P": error, "policy_agreement": agree})
        report.text(f"  {n:>7} steps: max |P_hat - P| = {error:.4f}, optimal policy in "
                    f"{agree}/{int(live.sum())} states")
    report.record("model_estimation", outcome)
    errors = [o["max_abs_error_P"] for o in outcome]
    holds = errors[-1] < errors[0] and outcome[-1]["policy_agreement"] == int(live.sum())
    report.claim("model_converges", "the maximum-likelihood model converges to the true P and "
                 "plans the optimal policy", holds,
                 f"max error {errors[0]:.4f} -> {errors[-1]:.4f}; policy agreement "
                 f"{outcome[-1]['policy_agreement']}/{int(live.sum())} at {counts[-1]} steps")


def _gridworld_q_learning(report: Report, world: GridWorld, optimum: PlanningResult,
                          quick: bool, seed: int) -> None:
    episodes = Q_EPISODES[0] if quick else Q_EPISODES[1]
    # Q-learning is off-policy: a random behaviour (epsilon = 1) tries every (s, a) often, and
    # alpha = 1/N(s, a) meets the Robbins-Monro conditions of its convergence to Q*.
    report.text(f"\nQ-learning on GridWorld (no model): alpha = 1/N(s, a), gamma={GAMMA}, random "
                f"behaviour (epsilon = 1: it learns Q* off-policy), {episodes} episodes")
    agent = QLearning(alpha="visits", gamma=GAMMA, epsilon=1.0, seed=seed)
    start = time.perf_counter()
    agent.learn(world, episodes)
    report.figure("q_learning_seconds", round(time.perf_counter() - start, 2), "time (s)", "{:.2f}")
    live = ~world.terminal
    policy = agent.greedy_policy()
    report.text("greedy policy of Q:\n" + _indent(text_policy(policy, world)))
    agree = int((policy == optimum.policy)[live].sum())
    loss = float((optimum.V - policy_evaluation(world.mdp, policy))[live].max())
    report.record("q_learning_policy", policy.tolist())
    q_error = float(np.abs(agent.Q - optimum.Q)[live].max())
    report.figure("q_learning_max_q_error", q_error, "max |Q - Q*| over non-terminal states",
                  "{:.4f}")
    report.figure("q_learning_value_loss", loss, "max_s V*(s) - V^pi_Q(s)", "{:.4f}")
    report.claim("q_learning_optimal", "Q-learning reaches the optimal policy",
                 agree == int(live.sum()),
                 f"greedy policy optimal in {agree}/{int(live.sum())} states; value loss {loss:.4f}")


def _frozenlake(report: Report, quick: bool, seed: int) -> None:
    import gymnasium as gym
    env = gym.make("FrozenLake8x8-v1")
    assert env.spec is not None  # gym.make sets it
    horizon = env.spec.max_episode_steps
    gamma = 0.999
    mdp = MDP.from_gymnasium(env, gamma=gamma)
    report.text(f"\nFrozenLake 8x8 (slippery: 1/3 each to the intended and the two side moves), "
                f"exact model from env.unwrapped.P, value iteration at gamma={gamma}")
    result = value_iteration(mdp, epsilon=1e-8)
    report.text("pi*:\n" + _indent(text_policy(result.policy, (8, 8), mdp.terminal)))
    # the success probability of pi*: reward 1 at the goal, undiscounted
    forever = policy_evaluation(mdp, result.policy, gamma=1.0)[0]
    limited = policy_evaluation(mdp, result.policy, gamma=1.0, horizon=horizon)[0]
    report.figure("frozenlake_success_probability", float(forever),
                  "optimal policy's success probability, no time limit", "{:.4f}")
    report.figure("frozenlake_success_probability_limit", float(limited),
                  f"... within the env's {horizon}-step limit", "{:.4f}")
    episodes = FROZENLAKE_EPISODES[0] if quick else FROZENLAKE_EPISODES[1]
    simulated = _success_rate(env, result.policy, episodes, seed)
    low, high = _binomial_interval(limited, episodes)
    report.figure("frozenlake_simulated_success", simulated,
                  f"simulated success rate of pi* ({episodes} episodes)", "{:.4f}")
    report.claim("frozenlake_simulation_matches", "the simulated success rate matches the exact "
                 "success probability", low <= simulated <= high,
                 f"{simulated:.4f} vs {limited:.4f}, 99% binomial interval [{low:.4f}, {high:.4f}]")
    q_episodes = FROZENLAKE_Q_EPISODES[0] if quick else FROZENLAKE_Q_EPISODES[1]
    agent = QLearning(alpha=0.1, gamma=0.99, epsilon=LinearSchedule(1.0, 0.05, 0.8 * q_episodes),
                      seed=seed)
    start = time.perf_counter()
    returns = agent.learn(env, q_episodes)
    report.figure("frozenlake_q_learning_seconds", round(time.perf_counter() - start, 2),
                  f"Q-learning, {q_episodes} episodes, epsilon 1 -> 0.05: time (s)", "{:.2f}")
    q_simulated = FROZENLAKE_Q_SIMULATED[0] if quick else FROZENLAKE_Q_SIMULATED[1]
    learned = _success_rate(env, agent.greedy_policy(), q_simulated, seed + 1)
    report.figure("frozenlake_q_learning_success", learned,
                  f"simulated success rate of Q-learning's greedy policy ({q_simulated} episodes)",
                  "{:.4f}")
    title = "Q-learning on FrozenLake 8x8: success per episode"
    optimum = [(limited, f"pi*, exact ({horizon}-step limit)")]
    report.plot("frozenlake_q_learning", title,
                lambda plt: plot_learning_curves({"Q-learning": returns}, window=500,
                                                 ylabel="success", title=title,
                                                 references=optimum))


def _success_rate(env: Any, policy: np.ndarray, episodes: int, seed: int) -> float:
    successes, (state, _) = 0, env.reset(seed=seed)
    for _ in range(episodes):
        while True:
            state, reward, terminated, truncated, _ = env.step(int(policy[state]))
            if terminated or truncated:
                successes += reward > 0
                break
        state, _ = env.reset()
    return successes / episodes


def _binomial_interval(p: float, n: int, z: float = 2.576) -> tuple[float, float]:
    """The 99% interval of a success rate over n trials (normal approximation)."""
    half = z * np.sqrt(p * (1 - p) / n)
    return max(0.0, p - half), min(1.0, p + half)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
