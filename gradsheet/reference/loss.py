"""The classification losses as the cheat sheet writes them, one term a line.

Each is composed of primitive differentiable ops (exp, log, sum, indexing, softplus), so
autograd derives the gradient that ``gradsheet.ops.loss`` writes by hand.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Union

import gradsheet as gs
from gradsheet.nn import functional as F
from gradsheet.ops import loss as fused

from .registry import mirrors

if TYPE_CHECKING:
    from gradsheet.autograd.tensor import Tensor


def _reduce(loss: Tensor, reduction: str, denominator: Optional[Union[Tensor, int]] = None
            ) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (loss.numel() if denominator is None else denominator)


def log_softmax(z: Tensor, dim: int = -1) -> Tensor:
    """log softmax(z)_c = z_c − log Σ_k e^{z_k}, computed as (z_c − m) − log Σ_k e^{z_k − m} with
    m = max_k z_k, so that no exponential overflows (m is a constant shift: no gradient)."""
    m = z.amax(dim=dim, keepdim=True).detach()
    return (z - m) - gs.log(gs.exp(z - m).sum(dim=dim, keepdim=True))


@mirrors(fused.CrossEntropy, "the fused node never materialises log p or a one-hot target: "
         "it keeps e^(z - m) and writes dL/dz = softmax(z) - onehot(y) (weighted, smoothed) "
         "in one pass, instead of a chain of ~10 nodes each with its own array")
def cross_entropy(z: Tensor, y: Tensor, weight: Optional[Tensor] = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """L(z, y) = −log softmax(z)_y, averaged over the batch: softmax cross-entropy of logits.

    Logits z (N, C) or (N, C, d1, ...) (class dim 1); y class indices (N,) / (N, d1, ...), or
    class probabilities of z's shape. With class weights w, label smoothing ε and C classes:

        index y:        l = (1 − ε) w_y (−log p_y) + (ε / C) Σ_c w_c (−log p_c)
        probabilities:  l = Σ_c w_c t_c (−log p_c),   t ← (1 − ε) t + ε / C

    'mean' divides by Σ w_y over the kept targets (those ≠ ignore_index; by N d1 ... for
    probabilities), as torch. Fused: ``gradsheet.ops.loss.cross_entropy`` (``CrossEntropy``).
    """
    shape = z.shape[:1] + z.shape[2:] if z.ndim > 1 else ()  # the per-sample losses' shape
    if z.ndim == 1:  # one sample of C logits
        z, y = z[None], y[None]
    C = z.shape[1]
    rows = z.movedim(1, -1).reshape(-1, C)  # one row of C logits per sample (and position)
    nll = -log_softmax(rows)  # −log p_c, (M, C)
    w = gs.ones(C, dtype=z.dtype) if weight is None else weight
    eps = label_smoothing
    if y.shape == z.shape:  # class probabilities
        t = y.movedim(1, -1).reshape(-1, C)
        t = (1 - eps) * t + eps / C
        loss = (w * t * nll).sum(dim=1)
        return _reduce(loss.reshape(shape), reduction)
    y = y.reshape(-1)
    kept = y != ignore_index
    y = gs.where(kept, y, 0)  # an ignored row picks class 0, then counts 0
    w_y = w[y] * kept
    loss = (1 - eps) * w_y * nll[gs.arange(len(y)), y] + (eps / C) * (w * nll).sum(dim=1) * kept
    return _reduce(loss.reshape(shape), reduction, w_y.sum())


@mirrors(fused.BinaryCrossEntropy, "the fused node computes both logs once and writes "
         "dL/dz = w (z - y) / (z (1 - z)) directly, one node instead of ~8")
def binary_cross_entropy(z: Tensor, y: Tensor, weight: Optional[Tensor] = None,
                         reduction: str = "mean") -> Tensor:
    """L(z, y) = −[y log z + (1 − y) log(1 − z)] for probabilities z in [0, 1].

    Each log is clamped at −100 (as torch), so z = 0 or 1 gives a finite loss; ``weight`` w
    multiplies each term. Fused: ``gradsheet.ops.loss.binary_cross_entropy``.
    """
    log_z = gs.clamp(gs.log(z), min=-100.0)
    log_1mz = gs.clamp(gs.log(1 - z), min=-100.0)
    loss = -(y * log_z + (1 - y) * log_1mz)
    if weight is not None:
        loss = weight * loss
    return _reduce(loss, reduction)


@mirrors(fused.BinaryCrossEntropyWithLogits, "the fused node evaluates the stable form "
         "max(x, 0) - x y + log(1 + e^-|x|) and its gradient sigmoid(x) - y in one node, "
         "sharing e^-|x| between them")
def binary_cross_entropy_with_logits(x: Tensor, y: Tensor, weight: Optional[Tensor] = None,
                                     reduction: str = "mean",
                                     pos_weight: Optional[Tensor] = None) -> Tensor:
    """L(x, y) = −[p y log σ(x) + (1 − y) log(1 − σ(x))] on raw scores x.

    log σ(x) = −softplus(−x) and log(1 − σ(x)) = −softplus(x), softplus(x) = log(1 + e^x)
    computed without overflow; p = ``pos_weight`` (1 by default), w = ``weight``.
    Fused: ``gradsheet.ops.loss.binary_cross_entropy_with_logits``.
    """
    log_sigma = -F.softplus(-x)
    log_1m_sigma = -F.softplus(x)
    p = 1.0 if pos_weight is None else pos_weight
    loss = -(p * y * log_sigma + (1 - y) * log_1m_sigma)
    if weight is not None:
        loss = weight * loss
    return _reduce(loss, reduction)
