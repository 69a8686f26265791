"""Planning in a known MDP: the Bellman equation, value iteration and policy iteration.

    V^pi(s) = R(s, pi(s)) + gamma * sum_s' P_s,pi(s)(s') V^pi(s')        (policy evaluation)
    V*(s) = max_a [ R(s, a) + gamma * sum_s' P_sa(s') V*(s') ]          (Bellman optimality)
    pi*(s) = argmax_a Q*(s, a)
    V_0 = 0,  V_{k+1} = T V_k                                             (value iteration)

Every sweep is vectorised over states and actions: one (A*S, S) @ (S,) product for a dense MDP,
one sparse matrix-vector product per action for a sparse one; no loop over states.

Stopping rule (gamma < 1), the MacQueen/Porteus bounds: with D = V_{k+1} - V_k,

    V_{k+1} + gamma/(1-gamma) min D  <=  V*  <=  V_{k+1} + gamma/(1-gamma) max D

so the midpoint V_{k+1} + gamma/(1-gamma) (min D + max D)/2 is within
gamma/(1-gamma) (max D - min D)/2 of V* in sup norm; iteration stops once that is <= epsilon.
This guarantees V itself, not only the greedy policy, and the span (max D - min D) shrinks far
faster than max |D| on most MDPs. With terminal states (continuation 0 there) the bracket needs
min D <= 0 <= max D, so min D and max D are clipped at 0.
Reference: Puterman, Markov Decision Processes (1994), sec. 6.6.3 (Prop. 6.6.1, Thm 6.6.6).

Stopping rule (gamma = 1, every policy ends): T is then a contraction of modulus
beta = 1 - 1/max(xi) in the weighted norm |x|_xi = max_s |x(s)|/xi(s), for any xi >= 1 with
xi(s) >= 1 + max_a sum_s' P_sa(s') xi(s') at non-terminal s (xi = 1.5 times the expected time
to termination under the slowest policy, certified before use), so
|V_{k+1} - V*|(s) <= xi(s) * (max xi - 1) * |V_{k+1} - V_k|_xi.
Reference: Bertsekas and Tsitsiklis, Neuro-Dynamic Programming (1996), Prop. 2.2.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from .mdp import MDP

_EXACT_MAX_STATES = 2000


@dataclass
class PlanningResult:
    """What a solver returns.

    V: value function (S,); policy: greedy deterministic policy (S,) of actions; Q: (S, A)
    action values of V; iterations: sweeps (value iteration) or improvement steps (policy
    iteration); residuals: the Bellman residual max_s |T V_k - V_k| after each of them;
    error_bound: a guaranteed bound on max_s |V - V*| (0 for an exact solve); converged.
    """

    V: np.ndarray
    policy: np.ndarray
    Q: np.ndarray
    iterations: int
    residuals: list[float] = field(default_factory=list)
    error_bound: float = 0.0
    converged: bool = True


def q_values(mdp: MDP, V: ArrayLike) -> np.ndarray:
    """Q(s, a) = R(s, a) + gamma * sum_s' P_sa(s') V(s'), as an (S, A) array."""
    _check_mdp("q_values", mdp)
    return mdp.q_values(_check_values(mdp, V))


def greedy_policy(mdp: MDP, V: ArrayLike) -> np.ndarray:
    """pi(s) = argmax_a Q(s, a) (lowest action on ties), as an int array (S,)."""
    _check_mdp("greedy_policy", mdp)
    return q_values(mdp, V).argmax(axis=1)


def bellman_residual(mdp: MDP, V: ArrayLike) -> float:
    """max_s |(T V)(s) - V(s)|, with T V(s) = max_a Q(s, a): zero exactly at V = V*."""
    _check_mdp("bellman_residual", mdp)
    values = _check_values(mdp, V)
    return float(np.abs(mdp.q_values(values).max(axis=1) - values).max())


def policy_evaluation(mdp: MDP, policy: ArrayLike, *, method: str = "auto",
                      epsilon: float = 1e-10, max_iter: int = 1_000_000,
                      gamma: Optional[float] = None, horizon: Optional[int] = None
                      ) -> np.ndarray:
    """V^pi solving V = r_pi + gamma P_pi V, for a deterministic policy.

    Args:
        method: "exact" solves (I - gamma P_pi) V = r_pi (dense LU, or sparse LU);
            "iterative" applies V <- r_pi + gamma P_pi V from V = 0 until the MacQueen
            bracket (module docstring) guarantees max |V - V^pi| <= epsilon; "auto" is exact
            up to 2000 states.
        gamma: evaluate under this discount instead of mdp.gamma; gamma = 1 needs a policy
            that ends every episode (e.g. the success probability of a FrozenLake policy).
        horizon: the exact expected return of the first ``horizon`` steps (episodes cut
            there, as Gymnasium's TimeLimit does); any gamma in [0, 1] is allowed.
    Returns:
        V, a float64 array (S,).
    """
    _check_mdp("policy_evaluation", mdp)
    policy = mdp.check_policy(policy)
    gamma = mdp.gamma if gamma is None else float(gamma)
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"policy_evaluation: gamma must be in [0, 1], got {gamma}")
    if method not in ("auto", "exact", "iterative"):
        raise ValueError(f"policy_evaluation: method must be 'auto', 'exact' or 'iterative', "
                         f"got {method!r}")
    states = np.arange(mdp.n_states)
    r_pi, P_pi = mdp.reward[states, policy], mdp.policy_matrix(policy)
    continuation = np.where(mdp.terminal, 0.0, gamma)
    if horizon is not None:
        if int(horizon) != horizon or horizon < 0:
            raise ValueError(f"policy_evaluation: horizon must be a non-negative integer, "
                             f"got {horizon}")
        V = np.zeros(mdp.n_states)
        for _ in range(int(horizon)):
            V = r_pi + continuation * (P_pi @ V)
        return V
    if gamma == 1.0:
        trapped = mdp.states_avoiding_termination(policy)
        if trapped.size:
            raise ValueError(f"policy_evaluation: with gamma = 1 the policy must end every "
                             f"episode, but from states {trapped[:10].tolist()} it never reaches "
                             "a terminal state")
    if method == "exact" or (method == "auto" and mdp.n_states <= _EXACT_MAX_STATES):
        return _solve_linear(P_pi, r_pi, continuation, mdp.sparse)
    backup = lambda V: r_pi + continuation * (P_pi @ V)  # noqa: E731
    weights = _termination_weights(mdp, [P_pi]) if gamma == 1.0 else None
    V, _, bound, converged = _iterate(backup, mdp, gamma, weights, epsilon, max_iter)
    if not converged:
        _warn_unconverged("policy_evaluation", epsilon, max_iter, bound)
    return V


