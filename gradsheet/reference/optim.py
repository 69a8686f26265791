"""The optimizers' updates as their algorithm boxes write them: one step, one line per rule.

Pure functions on Tensors: they take θ, its gradient and the optimizer's state and return the
new θ and state, where ``gradsheet.optim`` updates everything in place.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from gradsheet.optim import adam as fused_adam
from gradsheet.optim import sgd as fused_sgd

from .registry import mirrors

if TYPE_CHECKING:
    from gradsheet.autograd.tensor import Tensor


@mirrors(fused_adam.Adam, "the fused step updates m, v and θ in place with NumPy ufuncs into "
         "one reused workspace (no temporary array per line), folding 1 − β2^t into sqrt(v)")
def adam_step(theta: Tensor, grad: Tensor, m: Tensor, v: Tensor, t: int, lr: float = 1e-3,
              betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
              weight_decay: float = 0.0, decoupled_weight_decay: bool = False,
              maximize: bool = False) -> tuple[Tensor, Tensor, Tensor]:
    """θ ← θ − α m̂ / (sqrt(v̂) + ε): step t (1, 2, ...) of Adam; returns (θ, m, v).

        m = β1 m + (1 − β1) g,   v = β2 v + (1 − β2) g²,
        m̂ = m / (1 − β1^t),      v̂ = v / (1 − β2^t)

    g = ±∇ + λ θ (λ = weight_decay), or with ``decoupled_weight_decay`` (AdamW) θ ← θ − α λ θ
    first and g = ±∇. ε is added to sqrt(v̂), after the bias correction, as PyTorch does.
    Fused: ``gradsheet.optim.Adam`` (its ``step``).
    """
    beta1, beta2 = betas
    g = -grad if maximize else grad
    if decoupled_weight_decay:
        theta = theta - lr * weight_decay * theta
    elif weight_decay:
        g = g + weight_decay * theta
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    theta = theta - lr * m_hat / (v_hat.sqrt() + eps)
    return theta, m, v


@mirrors(fused_sgd.SGD, "the fused step updates θ and the momentum buffer in place with NumPy "
         "ufuncs into a reused workspace, with a two-ufunc fast path for plain SGD")
def sgd_step(theta: Tensor, grad: Tensor, b: Optional[Tensor] = None, lr: float = 1e-3,
             momentum: float = 0.0, dampening: float = 0.0, weight_decay: float = 0.0,
             nesterov: bool = False, maximize: bool = False
             ) -> tuple[Tensor, Optional[Tensor]]:
    """θ ← θ − α g, with momentum b ← μ b + (1 − τ) g: one step of SGD; returns (θ, b).

    g = ±∇ + λ θ. With μ ≠ 0 the buffer b starts as g (``b`` None: the first step) and the
    step follows b, or g + μ b with ``nesterov``. Fused: ``gradsheet.optim.SGD`` (``step``).
    """
    g = -grad if maximize else grad
    if weight_decay:
        g = g + weight_decay * theta
    if momentum:
        b = g if b is None else momentum * b + (1 - dampening) * g
        g = g + momentum * b if nesterov else b
    theta = theta - lr * g
    return theta, b
