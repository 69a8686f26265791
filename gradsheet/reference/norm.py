"""Batch and layer normalization as the cheat sheet writes them: μ_B, σ²_B, x̂, γ x̂ + β."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import gradsheet as gs
from gradsheet.ops import norm as fused

from .registry import mirrors

if TYPE_CHECKING:
    from gradsheet._typing import ShapeLike
    from gradsheet.autograd.tensor import Tensor


@mirrors(fused.BatchNorm, "the fused node keeps x̂ and 1/σ and writes the closed-form "
         "backward dL/dx = (γ/σ)(g − mean(g) − x̂ mean(g x̂)) in one pass, instead of "
         "autograd walking the ~10 nodes of mean, variance, division and affine map")
def batch_norm(x: Tensor, running_mean: Optional[Tensor], running_var: Optional[Tensor],
               gamma: Optional[Tensor] = None, beta: Optional[Tensor] = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """x_i ← γ (x_i − μ_B) / sqrt(σ²_B + ε) + β, per channel over the batch (and space).

    Training: μ_B and the biased σ²_B are the batch's (M values per channel), and the running
    estimates move towards them, r ← (1 − momentum) r + momentum stat, with the unbiased
    σ²_B M / (M − 1) for the variance. Evaluation: the running estimates stand for μ_B, σ²_B.
    x (N, C, *); γ, β and the running statistics (C,).
    Fused: ``gradsheet.ops.norm.batch_norm`` (``norm.BatchNorm``).
    """
    axes = (0,) + tuple(range(2, x.ndim))  # all but the channel axis
    view = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training:
        mu_B = x.mean(dim=axes, keepdim=True)
        sigma2_B = ((x - mu_B) ** 2).mean(dim=axes, keepdim=True)  # biased, as in the paper
        if running_mean is not None:
            assert running_var is not None  # the running statistics come in pairs
            M = x.numel() // x.shape[1]
            with gs.no_grad():
                running_mean.mul_(1 - momentum).add_(momentum * mu_B.reshape(-1))
                running_var.mul_(1 - momentum).add_(momentum * sigma2_B.reshape(-1) * M / (M - 1))
    else:
        assert running_mean is not None and running_var is not None  # evaluation needs them
        mu_B, sigma2_B = running_mean.reshape(view), running_var.reshape(view)
    x_hat = (x - mu_B) / gs.sqrt(sigma2_B + eps)
    if gamma is not None:
        x_hat = gamma.reshape(view) * x_hat
    return x_hat if beta is None else x_hat + beta.reshape(view)


@mirrors(fused.LayerNorm, "the fused node keeps x̂ and 1/σ and writes the closed-form "
         "backward in one pass instead of autograd walking mean, variance and division")
def layer_norm(x: Tensor, normalized_shape: ShapeLike, gamma: Optional[Tensor] = None,
               beta: Optional[Tensor] = None, eps: float = 1e-5) -> Tensor:
    """y = γ (x − μ) / sqrt(σ² + ε) + β, μ and the biased σ² per sample over the trailing
    ``normalized_shape`` axes; γ, β have ``normalized_shape``.

    Fused: ``gradsheet.ops.norm.layer_norm`` (``norm.LayerNorm``).
    """
    k = 1 if isinstance(normalized_shape, int) else len(normalized_shape)
    axes = tuple(range(x.ndim - k, x.ndim))
    mu = x.mean(dim=axes, keepdim=True)
    sigma2 = ((x - mu) ** 2).mean(dim=axes, keepdim=True)
    x_hat = (x - mu) / gs.sqrt(sigma2 + eps)
    if gamma is not None:
        x_hat = gamma * x_hat
    return x_hat if beta is None else x_hat + beta
