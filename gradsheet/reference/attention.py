"""Scaled dot-product attention as the cheat sheet writes it: softmax(Q Kᵀ / sqrt(d) + M) V."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Optional

import gradsheet as gs
from gradsheet.ops import attention as fused

from .registry import mirrors

if TYPE_CHECKING:
    from gradsheet.autograd.tensor import Tensor


def softmax(s: Tensor, dim: int = -1) -> Tensor:
    """α_j = e^{s_j} / Σ_k e^{s_k}, with the row's max m subtracted first (no overflow). A row
    masked throughout (every s_j = −∞) gives α = 0 rather than 0/0, as torch 2.13 does."""
    m = s.amax(dim=dim, keepdim=True).detach()
    m = gs.where(gs.isneginf(m), gs.zeros_like(m), m)
    e = gs.exp(s - m)
    total = e.sum(dim=dim, keepdim=True)
    return e / gs.where(total == 0, gs.ones_like(total), total)


@mirrors(fused.ScaledDotProductAttention, "the fused node computes the softmax in place on "
         "the scores (held transposed so that it reduces over a long axis) and writes the "
         "softmax-Jacobian backward dS = P (dP − rowsum(dP P)) as batched GEMMs in one node")
def scaled_dot_product_attention(Q: Tensor, K: Tensor, V: Tensor,
                                 attn_mask: Optional[Tensor] = None, is_causal: bool = False,
                                 scale: Optional[float] = None, enable_gqa: bool = False
                                 ) -> Tensor:
    """Attention(Q, K, V) = softmax(Q Kᵀ / sqrt(d_k) + M) V.

    Q (..., L, d_k), K (..., S, d_k), V (..., S, d_v). M: a float mask added to the scores, a
    bool mask (False: −∞, the query may not look there) or, with ``is_causal``, −∞ above the
    diagonal (query i sees keys j ≤ i). ``scale`` replaces 1/sqrt(d_k); ``enable_gqa`` lets
    groups of query heads (dim −3) share one key/value head. No dropout here.
    Fused: ``gradsheet.ops.attention.scaled_dot_product_attention``.
    """
    L, S, d_k = Q.shape[-2], K.shape[-2], Q.shape[-1]
    if enable_gqa and Q.shape[-3] != K.shape[-3]:
        groups = Q.shape[-3] // K.shape[-3]
        K, V = K.repeat_interleave(groups, dim=-3), V.repeat_interleave(groups, dim=-3)
    scale = 1 / math.sqrt(d_k) if scale is None else scale
    scores = Q @ K.transpose(-2, -1) * scale
    if is_causal:
        attn_mask = gs.ones(L, S, dtype=gs.bool).tril()
    if attn_mask is not None and attn_mask.dtype == gs.bool:
        scores = scores.masked_fill(~attn_mask, -math.inf)
    elif attn_mask is not None:
        scores = scores + attn_mask
    return softmax(scores, dim=-1) @ V
