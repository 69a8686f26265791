"""RAdam: Adam whose adaptive step is switched on only once the variance estimate is reliable."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Optional

import math

import numpy as np

from ._common import BETAS, EPS, LR, WEIGHT_DECAY, lerp, pair, torch_options
from .optimizer import Optimizer

if TYPE_CHECKING:
    from .optimizer import ParamsT


class RAdam(Optimizer):
    """RAdam: θ ← θ - α m̂ · r_t sqrt(1 - β2^t) / (sqrt(v) + ε) when ρ_t > 5, else θ - α m̂.

    Algorithm (PyTorch's), per parameter θ with gradient ∇, from m = v = 0::

        ρ_∞ = 2 / (1 - β2) - 1
        for t = 1, 2, ...:
            g ← -∇ if maximize else ∇
            θ ← θ - α λ θ                          (decoupled_weight_decay, λ ≠ 0)
            g ← g + λ θ                            (otherwise, λ ≠ 0)
            m ← β1 m + (1 - β1) g
            v ← β2 v + (1 - β2) g²
            m̂ = m / (1 - β1^t)
            ρ_t = ρ_∞ - 2 t β2^t / (1 - β2^t)
            if ρ_t > 5:
                r_t = sqrt((ρ_t - 4)(ρ_t - 2) ρ_∞ / ((ρ_∞ - 4)(ρ_∞ - 2) ρ_t))
                θ ← θ - α m̂ · r_t sqrt(1 - β2^t) / (sqrt(v) + ε)
            else:
                θ ← θ - α m̂                        (plain momentum SGD while v is unreliable)

    Args:
        params: Tensors or parameter-group dicts.
        lr: α (default 1e-3).
        betas: (β1, β2) (default (0.9, 0.999)).
        eps: ε (default 1e-8).
        weight_decay: λ (default 0).
        decoupled_weight_decay: shrink θ directly instead of adding λ θ to g (RAdamW)
            (default False).
        foreach, capturable: accepted for torch's signature; no effect.
        maximize: ascend the objective instead (default False).
        differentiable: only False is supported.

    State: ``step`` (t), ``exp_avg`` (m), ``exp_avg_sq`` (v).

    Reference: Liu et al., "On the Variance of the Adaptive Learning Rate and Beyond",
    ICLR 2020.
    Example: with β2 = 0.999, ρ_t ≤ 5 for t ≤ 5, so the first five steps are θ - α m̂.
    """

    _rules = (LR, EPS, *BETAS, WEIGHT_DECAY)

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: Optional[bool] = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        defaults = torch_options("RAdam", {"lr": lr, "betas": pair(betas), "eps": eps,
                                           "weight_decay": weight_decay, "maximize": maximize,
                                           "decoupled_weight_decay": decoupled_weight_decay},
                                 foreach, capturable, differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Optional[Callable[[], float]] = None) -> Optional[float]:
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, eps = float(group["lr"]), float(group["eps"])
            beta1, beta2 = (float(b) for b in group["betas"])
            weight_decay = float(group["weight_decay"])
            decoupled = group["decoupled_weight_decay"]
            rho_inf = 2.0 / (1.0 - beta2) - 1.0
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = np.zeros_like(p.array)
                    state["exp_avg_sq"] = np.zeros_like(p.array)
                t = state["step"] = state["step"] + 1
                if weight_decay and decoupled:
                    np.multiply(p.array, 1.0 - lr * weight_decay, p.array)
                g = self._grad(p, 0.0 if decoupled else weight_decay, group["maximize"])
                m, v, work = state["exp_avg"], state["exp_avg_sq"], self._workspace(p)
                lerp(m, g, 1.0 - beta1, work)
                np.multiply(v, beta2, v)
                np.add(v, np.multiply(np.multiply(g, g, work), 1.0 - beta2, work), v)
                correction1, correction2 = 1.0 - beta1 ** t, 1.0 - beta2 ** t
                rho_t = rho_inf - 2.0 * t * beta2 ** t / correction2
                if rho_t > 5.0:
                    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                                     / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    step = np.add(np.sqrt(v, work), eps, work)
                    np.divide(correction2 ** 0.5, step, step)  # the adaptive lr
                    np.multiply(step, m, step)
                    np.multiply(step, lr * rect / correction1, step)
                else:
                    step = np.multiply(m, lr / correction1, work)
                np.subtract(p.array, step, p.array)
        return loss
