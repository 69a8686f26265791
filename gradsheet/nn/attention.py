"""Multi-head attention: MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W_O,
head_i = softmax(Q W_Q,i (K W_K,i)^T / sqrt(d_head) + M) V W_V,i.

``MultiheadAttention`` holds PyTorch's parameters under PyTorch's names (``in_proj_weight`` and
``in_proj_bias`` packed as [W_Q; W_K; W_V], or ``q_proj_weight``/``k_proj_weight``/
``v_proj_weight`` when kdim/vdim differ from embed_dim, ``bias_k``/``bias_v``, and
``out_proj``), so state dicts move between the libraries unchanged.
``multi_head_attention_forward`` (``gradsheet.ops.attention``) is the stateless computation
(``F.multi_head_attention_forward``).

The heads are split from the projections and merged again as strided views inside one node
(``gradsheet.ops.attention.MultiheadAttentionCore``): no Python loop over heads or batch and
no copy. With ``need_weights=True`` the weights P are an output of their own node
(``AttentionWeights``) and averaged over heads unless ``average_attn_weights=False``.

Reference: Vaswani et al., "Attention Is All You Need", NeurIPS 2017.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np

from .. import backend
from .. import devices
from ..ops.attention import multi_head_attention, multi_head_attention_forward
from . import init
from .linear import Linear
from .module import Module
from .parameter import Parameter, allocate

if TYPE_CHECKING:
    from .._typing import DeviceLike, DType, Tensor


class NonDynamicallyQuantizableLinear(Linear):
    """z = x W^T + b: the output projection of ``MultiheadAttention`` (a Linear under
    PyTorch's class name, so that reprs and ``out_proj.weight``/``out_proj.bias`` match)."""


def _positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"MultiheadAttention: {name} must be a positive integer, got {value!r}")
    return int(value)


class MultiheadAttention(Module):
    """MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W_O + b_O,
    head_i = softmax(Q W_Q,i^T (K W_K,i^T)^T / sqrt(embed_dim / num_heads) + M) V W_V,i^T.

    Args:
        embed_dim: E, the model's width (split into num_heads heads of E / num_heads).
        num_heads: h, which must divide embed_dim.
        dropout: dropout on the attention weights in training (default 0.0).
        bias: learn the projections' biases (default True).
        add_bias_kv: learn one more key and value (bias_k, bias_v) appended to each sequence.
        add_zero_attn: append a key and value of zeros to each sequence.
        kdim, vdim: the key's and value's feature sizes (default embed_dim); when either
            differs, the projections are separate (q_proj_weight, k_proj_weight, v_proj_weight).
        batch_first: inputs and output are (N, L, E) instead of (L, N, E).
        dtype: of the parameters (default: the default dtype).

    Parameters (PyTorch's names and init): ``in_proj_weight`` (3E, E), Xavier uniform (or the
    three separate ones), ``in_proj_bias`` (3E,) zeros, ``out_proj`` a Linear(E, E) with a zero
    bias, ``bias_k``/``bias_v`` (1, 1, E) Xavier normal.

    Example: ``out, w = MultiheadAttention(64, 4)(x, x, x)`` with x of shape (L, N, 64).
    """

    in_proj_weight: Optional[Parameter]
    q_proj_weight: Optional[Parameter]
    k_proj_weight: Optional[Parameter]
    v_proj_weight: Optional[Parameter]
    in_proj_bias: Optional[Parameter]
    bias_k: Optional[Parameter]
    bias_v: Optional[Parameter]

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False,
                 kdim: Optional[int] = None, vdim: Optional[int] = None, batch_first: bool = False,
                 device: Optional[DeviceLike] = None, dtype: Optional[DType] = None) -> None:
        super().__init__()
        devices.check(device, "MultiheadAttention")
        embed_dim, num_heads = _positive("embed_dim", embed_dim), _positive("num_heads", num_heads)
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim {embed_dim} must be divisible by "
                             f"num_heads {num_heads} (each head gets embed_dim / num_heads "
                             "features)")
        dtype = backend.as_dtype(dtype)
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        E = embed_dim
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = allocate("MultiheadAttention", (E, E), dtype)
            self.k_proj_weight = allocate("MultiheadAttention", (E, self.kdim), dtype)
            self.v_proj_weight = allocate("MultiheadAttention", (E, self.vdim), dtype)
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = allocate("MultiheadAttention", (3 * E, E), dtype)
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = allocate("MultiheadAttention", 3 * E, dtype)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(E, E, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = allocate("MultiheadAttention", (1, 1, E), dtype)
            self.bias_v = allocate("MultiheadAttention", (1, 1, E), dtype)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            assert self.in_proj_weight is not None
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                assert weight is not None  # set when kdim or vdim differs from embed_dim
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            assert self.out_proj.bias is not None  # bias=True gives both biases
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Optional[Tensor] = None, need_weights: bool = True,
                attn_mask: Optional[Tensor] = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Optional[Tensor]]:
        """(output, weights): the attention of ``query`` (L, N, E) (or (N, L, E) batch-first, or
        unbatched (L, E)) over ``key``/``value`` (S, N, kdim/vdim). Masks as
        ``multi_head_attention_forward``'s; weights (N, L, S) averaged over heads, per head
        with ``average_attn_weights=False``, None when ``need_weights=False``.
        """
        return multi_head_attention(
            "MultiheadAttention", query, key, value, self.embed_dim, self.num_heads,
            self.in_proj_weight, self.in_proj_bias, self.bias_k, self.bias_v,
            self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            self.training, key_padding_mask, need_weights, attn_mask,
            not self._qkv_same_embed_dim, self.q_proj_weight, self.k_proj_weight,
            self.v_proj_weight, None, None, average_attn_weights, is_causal,
            self.batch_first and query.ndim == 3)


__all__ = ["MultiheadAttention", "NonDynamicallyQuantizableLinear", "multi_head_attention_forward"]