def value_iteration(mdp: MDP, epsilon: float = 1e-6, max_iter: int = 100_000
                    ) -> PlanningResult:
    """V_0 = 0, V_{k+1}(s) = max_a [R(s, a) + gamma sum_s' P_sa(s') V_k(s')], until eps-accurate.

    Stops as soon as the returned V is guaranteed within epsilon of V* in sup norm (the
    MacQueen/Porteus bracket for gamma < 1, a weighted-norm contraction bound for gamma = 1;
    see the module docstring) and returns the midpoint of the bracket.
    Reference: Puterman (1994), sec. 6.6.3.

    Example (a state worth 1 per step forever, gamma = 0.5, V* = 2):
        >>> from gradsheet.rl import MDP
        >>> value_iteration(MDP(np.ones((1, 1, 1)), np.ones(1), 0.5)).V.round(6)
        array([2.])
    """
    _check_mdp("value_iteration", mdp)
    _check_epsilon("value_iteration", epsilon, max_iter)
    weights = _termination_weights(mdp, mdp.P) if mdp.gamma == 1.0 else None
    backup = lambda V: mdp.q_values(V).max(axis=1)  # noqa: E731
    V, residuals, bound, converged = _iterate(backup, mdp, mdp.gamma, weights, epsilon, max_iter)
    if not converged:
        _warn_unconverged("value_iteration", epsilon, max_iter, bound)
    return _result(mdp, V, len(residuals), residuals, bound, converged)


