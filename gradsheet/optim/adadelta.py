"""Adadelta: step sizes from the ratio of running RMS of past updates and of gradients."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Optional

import numpy as np

from ._common import EPS, LR, WEIGHT_DECAY, torch_options, torch_rule
from .optimizer import Optimizer

if TYPE_CHECKING:
    from .optimizer import ParamsT


class Adadelta(Optimizer):
    """Adadelta: θ ← θ - α Δ, Δ = sqrt(u + ε) / sqrt(v + ε) · g, with v, u running means of g², Δ².

    Algorithm (PyTorch's), per parameter θ with gradient ∇, from v = u = 0::

        for t = 1, 2, ...:
            g ← -∇ if maximize else ∇
            g ← g + λ θ                            (weight_decay λ ≠ 0)
            v ← ρ v + (1 - ρ) g²
            Δ = sqrt(u + ε) / sqrt(v + ε) · g
            u ← ρ u + (1 - ρ) Δ²
            θ ← θ - α Δ

    Args:
        params: Tensors or parameter-group dicts.
        lr: α, a scale on Δ (default 1.0).
        rho: ρ, the running means' decay (default 0.9).
        eps: ε, inside both square roots (default 1e-6).
        weight_decay: λ (default 0).
        foreach, capturable: accepted for torch's signature; no effect (see ``torch_options``).
        maximize: ascend the objective instead (default False).
        differentiable: only False is supported.

    State: ``step`` (t), ``square_avg`` (v), ``acc_delta`` (u).

    Reference: Zeiler, "ADADELTA: An Adaptive Learning Rate Method", 2012.
    Example: at t = 1, Δ = sqrt(ε / ((1 - ρ) g² + ε)) g, about sqrt(ε / (1 - ρ)) · sign(g).
    """

    _rules = (
        LR,
        torch_rule("rho", lambda g: 0 <= g["rho"] <= 1, "Invalid rho value: {rho}", "0 <= rho <= 1"),
        EPS,
        WEIGHT_DECAY,
    )

    def __init__(self, params: ParamsT, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: Optional[bool] = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        defaults = torch_options("Adadelta", {"lr": lr, "rho": rho, "eps": eps,
                                              "weight_decay": weight_decay,
                                              "maximize": maximize},
                                 foreach, capturable, differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Optional[Callable[[], float]] = None) -> Optional[float]:
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, rho, eps = float(group["lr"]), float(group["rho"]), float(group["eps"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["square_avg"] = np.zeros_like(p.array)
                    state["acc_delta"] = np.zeros_like(p.array)
                state["step"] += 1
                g = self._grad(p, float(group["weight_decay"]), group["maximize"])
                v, u = state["square_avg"], state["acc_delta"]
                delta, work = self._workspace(p, 0), self._workspace(p, 2)
                np.multiply(v, rho, v)
                np.add(v, np.multiply(np.multiply(g, g, work), 1.0 - rho, work), v)
                std = np.sqrt(np.add(v, eps, work), work)
                np.sqrt(np.add(u, eps, delta), delta)
                np.multiply(np.divide(delta, std, delta), g, delta)
                np.multiply(u, rho, u)
                np.add(u, np.multiply(np.multiply(delta, delta, work), 1.0 - rho, work), u)
                np.subtract(p.array, np.multiply(delta, lr, delta), p.array)
        return loss
