"""Rprop: resilient backpropagation, per-coordinate steps grown or shrunk by the gradient's sign."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Optional

import numpy as np

from ._common import LR, torch_options, torch_rule
from .optimizer import Optimizer

if TYPE_CHECKING:
    from .optimizer import ParamsT


class Rprop(Optimizer):
    """Rprop: θ ← θ - sign(g) s, each step size s grown by η+ or shrunk by η- as sign(g) holds or flips.

    Algorithm (PyTorch's), per parameter θ with gradient ∇, from g_prev = 0, s = α::

        for t = 1, 2, ...:
            g ← -∇ if maximize else ∇
            s ← clamp(s η+, s_min, s_max)          where g g_prev > 0
            s ← clamp(s η-, s_min, s_max)          where g g_prev < 0, and there g ← 0
            s ← clamp(s, s_min, s_max)             where g g_prev = 0
            θ ← θ - sign(g) s
            g_prev ← g

    Only the sign of the gradient is used, so Rprop suits full-batch training.

    Args:
        params: Tensors or parameter-group dicts.
        lr: α, the initial step size (default 1e-2).
        etas: (η-, η+), with 0 < η- < 1 < η+ (default (0.5, 1.2)).
        step_sizes: (s_min, s_max) (default (1e-6, 50)).
        capturable, foreach: accepted for torch's signature; no effect.
        maximize: ascend the objective instead (default False).
        differentiable: only False is supported.

    State: ``step`` (t), ``prev`` (g_prev), ``step_size`` (s).

    Reference: Riedmiller & Braun, "A Direct Adaptive Method for Faster Backpropagation
    Learning: The RPROP Algorithm", ICNN 1993.
    Example: the first step moves every θ with ∇ ≠ 0 by exactly α against the gradient.
    """

    _rules = (LR, torch_rule("etas", lambda g: 0 < g["etas"][0] < 1 < g["etas"][1],
                             "Invalid eta values: {etas[0]}, {etas[1]}", "0 < etas[0] < 1 < etas[1]"))

    def __init__(self, params: ParamsT, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: Optional[bool] = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        defaults = torch_options("Rprop", {"lr": lr, "etas": tuple(etas),
                                           "step_sizes": tuple(step_sizes), "maximize": maximize},
                                 foreach, capturable, differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Optional[Callable[[], float]] = None) -> Optional[float]:
        loss = self._evaluate(closure)
        for group in self.param_groups:
            eta_minus, eta_plus = (float(e) for e in group["etas"])
            step_min, step_max = (float(s) for s in group["step_sizes"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["prev"] = np.zeros_like(p.array)
                    state["step_size"] = np.full_like(p.array, float(group["lr"]))
                state["step"] += 1
                g = self._grad(p, 0.0, group["maximize"])
                prev, size, work = state["prev"], state["step_size"], self._workspace(p)
                np.multiply(g, prev, work)
                flipped = work < 0
                np.multiply(size, eta_plus, size, where=work > 0)
                np.multiply(size, eta_minus, size, where=flipped)
                np.clip(size, step_min, step_max, size)
                np.copyto(prev, g)
                prev[flipped] = 0  # where the sign flipped, skip this step (and forget g)
                np.multiply(np.sign(prev, work), size, work)
                np.subtract(p.array, work, p.array)
        return loss