def policy_iteration(mdp: MDP, policy0: Optional[ArrayLike] = None, max_iter: int = 10_000,
                     method: str = "auto") -> PlanningResult:
    """Evaluate pi exactly, improve it greedily, repeat until the policy is stable.

    pi_{k+1}(s) = argmax_a Q^{pi_k}(s, a), keeping pi_k(s) on ties so that it cannot cycle.
    Starts from the greedy policy of V = 0 (max immediate reward) unless ``policy0`` is given.
    Reference: Howard (1960); Puterman (1994), sec. 6.4.
    """
    _check_mdp("policy_iteration", mdp)
    policy = greedy_policy(mdp, np.zeros(mdp.n_states)) if policy0 is None else \
        mdp.check_policy(policy0).copy()
    residuals = []
    for iteration in range(1, max_iter + 1):
        V = policy_evaluation(mdp, policy, method=method)
        Q = mdp.q_values(V)
        residuals.append(float(np.abs(Q.max(axis=1) - V).max()))
        improved = _improve(Q, policy)
        if np.array_equal(improved, policy):
            return PlanningResult(V, policy, Q, iteration, residuals)
        policy = improved
    warnings.warn(f"policy_iteration: policy still changing after {max_iter} improvements",
                  RuntimeWarning, stacklevel=2)
    return PlanningResult(V, policy, Q, max_iter, residuals, residuals[-1], converged=False)


def modified_policy_iteration(mdp: MDP, m: int = 20, epsilon: float = 1e-6,
                              max_iter: int = 100_000) -> PlanningResult:
    """Improve greedily, then m partial evaluation sweeps V <- r_pi + gamma P_pi V; repeat.

    m = 0 is value iteration, m = infinity policy iteration. Stops with the same
    epsilon guarantee on V as value_iteration: the bracket holds after a greedy backup T V
    from any V.
    Reference: Puterman and Shin (1978); Puterman (1994), sec. 6.5.
    """
    _check_mdp("modified_policy_iteration", mdp)
    _check_epsilon("modified_policy_iteration", epsilon, max_iter)
    if int(m) != m or m < 0:
        raise ValueError(f"modified_policy_iteration: m must be a non-negative integer, got {m}")
    states = np.arange(mdp.n_states)
    weights = _termination_weights(mdp, mdp.P) if mdp.gamma == 1.0 else None
    V, residuals = np.zeros(mdp.n_states), []
    for _ in range(max_iter):
        Q = mdp.q_values(V)
        policy = Q.argmax(axis=1)
        TV = Q[states, policy]
        residuals.append(float(np.abs(TV - V).max()))
        bound, corrected = _error_bound(mdp, mdp.gamma, weights, TV, V)
        if bound <= epsilon:
            return _result(mdp, corrected, len(residuals), residuals, bound, True)
        r_pi, P_pi = mdp.reward[states, policy], mdp.policy_matrix(policy)
        V = TV
        for _ in range(int(m)):
            V = r_pi + mdp.continuation * (P_pi @ V)
    _warn_unconverged("modified_policy_iteration", epsilon, max_iter, bound)
    return _result(mdp, V, len(residuals), residuals, bound, False)


def _iterate(backup: Callable[[np.ndarray], np.ndarray], mdp: MDP, gamma: float,
             weights: Optional[np.ndarray], epsilon: float, max_iter: int
             ) -> tuple[np.ndarray, list[float], float, bool]:
    """V <- backup(V) from V = 0 until the error bound is <= epsilon.

    Returns (V, residuals, bound, converged)."""
    V, residuals, bound = np.zeros(mdp.n_states), [], np.inf
    for _ in range(max_iter):
        new = backup(V)
        residuals.append(float(np.abs(new - V).max()))
        bound, corrected = _error_bound(mdp, gamma, weights, new, V)
        if bound <= epsilon:
            return corrected, residuals, bound, True
        V = new
    return V, residuals, bound, False


def _error_bound(mdp: MDP, gamma: float, weights: Optional[np.ndarray], new: np.ndarray,
                 old: np.ndarray) -> tuple[float, np.ndarray]:
    """(bound on max |V - V*|, V) after the backup new = T old (module docstring)."""
    diff = new - old
    if weights is not None:
        return float(weights.max() * (weights.max() - 1.0) * np.abs(diff / weights).max()), new
    low, high = diff.min(), diff.max()
    if mdp.terminal.any():
        low, high = min(low, 0.0), max(high, 0.0)
    scale = gamma / (1.0 - gamma)
    # Terminal values are exact after the first sweep: shift the others only.
    corrected = np.where(mdp.terminal, new, new + scale * (low + high) / 2)
    return float(scale * (high - low) / 2), corrected


