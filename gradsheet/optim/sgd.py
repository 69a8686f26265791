"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Optional

import numpy as np

from .optimizer import Optimizer

if TYPE_CHECKING:
    from ..autograd.tensor import Tensor
    from .optimizer import ParamsT


class SGD(Optimizer):
    """Stochastic gradient descent: θ ← θ - α g (optionally with momentum).

    Algorithm (PyTorch's), per parameter θ with gradient ∇ at step t::

        g ← -∇ if maximize else ∇
        g ← g + λ θ                              (weight_decay λ ≠ 0)
        if μ ≠ 0:                                (momentum μ)
            b ← g                                at t = 1
            b ← μ b + (1 - τ) g                  at t > 1 (dampening τ)
            g ← g + μ b  if nesterov  else  b
        θ ← θ - α g                              (lr α)

    Args:
        params: Tensors or parameter-group dicts.
        lr: learning rate α (default 1e-3).
        momentum: μ (default 0).
        dampening: τ (default 0).
        weight_decay: L2 penalty λ (default 0).
        nesterov: Nesterov momentum; needs μ > 0 and τ = 0 (default False).
        maximize: ascend the objective instead (default False).

    State: ``momentum_buffer`` (b) when μ ≠ 0.

    Example: θ = 1 and ∇ = 2 with lr 0.1 gives θ = 1 - 0.1 · 2 = 0.8.
    """

    _rules = (
        ("lr", lambda g: g["lr"] >= 0, "lr >= 0"),
        ("momentum", lambda g: g["momentum"] >= 0, "momentum >= 0"),
        ("weight_decay", lambda g: g["weight_decay"] >= 0, "weight_decay >= 0"),
        ("nesterov", lambda g: not g["nesterov"] or (g["momentum"] > 0 and g["dampening"] == 0),
         "nesterov=True only with momentum > 0 and dampening == 0"),
    )

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize}
        super().__init__(params, defaults)

    def step(self, closure: Optional[Callable[[], float]] = None) -> Optional[float]:
        loss = self._evaluate(closure)
        work = self._workspace
        for group in self.param_groups:
            lr = float(group["lr"])
            momentum = float(group["momentum"])
            weight_decay = float(group["weight_decay"])
            if not momentum and not weight_decay:
                # the hot path (plain SGD): two ufuncs per parameter, nothing allocated
                update = np.add if group["maximize"] else np.subtract
                for p in group["params"]:
                    if p.grad is not None:
                        scaled = work(p)
                        np.multiply(p.grad.array, lr, scaled)
                        update(p.array, scaled, p.array)
                continue
            for p in group["params"]:
                if p.grad is not None:
                    g = self._grad(p, weight_decay, group["maximize"])
                    if momentum:
                        g = self._momentum(p, g, momentum, float(group["dampening"]),
                                           group["nesterov"])
                    scaled = work(p)
                    np.multiply(g, lr, scaled)
                    np.subtract(p.array, scaled, p.array)
        return loss

    def _momentum(self, p: Tensor, g: np.ndarray, momentum: float, dampening: float,
                  nesterov: bool) -> np.ndarray:
        """Update the buffer b ← μ b + (1 - τ) g; return the direction (g + μ b or b)."""
        state = self.state[p]
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = g.copy()
        else:
            np.multiply(buf, momentum, buf)
            if dampening:
                np.add(buf, np.multiply(g, 1.0 - dampening, self._workspace(p)), buf)
            else:
                np.add(buf, g, buf)
        if not nesterov:
            return buf
        ahead = self._workspace(p)
        np.multiply(buf, momentum, ahead)
        return np.add(ahead, g, ahead)
