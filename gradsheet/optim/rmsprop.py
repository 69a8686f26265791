"""RMSprop: divide the gradient by a running root mean square of recent gradients."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from .optimizer import Optimizer

if TYPE_CHECKING:
    from ..autograd.tensor import Tensor
    from .optimizer import ParamsT


class RMSprop(Optimizer):
    """RMSprop: θ ← θ - α g / (sqrt(v) + ε) with v a running mean of g².

    Algorithm (PyTorch's), per parameter θ with gradient ∇, from v = ḡ = b = 0::

        g ← -∇ if maximize else ∇
        g ← g + λ θ                               (weight_decay λ ≠ 0)
        v ← α v + (1 - α) g²                      (smoothing constant α)
        if centered:
            ḡ ← α ḡ + (1 - α) g
            d = sqrt(v - ḡ²) + ε                  (a running variance instead of mean square)
        else:
            d = sqrt(v) + ε
        if μ > 0:                                 (momentum μ)
            b ← μ b + g / d
            θ ← θ - η b                           (lr η)
        else:
            θ ← θ - η g / d

    Args:
        params: Tensors or parameter-group dicts.
        lr: learning rate η (default 1e-2).
        alpha: smoothing constant α (default 0.99).
        eps: ε, added to the denominator (default 1e-8).
        weight_decay: λ (default 0).
        momentum: μ (default 0).
        centered: normalise by the gradient's running variance (default False).
        maximize: ascend the objective instead (default False).

    State: ``step``, ``square_avg`` (v), ``momentum_buffer`` (b, μ > 0), ``grad_avg`` (ḡ,
    centered).

    Reference: Hinton, "Neural Networks for Machine Learning", lecture 6e (2012).
    """

    _rules = (
        ("lr", lambda g: g["lr"] >= 0, "lr >= 0"),
        ("eps", lambda g: g["eps"] >= 0, "eps >= 0"),
        ("momentum", lambda g: g["momentum"] >= 0, "momentum >= 0"),
        ("weight_decay", lambda g: g["weight_decay"] >= 0, "weight_decay >= 0"),
        ("alpha", lambda g: g["alpha"] >= 0, "alpha >= 0"),
    )

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, *, maximize: bool = False) -> None:
        defaults = {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                    "momentum": momentum, "centered": centered, "maximize": maximize}
        super().__init__(params, defaults)

    def step(self, closure: Optional[Callable[[], float]] = None) -> Optional[float]:
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
            momentum = float(group["momentum"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    self._init_state(state, p, momentum, group["centered"])
                state["step"] += 1
                g = self._grad(p, float(group["weight_decay"]), group["maximize"])
                v, work = state["square_avg"], self._workspace(p)
                np.multiply(np.multiply(g, g, work), 1.0 - alpha, work)
                np.add(np.multiply(v, alpha, v), work, v)
                if group["centered"]:
                    mean = state["grad_avg"]
                    # ḡ ← ḡ + (1 - α)(g - ḡ): torch's lerp form of α ḡ + (1 - α) g
                    np.add(mean, np.multiply(np.subtract(g, mean, work), 1.0 - alpha, work), mean)
                    denom = np.sqrt(np.subtract(v, np.multiply(mean, mean, work), work), work)
                else:
                    denom = np.sqrt(v, work)
                np.add(denom, eps, denom)
                if momentum > 0:
                    buf = state["momentum_buffer"]
                    np.add(np.multiply(buf, momentum, buf), np.divide(g, denom, work), buf)
                    step = np.multiply(buf, lr, work)
                else:
                    step = np.multiply(np.divide(g, denom, work), lr, work)
                np.subtract(p.array, step, p.array)
        return loss

    @staticmethod
    def _init_state(state: dict[str, Any], p: Tensor, momentum: float, centered: bool) -> None:
        state["step"] = 0
        state["square_avg"] = np.zeros_like(p.array)
        if momentum > 0:
            state["momentum_buffer"] = np.zeros_like(p.array)
        if centered:
            state["grad_avg"] = np.zeros_like(p.array)