def _warn_unconverged(name: str, epsilon: float, max_iter: int, bound: float) -> None:
    warnings.warn(f"{name}: not within epsilon={epsilon} after {max_iter} sweeps "
                  f"(error bound {bound:.3g})", RuntimeWarning, stacklevel=3)


def _termination_weights(mdp: MDP, matrices: Iterable[Any]) -> np.ndarray:
    """xi >= 1 with xi(s) >= 1 + max_a sum_s' P_sa(s') xi(s') at non-terminal s (certified).

    n_{k+1} = 1 + max_a P_a n_k rises to the worst expected time to termination (+1); once
    n_{k+1} - n_k <= 1/3, xi = 1.5 n_k satisfies the inequality: 1 + 1.5 (n_{k+1} - 1) <= 1.5 n_k.
    """
    nonterminal = ~mdp.terminal
    n = np.ones(mdp.n_states)
    while True:
        following = np.max(np.stack([Pa @ n for Pa in matrices]), axis=0)
        nxt = np.where(nonterminal, 1.0 + following, 1.0)
        if (nxt - n).max() <= 1.0 / 3.0:
            return 1.5 * n
        n = nxt


def _improve(Q: np.ndarray, policy: np.ndarray) -> np.ndarray:
    best = Q.argmax(axis=1)
    current = Q[np.arange(len(policy)), policy]
    # Keep the current action unless another is better by more than rounding: avoids cycling
    # between tied actions.
    tolerance = 1e-12 * np.maximum(1.0, np.abs(current))
    return np.where(Q.max(axis=1) > current + tolerance, best, policy)


def _solve_linear(P_pi: Any, r_pi: np.ndarray, continuation: np.ndarray, sparse: bool
                  ) -> np.ndarray:
    n = len(r_pi)
    if sparse:
        import scipy.sparse
        import scipy.sparse.linalg
        A = scipy.sparse.identity(n, format="csc") - scipy.sparse.diags(continuation) @ P_pi
        return scipy.sparse.linalg.spsolve(A.tocsc(), r_pi)
    A = np.eye(n) - continuation[:, None] * P_pi
    return np.linalg.solve(A, r_pi)


def _result(mdp: MDP, V: np.ndarray, iterations: int, residuals: list[float], bound: float,
            converged: bool) -> PlanningResult:
    Q = mdp.q_values(V)
    return PlanningResult(V, Q.argmax(axis=1), Q, iterations, residuals, bound, converged)


def _check_mdp(name: str, mdp: object) -> None:
    """TypeError naming ``name`` unless ``mdp`` is an MDP (gradsheet.rl.MDP, or anything with
    its interface: P, reward, gamma, n_states, q_values)."""
    from .mdp import MDP
    if isinstance(mdp, MDP):
        return
    missing = [a for a in ("P", "reward", "gamma", "n_states", "n_actions", "q_values")
               if not hasattr(mdp, a)]
    if missing:
        raise TypeError(f"{name}: argument 'mdp' must be an MDP (gradsheet.rl.MDP(P, R, gamma) or "
                        f"an env's .mdp), not {type(mdp).__name__} (it has no "
                        f"{', '.join(missing)})")


def _check_values(mdp: MDP, V: ArrayLike) -> np.ndarray:
    V = np.asarray(V, dtype=np.float64)
    if V.shape != (mdp.n_states,):
        raise ValueError(f"V must have shape (S,) = ({mdp.n_states},), got {V.shape}")
    return V


def _check_epsilon(name: str, epsilon: float, max_iter: int) -> None:
    if not isinstance(epsilon, (int, float, np.integer, np.floating)) or isinstance(epsilon, bool):
        raise TypeError(f"{name}: epsilon must be a number, not {type(epsilon).__name__}")
    if not isinstance(max_iter, (int, float, np.integer, np.floating)) or isinstance(max_iter, bool) \
            or not np.isfinite(max_iter):
        raise TypeError(f"{name}: max_iter must be a positive integer, got {max_iter!r}")
    if not epsilon > 0:
        raise ValueError(f"{name}: epsilon must be > 0, got {epsilon}")
    if int(max_iter) != max_iter or max_iter < 1:
        raise ValueError(f"{name}: max_iter must be a positive integer, got {max_iter}")
