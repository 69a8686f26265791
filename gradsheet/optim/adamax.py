"""Adamax: Adam with the infinity norm, u = max(β2 u, |g|), in place of the second moment."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Optional

import numpy as np

from ._common import BETAS, EPS, LR, WEIGHT_DECAY, lerp, pair, torch_options
from .optimizer import Optimizer

if TYPE_CHECKING:
    from .optimizer import ParamsT


class Adamax(Optimizer):
    """Adamax: θ ← θ - α / (1 - β1^t) · m / u, with u = max(β2 u, |g| + ε) (Adam's ∞-norm variant).

    Algorithm (PyTorch's), per parameter θ with gradient ∇, from m = u = 0::

        for t = 1, 2, ...:
            g ← -∇ if maximize else ∇
            g ← g + λ θ                            (weight_decay λ ≠ 0)
            m ← β1 m + (1 - β1) g
            u ← max(β2 u, |g| + ε)
            θ ← θ - α / (1 - β1^t) · m / u

    Args:
        params: Tensors or parameter-group dicts.
        lr: α (default 2e-3).
        betas: (β1, β2) (default (0.9, 0.999)).
        eps: ε (default 1e-8).
        weight_decay: λ (default 0).
        foreach, capturable: accepted for torch's signature; no effect.
        maximize: ascend the objective instead (default False).
        differentiable: only False is supported.

    State: ``step`` (t), ``exp_avg`` (m), ``exp_inf`` (u).

    Reference: Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, §7.
    Example: at t = 1, m / (1 - β1) = g and u = |g| + ε, so θ moves by about α · sign(g).
    """

    _rules = (LR, EPS, *BETAS, WEIGHT_DECAY)

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: Optional[bool] = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        defaults = torch_options("Adamax", {"lr": lr, "betas": pair(betas), "eps": eps,
                                            "weight_decay": weight_decay, "maximize": maximize},
                                 foreach, capturable, differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Optional[Callable[[], float]] = None) -> Optional[float]:
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, eps = float(group["lr"]), float(group["eps"])
            beta1, beta2 = (float(b) for b in group["betas"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = np.zeros_like(p.array)
                    state["exp_inf"] = np.zeros_like(p.array)
                t = state["step"] = state["step"] + 1
                g = self._grad(p, float(group["weight_decay"]), group["maximize"])
                m, u, work = state["exp_avg"], state["exp_inf"], self._workspace(p)
                lerp(m, g, 1.0 - beta1, work)
                np.add(np.abs(g, work), eps, work)
                np.maximum(np.multiply(u, beta2, u), work, out=u)
                step = np.divide(m, u, work)
                np.subtract(p.array, np.multiply(step, lr / (1.0 - beta1 ** t), step), p.array)
        return loss
