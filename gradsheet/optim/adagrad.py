"""Adagrad: per-parameter step sizes that shrink with the sum of past squared gradients."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from .optimizer import Optimizer

if TYPE_CHECKING:
    from ..autograd.tensor import Tensor
    from .optimizer import ParamsT


class Adagrad(Optimizer):
    """Adagrad: θ ← θ - α g / (sqrt(Σ g²) + ε), so often-updated coordinates slow down.

    Algorithm (PyTorch's), per parameter θ with gradient ∇, from s = s₀::

        for t = 1, 2, ...:
            g ← -∇ if maximize else ∇
            g ← g + λ θ                           (weight_decay λ ≠ 0)
            α_t = α / (1 + (t - 1) η)             (lr α, lr_decay η)
            s ← s + g²                            (s₀ = initial_accumulator_value)
            θ ← θ - α_t g / (sqrt(s) + ε)

    Args:
        params: Tensors or parameter-group dicts.
        lr: learning rate α (default 1e-2).
        lr_decay: η (default 0).
        weight_decay: λ (default 0).
        initial_accumulator_value: s₀ (default 0).
        eps: ε, added to the denominator (default 1e-10).
        maximize: ascend the objective instead (default False).

    State: ``step`` (t) and ``sum`` (s), created for every parameter at construction (as in
    torch, so a fresh optimizer's state_dict already lists them).

    Reference: Duchi, Hazan & Singer, "Adaptive Subgradient Methods", JMLR 2011.
    Example: with s₀ = 0 the first step moves every θ by α g / (|g| + ε) ≈ ±α.
    """

    _rules = (
        ("lr", lambda g: g["lr"] >= 0, "lr >= 0"),
        ("lr_decay", lambda g: g["lr_decay"] >= 0, "lr_decay >= 0"),
        ("weight_decay", lambda g: g["weight_decay"] >= 0, "weight_decay >= 0"),
        ("initial_accumulator_value", lambda g: g["initial_accumulator_value"] >= 0,
         "initial_accumulator_value >= 0"),
        ("eps", lambda g: g["eps"] >= 0, "eps >= 0"),
    )

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        defaults = {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "eps": eps,
                    "maximize": maximize}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(self.state[p], p, group)

    def step(self, closure: Optional[Callable[[], float]] = None) -> Optional[float]:
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = float(group["lr"]), float(group["lr_decay"]), float(group["eps"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:  # a group added after construction
                    self._init_state(state, p, group)
                t = state["step"] = state["step"] + 1
                g = self._grad(p, float(group["weight_decay"]), group["maximize"])
                total, work = state["sum"], self._workspace(p)
                np.add(total, np.multiply(g, g, work), total)
                denom = np.add(np.sqrt(total, work), eps, work)
                step = np.multiply(np.divide(g, denom, work), lr / (1 + (t - 1) * lr_decay), work)
                np.subtract(p.array, step, p.array)
        return loss

    @staticmethod
    def _init_state(state: dict[str, Any], p: Tensor, group: dict[str, Any]) -> None:
        state["step"] = 0
        state["sum"] = np.full_like(p.array, float(group["initial_accumulator_value"]))
