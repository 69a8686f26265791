"""The cheat sheet's Markov decision process: the 5-tuple (S, A, {P_sa}, gamma, R).

    P[a, s, s'] = P_sa(s')            probability of moving to s' after taking a in s
    R(s, a) = sum_s' P_sa(s') R(a, s, s')   (for a reward of the transition)
    Q(s, a) = R(s, a) + gamma * sum_s' P_sa(s') V(s')          (non-terminal s)
    Q(t, a) = R(t, a)                                            (terminal t: the episode ends)

Array shapes follow pymdptoolbox: P is (A, S, S) (or A sparse (S, S) matrices), R is (S,) (the
cheat sheet's R(s), the same for every action), (S, A), or (A, S, S).

Terminal states end the episode: whatever P says about them, nothing follows them, so a state
reward R(s) is collected there once (V(t) = R(t), as in Russell and Norvig's 4x3 world) and a
transition reward (A, S, S) of an absorbing terminal contributes R[a, t, t].

Reference: Puterman, Markov Decision Processes (1994), ch. 2 and 6.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from types import ModuleType

_ROW_TOLERANCE = 1e-8


def _sparse_module() -> ModuleType:
    try:
        import scipy.sparse
    except ImportError as error:  # pragma: no cover - scipy is in the rl extra
        raise ImportError("sparse MDPs need scipy: pip install gradsheet[rl]") from error
    return scipy.sparse


def _is_sparse(matrix: Any) -> bool:
    return hasattr(matrix, "tocsr") and not isinstance(matrix, np.ndarray)


class MDP:
    """A finite MDP (S, A, {P_sa}, gamma, R), validated on construction.

    Args:
        P: transition probabilities, a dense array (A, S, S) or a list of A scipy.sparse (S, S)
            matrices; every row P[a, s, :] is a distribution over next states.
        R: rewards, (S,) for R(s), (S, A) for R(s, a), or (A, S, S) (dense, or a list of A sparse
            matrices beside a sparse P) for R(s, a, s').
        gamma: discount in [0, 1]. gamma = 1 is allowed only when terminal states end the
            episode under every policy (from every state, every policy reaches a terminal state
            with probability 1), so that every value is finite.
        terminal: terminal states, as indices or a boolean mask of length S.

    Attributes:
        n_states, n_actions, gamma, sparse, P (float64 (A, S, S) or list of CSR matrices),
        reward ((S, A) expected immediate reward R(s, a)), terminal (boolean mask (S,)).

    Example: a two-state chain, 1 per step in state 1:
        >>> mdp = MDP(np.array([[[0.0, 1.0], [0.0, 1.0]]]), np.array([0.0, 1.0]), gamma=0.5)
        >>> mdp.n_states, mdp.n_actions
        (2, 1)
    """

    def __init__(self, P: Any, R: ArrayLike, gamma: float, terminal: Optional[ArrayLike] = None
                 ) -> None:
        self.P, self.sparse = _validate_transitions(P)
        self.n_actions, self.n_states = len(self.P), self.P[0].shape[0]
        self.terminal = _validate_terminal(terminal, self.n_states)
        self.reward = _expected_reward(R, self.P, self.sparse, self.n_states, self.n_actions)
        if not 0.0 <= float(gamma) <= 1.0:
            raise ValueError(f"MDP: gamma must be in [0, 1], got {gamma}")
        self.gamma = float(gamma)
        if self.gamma == 1.0:
            trapped = self.states_avoiding_termination()
            if trapped.size:
                raise ValueError(
                    "MDP: gamma = 1 needs every policy's episode to end, but some policy stays "
                    f"forever among non-terminal states {trapped[:10].tolist()}"
                    f"{' ...' if trapped.size > 10 else ''} ({trapped.size} states; "
                    f"terminal states: {np.flatnonzero(self.terminal)[:10].tolist()}); "
                    "use gamma < 1 or mark terminal states")
        # Discount of the continuation, per state: zero where the episode ends.
        self.continuation = np.where(self.terminal, 0.0, self.gamma)

    def __repr__(self) -> str:
        kind = "sparse" if self.sparse else "dense"
        return (f"MDP(n_states={self.n_states}, n_actions={self.n_actions}, gamma={self.gamma}, "
                f"{kind}, terminal={int(self.terminal.sum())})")

    def expected_next(self, V: np.ndarray) -> np.ndarray:
        """sum_s' P_sa(s') V(s') for every (s, a), as an (S, A) array: one contraction."""
        if self.sparse:
            return np.stack([Pa @ V for Pa in self.P], axis=1)
        # (A, S, S) @ (S,) -> (A, S): one BLAS matrix-vector product over all (a, s) rows.
        return (self.P.reshape(-1, self.n_states) @ V).reshape(self.n_actions, -1).T

    def q_values(self, V: np.ndarray) -> np.ndarray:
        """Q(s, a) = R(s, a) + gamma * sum_s' P_sa(s') V(s'), zero continuation at terminals."""
        return self.reward + self.continuation[:, None] * self.expected_next(V)

    def policy_matrix(self, policy: ArrayLike) -> Any:
        """P_pi[s, s'] = P[pi(s), s, s'] (dense array, or CSR for a sparse MDP)."""
        policy = self.check_policy(policy)
        if not self.sparse:
            return self.P[policy, np.arange(self.n_states)]
        sp = _sparse_module()
        rows = [sp.diags((policy == a).astype(float)) @ Pa for a, Pa in enumerate(self.P)]
        return sum(rows[1:], rows[0]).tocsr()

    def check_policy(self, policy: ArrayLike) -> np.ndarray:
        """A deterministic policy as an int array (S,) of actions, validated."""
        policy = np.asarray(policy)
        if policy.shape != (self.n_states,) or not np.issubdtype(policy.dtype, np.integer):
            raise ValueError(f"policy must be an integer array of shape ({self.n_states},), got "
                             f"shape {policy.shape} dtype {policy.dtype}")
        bad = np.flatnonzero((policy < 0) | (policy >= self.n_actions))
        if bad.size:
            raise ValueError(f"policy: action {policy[bad[0]]} in state {bad[0]} is outside "
                             f"[0, {self.n_actions})")
        return policy

    def states_avoiding_termination(self, policy: Optional[ArrayLike] = None) -> np.ndarray:
        """Non-terminal states from which some policy (or ``policy``) never reaches a terminal.

        The largest set X of non-terminal states such that every s in X has an action whose
        successors all lie in X; found as a fixed point, dropping states until none leaves.
        X is empty exactly when every policy ends every episode with probability 1.
        """
        inside = ~self.terminal
        matrices = self.P if policy is None else [self.policy_matrix(policy)]
        support = [(Pa != 0).astype(np.float64) for Pa in matrices]
        while True:
            outside = (~inside).astype(np.float64)
            # An action keeps s inside when none of its successors is outside.
            keeps = np.zeros(self.n_states, dtype=bool)
            for Ba in support:
                keeps |= (Ba @ outside) == 0
            still = inside & keeps
            if still.sum() == inside.sum():
                return np.flatnonzero(still)
            inside = still

    @classmethod
    def from_gymnasium(cls, env: Any, gamma: float) -> MDP:
        """The exact MDP of a toy-text Gymnasium env that publishes its model.

        Reads ``env.unwrapped.P[s][a] = [(prob, next_state, reward, terminated), ...]``
        (FrozenLake-v1, FrozenLake8x8-v1, Taxi-v4, CliffWalking-v1). Repeated next states add
        up; R(s, a) is the expected reward. A state is terminal when transitions into it end
        the episode; it is made absorbing with reward 0, since nothing follows it.
        """
        table = getattr(env.unwrapped, "P", None)
        if not isinstance(table, dict):
            raise TypeError(f"MDP.from_gymnasium: {type(env.unwrapped).__name__} has no model "
                            "table env.unwrapped.P[s][a] = [(prob, next_state, reward, "
                            "terminated), ...]")
        n_states, n_actions = len(table), len(table[0])
        entries = [(s, a, prob, int(nxt), r, bool(terminated))
                   for s, actions in table.items() for a, outcomes in actions.items()
                   for prob, nxt, r, terminated in outcomes]
        src, act, probs, cols, rewards, ends = (np.array(column) for column in zip(*entries))
        terminal = np.zeros(n_states, dtype=bool)
        terminal[cols[ends]] = True
        # Rows of terminal states are dropped below (Taxi's table goes on after a drop-off,
        # through states that exist only after one); but from a state an episode can reach,
        # entering a terminal state must end the episode.
        start = getattr(env.unwrapped, "initial_state_distrib", None)
        live = _reachable(src, cols, ends, n_states, start)
        mixed = live[src] & terminal[cols] & ~ends
        if mixed.any():
            i = np.flatnonzero(mixed)[0]
            raise ValueError(f"MDP.from_gymnasium: state {cols[i]} is terminal (entered by a "
                             f"terminating transition) but entered from state {src[i]} by action "
                             f"{act[i]} without ending the episode")
        rows = act * n_states + src
        reward: np.ndarray = np.zeros(n_states * n_actions)
        np.add.at(reward, src * n_actions + act, probs * rewards)
        reward = reward.reshape(n_states, n_actions)
        P: np.ndarray = np.zeros((n_actions * n_states, n_states))
        np.add.at(P, (rows, cols), probs)
        P = P.reshape(n_actions, n_states, n_states)
        P[:, terminal] = 0.0
        P[:, terminal, terminal] = 1.0
        reward[terminal] = 0.0
        return cls(P, reward, gamma, terminal=terminal)


def _reachable(src: np.ndarray, dst: np.ndarray, ends: np.ndarray, n_states: int,
               start_distribution: Optional[ArrayLike]) -> np.ndarray:
    """States an episode can visit: from the start states along transitions that do not end it
    (every state when the start distribution is unknown)."""
    if start_distribution is None:
        return np.ones(n_states, dtype=bool)
    reached = np.asarray(start_distribution) > 0
    while True:
        more = reached.copy()
        more[dst[reached[src] & ~ends]] = True
        if (more == reached).all():
            return reached
        reached = more


def _validate_transitions(P: Any) -> tuple[Any, bool]:
    """Dense float64 (A, S, S) or a list of CSR float64 matrices; rows are distributions.

    The first of the pair is Any: an array or a list of CSR matrices, told apart by the second
    (``sparse``), so MDP.P reads as either without a narrowing at each use.
    """
    if isinstance(P, (list, tuple)) and P and all(_is_sparse(Pa) for Pa in P):
        matrices = [Pa.tocsr().astype(np.float64) for Pa in P]
        shape = matrices[0].shape
        for a, Pa in enumerate(matrices):
            if Pa.shape != shape or shape[0] != shape[1]:
                raise ValueError(f"MDP: P[{a}] has shape {Pa.shape}; every action needs the same "
                                 f"square (S, S) matrix as P[0] {shape}")
            _check_rows(a, Pa.data.min() if Pa.nnz else 0.0, Pa, np.asarray(Pa.sum(axis=1)).ravel())
        return matrices, True
    P = np.asarray(P, dtype=np.float64)
    if P.ndim != 3 or P.shape[1] != P.shape[2] or P.shape[1] == 0 or P.shape[0] == 0:
        raise ValueError(f"MDP: P must have shape (A, S, S) (or be a list of A sparse (S, S) "
                         f"matrices), got shape {P.shape}")
    P = np.ascontiguousarray(P)
    for a in range(P.shape[0]):
        _check_rows(a, P[a].min(), P[a], P[a].sum(axis=1))
    return P, False


def _check_rows(a: int, smallest: float, Pa: Any, sums: np.ndarray) -> None:
    if not np.isfinite(sums).all() or smallest < 0:
        values = Pa.toarray() if _is_sparse(Pa) else Pa
        s, t = np.argwhere(~(values >= 0))[0]
        raise ValueError(f"MDP: P[{a}, {s}, {t}] = {values[s, t]} is not a probability (negative "
                         "or not finite)")
    bad = np.flatnonzero(np.abs(sums - 1.0) > _ROW_TOLERANCE)
    if bad.size:
        s = bad[0]
        raise ValueError(f"MDP: row P[{a}, {s}, :] sums to {float(sums[s])!r}, not 1 (within "
                         f"{_ROW_TOLERANCE}): P_sa must be a distribution over next states "
                         f"(action {a}, state {s}; {bad.size} such rows for action {a})")


def _validate_terminal(terminal: Optional[ArrayLike], n_states: int) -> np.ndarray:
    mask = np.zeros(n_states, dtype=bool)
    if terminal is None:
        return mask
    terminal = np.asarray(terminal)
    if terminal.dtype == bool:
        if terminal.shape != (n_states,):
            raise ValueError(f"MDP: a boolean terminal mask needs shape ({n_states},), got "
                             f"{terminal.shape}")
        return terminal.copy()
    if terminal.size and not np.issubdtype(terminal.dtype, np.integer):
        raise ValueError(f"MDP: terminal must be state indices or a boolean mask, got dtype "
                         f"{terminal.dtype}")
    terminal = terminal.ravel().astype(np.int64)
    bad = terminal[(terminal < 0) | (terminal >= n_states)]
    if bad.size:
        raise ValueError(f"MDP: terminal state {bad[0]} is outside [0, {n_states})")
    mask[terminal] = True
    return mask


def _expected_reward(R: Any, P: Any, sparse: bool, n_states: int, n_actions: int
                     ) -> np.ndarray:
    """R(s, a) as a float64 (S, A) array from R(s), R(s, a) or R(s, a, s')."""
    if isinstance(R, (list, tuple)) and R and all(_is_sparse(Ra) for Ra in R):
        if len(R) != n_actions or any(Ra.shape != (n_states, n_states) for Ra in R):
            raise ValueError(f"MDP: R as sparse matrices needs {n_actions} matrices of shape "
                             f"({n_states}, {n_states}), got {[Ra.shape for Ra in R]}")
        reward = np.stack([np.asarray(Pa.multiply(Ra).sum(axis=1)).ravel()
                           for Pa, Ra in zip(P, R)], axis=1)
    else:
        R = np.asarray(R, dtype=np.float64)
        if R.shape == (n_states,):
            reward = np.repeat(R[:, None], n_actions, axis=1)
        elif R.shape == (n_states, n_actions):
            reward = R.copy()
        elif R.shape == (n_actions, n_states, n_states):
            reward = np.stack([np.asarray(Pa.multiply(Ra).sum(axis=1)).ravel() if sparse
                               else (Pa * Ra).sum(axis=1) for Pa, Ra in zip(P, R)], axis=1)
        else:
            raise ValueError(f"MDP: R must have shape (S,) = ({n_states},), (S, A) = ({n_states}, "
                             f"{n_actions}) or (A, S, S) = ({n_actions}, {n_states}, {n_states}), "
                             f"got {R.shape}")
    if not np.isfinite(reward).all():
        s, a = np.argwhere(~np.isfinite(reward))[0]
        raise ValueError(f"MDP: reward R({s}, {a}) = {reward[s, a]} is not finite")
    return reward
