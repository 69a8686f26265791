"""Adam and AdamW: per-parameter step sizes from running moments of the gradient."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ._common import pair
from .optimizer import Optimizer

if TYPE_CHECKING:
    from ..autograd.tensor import Tensor
    from .optimizer import ParamsT


class Adam(Optimizer):
    """Adam: adaptive moment estimation, the cheat sheet's per-parameter learning rate.

    Algorithm (PyTorch's), per parameter θ with gradient ∇, from m = v = v_max = 0::

        for t = 1, 2, ...:
            g ← -∇ if maximize else ∇
            θ ← θ - α λ θ                         (decoupled_weight_decay, λ ≠ 0: AdamW)
            g ← g + λ θ                           (otherwise, λ ≠ 0: L2 penalty)
            m ← β1 m + (1 - β1) g
            v ← β2 v + (1 - β2) g²
            m̂ = m / (1 - β1^t)
            v̂ = v / (1 - β2^t)
                (amsgrad: v_max ← max(v_max, v);  v̂ = v_max / (1 - β2^t))
            θ ← θ - α m̂ / (sqrt(v̂) + ε)

    Args:
        params: Tensors or parameter-group dicts.
        lr: learning rate α (default 1e-3).
        betas: (β1, β2), the moments' decay rates (default (0.9, 0.999)).
        eps: ε, added to the denominator (default 1e-8).
        weight_decay: λ (default 0).
        amsgrad: use the running maximum of v (Reddi et al., 2018) (default False).
        maximize: ascend the objective instead (default False).
        decoupled_weight_decay: shrink θ directly instead of adding λ θ to g; this is AdamW
            (default False).

    State: ``step`` (t), ``exp_avg`` (m), ``exp_avg_sq`` (v), ``max_exp_avg_sq`` (v_max, amsgrad).

    Reference: Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015.
    Example: at t = 1, m̂ = g and v̂ = g², so every θ moves by α g / (|g| + ε) ≈ ±α.
    """

    _rules = (
        ("lr", lambda g: g["lr"] >= 0, "lr >= 0"),
        ("eps", lambda g: g["eps"] >= 0, "eps >= 0"),
        ("betas", lambda g: 0 <= g["betas"][0] < 1, "0 <= betas[0] < 1"),
        ("betas", lambda g: 0 <= g["betas"][1] < 1, "0 <= betas[1] < 1"),
        ("weight_decay", lambda g: g["weight_decay"] >= 0, "weight_decay >= 0"),
    )

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        defaults = {"lr": lr, "betas": pair(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def step(self, closure: Optional[Callable[[], float]] = None) -> Optional[float]:
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, eps = float(group["lr"]), float(group["eps"])
            beta1, beta2 = (float(b) for b in group["betas"])
            weight_decay = float(group["weight_decay"])
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    self._init_state(state, p, group["amsgrad"])
                t = state["step"] = state["step"] + 1
                if weight_decay and decoupled:
                    np.multiply(p.array, 1.0 - lr * weight_decay, p.array)
                g = self._grad(p, 0.0 if decoupled else weight_decay, group["maximize"])
                m, v = state["exp_avg"], state["exp_avg_sq"]
                work = self._workspace(p)
                # m ← m + (1 - β1)(g - m): the same β1 m + (1 - β1) g, in torch's lerp form
                np.multiply(np.subtract(g, m, work), 1.0 - beta1, work)
                np.add(m, work, m)
                np.multiply(np.multiply(g, g, work), 1.0 - beta2, work)
                np.add(np.multiply(v, beta2, v), work, v)
                if group["amsgrad"]:
                    v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                # denominator sqrt(v̂) + ε = sqrt(v) / sqrt(1 - β2^t) + ε, then the step α m̂ / it
                denom = np.divide(np.sqrt(v, work), (1.0 - beta2 ** t) ** 0.5, work)
                np.add(denom, eps, denom)
                step = np.divide(m, denom, work)
                np.multiply(step, lr / (1.0 - beta1 ** t), step)
                np.subtract(p.array, step, p.array)
        return loss

    @staticmethod
    def _init_state(state: dict[str, Any], p: Tensor, amsgrad: bool) -> None:
        state["step"] = 0
        state["exp_avg"] = np.zeros_like(p.array)
        state["exp_avg_sq"] = np.zeros_like(p.array)
        if amsgrad:
            state["max_exp_avg_sq"] = np.zeros_like(p.array)


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay, θ shrinks directly instead of through g.

    Algorithm: Adam's (see ``Adam``) with the weight-decay line::

        θ ← θ - α λ θ                             (λ = weight_decay, default 1e-2)

    before the moments, which then see the plain gradient g; the rest is unchanged.

    Reference: Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        # an Adam state dict loaded here still decays the AdamW way (as in torch)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
