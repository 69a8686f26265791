"""ASGD: averaged stochastic gradient descent (SGD with decaying steps and a running average)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Optional

import numpy as np

from ._common import LR, WEIGHT_DECAY, scalar_dtype, torch_options
from .optimizer import Optimizer

if TYPE_CHECKING:
    from .optimizer import ParamsT


class ASGD(Optimizer):
    """ASGD: θ ← (1 - λ_d η_t) θ - η_t g, η_t = α / (1 + λ_d α t)^a, and the average θ̄ of the θ's.

    Algorithm (PyTorch's), per parameter θ with gradient ∇, from η = α, μ = 1, θ̄ = 0::

        for t = 1, 2, ...:
            g ← -∇ if maximize else ∇
            g ← g + λ θ                            (weight_decay λ ≠ 0)
            θ ← θ (1 - λ_d η)                      (lambd λ_d: a decay of θ itself)
            θ ← θ - η g
            θ̄ ← θ̄ + μ (θ - θ̄)                     (θ̄ ← θ while μ = 1)
            η ← α / (1 + λ_d α t)^a                (alpha a)
            μ ← 1 / max(1, t - t₀)                 (averaging starts after t₀ steps)

    θ̄ (``state['ax']``) is the averaged iterate; the parameters themselves follow θ. η and μ
    are kept, as in torch, at the dtype of torch's 0-d state (float32 unless the default dtype
    is float64), so the numbers match torch's.

    Args:
        params: Tensors or parameter-group dicts.
        lr: α (default 1e-2).
        lambd: λ_d (default 1e-4).
        alpha: a, the power of η's decay (default 0.75).
        t0: t₀, the step at which averaging starts (default 1e6).
        weight_decay: λ (default 0).
        foreach, capturable: accepted for torch's signature; no effect.
        maximize: ascend the objective instead (default False).
        differentiable: only False is supported.

    State: ``step`` (t), ``eta`` (η), ``mu`` (μ), ``ax`` (θ̄).

    Reference: Polyak & Juditsky, "Acceleration of Stochastic Approximation by Averaging",
    SIAM J. Control Optim. 1992.
    """

    _rules = (LR, WEIGHT_DECAY)
    _scalar_state = ("eta", "mu")

    def __init__(self, params: ParamsT, lr: float = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0,
                 foreach: Optional[bool] = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        defaults = torch_options("ASGD", {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                                          "weight_decay": weight_decay, "maximize": maximize},
                                 foreach, capturable, differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Optional[Callable[[], float]] = None) -> Optional[float]:
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, lambd = float(group["lr"]), float(group["lambd"])
            alpha, t0 = float(group["alpha"]), float(group["t0"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    dtype = scalar_dtype().type
                    state["step"] = 0
                    state["eta"] = dtype(lr)
                    state["mu"] = dtype(1.0)
                    state["ax"] = np.zeros_like(p.array)
                t = state["step"] = state["step"] + 1
                g = self._grad(p, float(group["weight_decay"]), group["maximize"])
                eta, mu = np.asarray(state["eta"])[()], np.asarray(state["mu"])[()]
                work = self._workspace(p)
                np.multiply(p.array, 1.0 - lambd * float(eta), p.array)
                np.subtract(p.array, np.multiply(g, float(eta), work), p.array)
                ax = state["ax"]
                if mu != 1:
                    np.add(ax, np.multiply(np.subtract(p.array, ax, work), float(mu), work), ax)
                else:
                    np.copyto(ax, p.array)
                state["eta"] = eta.dtype.type(lr / (1.0 + lambd * lr * t) ** alpha)
                state["mu"] = mu.dtype.type(1.0 / max(1.0, t - t0))
        return loss
