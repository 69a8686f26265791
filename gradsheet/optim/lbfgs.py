"""L-BFGS: a quasi-Newton method whose inverse Hessian is built from the last few steps."""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Optional

import numpy as np

from ..autograd.tensor import Tensor
from ._common import LR
from .optimizer import Optimizer, ParamsT


def _cubic_interpolate(x1: float, f1: float, g1: float, x2: float, f2: float, g2: float,
                       bounds: Optional[tuple[float, float]] = None) -> float:
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clamped.

    With d1 = g1 + g2 - 3 (f1 - f2) / (x1 - x2) and d2 = sqrt(d1² - g1 g2), the minimiser is
    x2 - (x2 - x1) (g2 + d2 - d1) / (g2 - g1 + 2 d2) (for x1 <= x2; mirrored otherwise). When
    d1² < g1 g2 the cubic has no minimum and the middle of the bounds is returned. ``bounds``
    defaults to [min(x1, x2), max(x1, x2)].
    """
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2.0
    d2 = math.sqrt(d2_square)
    if x1 <= x2:
        position = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        position = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(position, low), high)


def _strong_wolfe(evaluate: Callable[[float], tuple[float, np.ndarray]], t: float,
                  d: np.ndarray, f: float, g: np.ndarray, gtd: float, c1: float = 1e-4,
                  c2: float = 0.9, tolerance_change: float = 1e-9,
                  max_ls: int = 25) -> tuple[float, np.ndarray, float, int]:
    """A step t along d meeting the strong Wolfe conditions (Nocedal & Wright, Alg. 3.5-3.6).

    f(x + t d) <= f + c1 t gᵀd (sufficient decrease) and |∇f(x + t d)ᵀd| <= c2 |gᵀd|
    (curvature). First t grows (cubic extrapolation, within [t + 0.01 (t - t_prev), 10 t])
    until an interval brackets such a point, then the interval shrinks by cubic interpolation
    (kept at least 10% inside it) until a point satisfies both, the interval is shorter than
    ``tolerance_change``, or ``max_ls`` evaluations are spent. ``evaluate(t)`` returns
    (f(x + t d), ∇f(x + t d)) with the parameters left at x.

    Returns (f_new, g_new, t, evaluations).
    """
    d_norm = float(np.abs(d).max())
    g = g.copy()
    f_new, g_new = evaluate(t)
    evaluations = 1
    gtd_new = float(g_new.dot(d))
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    # the slopes at the bracket's ends: set wherever phase 2 (the zoom) runs
    bracket: list[float]
    bracket_gtd: list[float] = []
    # phase 1: grow t until [t_prev, t] brackets a point satisfying the conditions
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # extrapolate
        previous = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                               bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = previous, f_new, g_new.copy(), gtd_new
        f_new, g_new = evaluate(t)
        evaluations += 1
        gtd_new = float(g_new.dot(d))
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # phase 2: shrink the bracket (zoom)
    insufficient_progress = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        # keep t at least 10% of the interval away from its ends
        top, bottom = max(bracket), min(bracket)
        margin = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < margin:
            if insufficient_progress or t >= top or t <= bottom:
                t = top - margin if abs(t - top) < abs(t - bottom) else bottom + margin
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new = evaluate(t)
        evaluations += 1
        gtd_new = float(g_new.dot(d))
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket_f[low]:
            # sufficient decrease fails: t becomes the high end
            bracket[high], bracket_f[high] = t, f_new
            bracket_g[high], bracket_gtd[high] = g_new.copy(), gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                # the old low end becomes the high end
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low] = t, f_new
            bracket_g[low], bracket_gtd[low] = g_new.copy(), gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evaluations


class LBFGS(Optimizer):
    """L-BFGS: θ ← θ + t d, d = -H ∇ with H the inverse-Hessian estimate from the last m (s, y) pairs.

    Algorithm (PyTorch's), on θ, all parameters flattened into one vector; each ``step(closure)``
    runs up to ``max_iter`` iterations::

        g = ∇L(θ)   (closure()); stop if max |g| <= tolerance_grad
        iteration k:
            k = 1 (first ever):  d = -g, H₀ = 1
            k > 1:  y = g - g_prev, s = t d;  if yᵀs > 1e-10 keep (s, y, ρ = 1 / yᵀs) (the last
                    m = history_size pairs) and set H₀ = yᵀs / yᵀy
                    d = -H g by the two-loop recursion:
                        q = -g;  for i newest → oldest: a_i = ρ_i s_iᵀq, q ← q - a_i y_i
                        r = H₀ q; for i oldest → newest: b_i = ρ_i y_iᵀr, r ← r + (a_i - b_i) s_i
                        d = r
            t = lr · min(1, 1 / Σ|g|) at the very first iteration, else lr
            stop if gᵀd > -tolerance_change (d is no descent direction)
            line_search_fn None: θ ← θ + t d, then re-evaluate L and g
            'strong_wolfe':     t from a strong-Wolfe line search along d (cubic
                                interpolation, see ``_strong_wolfe``), θ ← θ + t d
            stop after max_iter iterations or max_eval evaluations, or when max |g| <=
            tolerance_grad, max |t d| <= tolerance_change or |ΔL| < tolerance_change.

    ``step`` returns the loss of its first closure() call. State (all of it on the first
    parameter, as in torch): ``func_evals``, ``n_iter``, ``d``, ``t``, ``old_dirs`` (y's),
    ``old_stps`` (s's), ``ro`` (ρ's), ``H_diag`` (H₀), ``prev_flat_grad``, ``prev_loss``,
    ``al`` (the a_i).

    Args:
        params: Tensors (one group only; LBFGS has no per-group options).
        lr: the step scale (default 1).
        max_iter: iterations per ``step`` (default 20).
        max_eval: closure evaluations per ``step`` (default max_iter · 5 // 4).
        tolerance_grad: stop when max |g| is at most this (default 1e-7).
        tolerance_change: stop when the step or the loss change is below this (default 1e-9).
        history_size: m, the (s, y) pairs kept (default 100).
        line_search_fn: None or 'strong_wolfe' (default None).

    Reference: Nocedal & Wright, "Numerical Optimization" (2nd ed.), Alg. 7.4 and 3.5-3.6;
    Liu & Nocedal, "On the limited memory BFGS method", Math. Programming 1989.
    Example: on L = ½ Σ θ² the first iteration moves θ by t = min(1, 1 / Σ|g|) along -g; then
    y = s, so H₀ = 1 is the exact inverse Hessian and the second iteration lands on θ = 0.
    """

    _rules = (LR,)

    def __init__(self, params: ParamsT, lr: float = 1, max_iter: int = 20,
                 max_eval: Optional[int] = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: Optional[str] = None) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups): got "
                             f"{len(self.param_groups)} groups")
        self._params = self.param_groups[0]["params"]

    # ------------------------------------------------------------ flat views
    def _flat_grad(self) -> np.ndarray:
        return np.concatenate([p.grad.array.ravel() if p.grad is not None
                               else np.zeros(p.array.size, p.array.dtype) for p in self._params])

    def _add_step(self, t: float, d: np.ndarray) -> None:
        """θ ← θ + t d, d cut into the parameters' shapes."""
        offset = 0
        for p in self._params:
            n = p.array.size
            np.add(p.array, np.multiply(d[offset:offset + n], t).reshape(p.array.shape), p.array)
            offset += n

    def _directional_evaluate(self, closure: Callable[[], float], x: Sequence[np.ndarray],
                              t: float, d: np.ndarray) -> tuple[float, np.ndarray]:
        """(L(x + t d), ∇L(x + t d)), the parameters restored to x afterwards."""
        self._add_step(t, d)
        loss = float(self._evaluate(closure))
        flat_grad = self._flat_grad()
        for p, saved in zip(self._params, x):
            np.copyto(p.array, saved)
        return loss, flat_grad

    # ------------------------------------------------------------ the step
    def step(self, closure: Optional[Callable[[], float]] = None) -> float:
        """Run up to ``max_iter`` L-BFGS iterations; ``closure`` re-evaluates the loss and its
        gradients (zero_grad, forward, backward) and returns the loss.
        """
        if len(self.param_groups) != 1:
            raise ValueError(f"LBFGS: expected exactly one param_group, got "
                             f"{len(self.param_groups)}")
        if closure is None:
            raise TypeError("LBFGS.step: a closure that re-evaluates the loss is required")
        group = self.param_groups[0]
        lr = float(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = self._evaluate(closure)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss

        # None before the first iteration ever, which sets them
        d: Optional[np.ndarray] = state.get("d")
        t: Optional[float] = state.get("t")
        old_dirs: Optional[list[np.ndarray]] = state.get("old_dirs")
        old_stps: Optional[list[np.ndarray]] = state.get("old_stps")
        ro: Optional[list[float]] = state.get("ro")
        H_diag: Optional[float] = state.get("H_diag")
        prev_flat_grad: Optional[np.ndarray] = state.get("prev_flat_grad")
        prev_loss: Optional[float] = state.get("prev_loss")

        n_iter, optimal = 0, False
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                assert d is not None and t is not None and prev_flat_grad is not None and \
                    old_dirs is not None and old_stps is not None and ro is not None and \
                    H_diag is not None  # set by the first iteration (n_iter == 1)
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y.dot(s))
                if ys > 1e-10:
                    if len(old_dirs) == history_size:  # forget the oldest pair
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / float(y.dot(y))
                if "al" not in state:
                    state["al"] = [None] * history_size
                al = state["al"]
                # the two-loop recursion: d = -H g
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = float(old_stps[i].dot(q)) * ro[i]
                    q -= al[i] * old_dirs[i]
                d = r = q * H_diag
                for i in range(len(old_dirs)):
                    be_i = float(old_dirs[i].dot(r)) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                np.copyto(prev_flat_grad, flat_grad)
            prev_loss = loss

            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(np.abs(flat_grad).sum())) * lr
            else:
                t = lr
            gtd = float(flat_grad.dot(d))
            if gtd > -tolerance_change:  # not a descent direction
                break

            evaluations = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError(f"LBFGS: line_search_fn={line_search_fn!r}; only "
                                       "'strong_wolfe' is supported")
                x_init = [p.array.copy() for p in self._params]
                loss, flat_grad, t, evaluations = _strong_wolfe(
                    lambda step: self._directional_evaluate(closure, x_init, step, d),
                    t, d, loss, flat_grad, gtd, tolerance_change=1e-9,
                    max_ls=max_eval - current_evals)
                self._add_step(t, d)
                optimal = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_step(t, d)
                if n_iter != max_iter:
                    loss = float(self._evaluate(closure))
                    flat_grad = self._flat_grad()
                    optimal = np.abs(flat_grad).max() <= tolerance_grad
                    evaluations = 1
            current_evals += evaluations
            state["func_evals"] += evaluations

            if n_iter == max_iter or current_evals >= max_eval or optimal:
                break
            if np.abs(d * t).max() <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss

    # ------------------------------------------------------------ checkpoints
    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the hyper-parameters and the L-BFGS memory (gradsheet's or torch's format):
        flat vectors are copied as arrays, 0-d entries (t, H_diag, ρ's, a_i's) become floats.
        """
        state = state_dict["state"]
        super().load_state_dict({"state": {}, "param_groups": state_dict["param_groups"]})
        saved = state.get(state_dict["param_groups"][0]["params"][0]) if self._params else None
        self.state.clear()
        if saved:
            self.state[self._params[0]] = {key: _lbfgs_value(value) for key, value in saved.items()}


def _lbfgs_value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_lbfgs_value(v) for v in value]
    if isinstance(value, Tensor):
        value = value.array
    if value is None or isinstance(value, (bool, int, float)):
        return value
    array = np.array(np.asarray(value))
    return float(array) if array.ndim == 0 else array
