"""NAdam: Adam with Nesterov momentum (the moment looked one step ahead)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Optional

import numpy as np

from ._common import BETAS, EPS, LR, WEIGHT_DECAY, lerp, pair, scalar_dtype, torch_options, torch_rule
from .optimizer import Optimizer

if TYPE_CHECKING:
    from .optimizer import ParamsT


class NAdam(Optimizer):
    """NAdam: θ ← θ - α ((1 - μ_t) g / (1 - Π_t) + μ_{t+1} m / (1 - Π_{t+1})) / (sqrt(v̂) + ε).

    Algorithm (PyTorch's), per parameter θ with gradient ∇, from m = v = 0, Π_0 = 1::

        for t = 1, 2, ...:
            g ← -∇ if maximize else ∇
            θ ← θ - α λ θ                          (decoupled_weight_decay, λ ≠ 0)
            g ← g + λ θ                            (otherwise, λ ≠ 0)
            μ_t = β1 (1 - 0.96^(t ψ) / 2)          (momentum_decay ψ)
            Π_t = Π_{t-1} μ_t                      (the product of the μ's)
            m ← β1 m + (1 - β1) g
            v ← β2 v + (1 - β2) g²
            v̂ = v / (1 - β2^t)
            θ ← θ - α (1 - μ_t) / (1 - Π_t) · g / (sqrt(v̂) + ε)
            θ ← θ - α μ_{t+1} / (1 - Π_t μ_{t+1}) · m / (sqrt(v̂) + ε)

    Π_t is kept, as in torch, at the dtype of torch's 0-d state (float32 unless the default
    dtype is float64), so the numbers match torch's.

    Args:
        params: Tensors or parameter-group dicts.
        lr: α (default 2e-3).
        betas: (β1, β2) (default (0.9, 0.999)).
        eps: ε (default 1e-8).
        weight_decay: λ (default 0).
        momentum_decay: ψ (default 4e-3).
        decoupled_weight_decay: shrink θ directly instead of adding λ θ to g (NAdamW)
            (default False).
        foreach, capturable: accepted for torch's signature; no effect.
        maximize: ascend the objective instead (default False).
        differentiable: only False is supported.

    State: ``step`` (t), ``mu_product`` (Π_t), ``exp_avg`` (m), ``exp_avg_sq`` (v).

    Reference: Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016 workshop.
    """

    _rules = (LR, EPS, *BETAS, WEIGHT_DECAY,
              torch_rule("momentum_decay", lambda g: g["momentum_decay"] >= 0,
                         "Invalid momentum_decay value: {momentum_decay}", "momentum_decay >= 0"))
    _scalar_state = ("mu_product",)

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: Optional[bool] = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        defaults = torch_options("NAdam", {"lr": lr, "betas": pair(betas), "eps": eps,
                                           "weight_decay": weight_decay,
                                           "momentum_decay": momentum_decay,
                                           "decoupled_weight_decay": decoupled_weight_decay,
                                           "maximize": maximize},
                                 foreach, capturable, differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Optional[Callable[[], float]] = None) -> Optional[float]:
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, eps = float(group["lr"]), float(group["eps"])
            beta1, beta2 = (float(b) for b in group["betas"])
            weight_decay, psi = float(group["weight_decay"]), float(group["momentum_decay"])
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["mu_product"] = scalar_dtype().type(1.0)
                    state["exp_avg"] = np.zeros_like(p.array)
                    state["exp_avg_sq"] = np.zeros_like(p.array)
                t = state["step"] = state["step"] + 1
                if weight_decay and decoupled:
                    np.multiply(p.array, 1.0 - lr * weight_decay, p.array)
                g = self._grad(p, 0.0 if decoupled else weight_decay, group["maximize"])
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
                product = np.asarray(state["mu_product"])[()]
                # Π ← Π μ at Π's own precision (μ rounded to it first, as torch's kernel does)
                product = state["mu_product"] = product * product.dtype.type(mu)
                pi = float(product)
                m, v = state["exp_avg"], state["exp_avg_sq"]
                denom, work = self._workspace(p, 0), self._workspace(p, 2)
                lerp(m, g, 1.0 - beta1, work)
                np.multiply(v, beta2, v)
                np.add(v, np.multiply(np.multiply(g, g, work), 1.0 - beta2, work), v)
                np.sqrt(np.divide(v, 1.0 - beta2 ** t, denom), denom)
                np.add(denom, eps, denom)
                step = np.divide(g, denom, work)
                np.add(p.array, np.multiply(step, -lr * (1.0 - mu) / (1.0 - pi), step),
                       p.array)
                step = np.divide(m, denom, work)
                np.add(p.array, np.multiply(step, -lr * mu_next / (1.0 - pi * mu_next), step),
                       p.array)
        return loss
