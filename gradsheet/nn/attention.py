"""Multi-head attention: MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W_O,
head_i = softmax(Q W_Q,i (K W_K,i)^T / sqrt(d_head) + M) V W_V,i.

``MultiheadAttention`` holds PyTorch's parameters under PyTorch's names (``in_proj_weight`` and
``in_proj_bias`` packed as [W_Q; W_K; W_V], or ``q_proj_weight``/``k_proj_weight``/
``v_proj_weight`` when kdim/vdim differ from embed_dim, ``bias_k``/``bias_v``, and
``out_proj``), so state dicts move between the libraries unchanged.
``multi_head_attention_forward`` is the stateless computation (``F.multi_head_attention_forward``).

The heads are split from the projections and merged again as strided views inside one node
(``gradsheet.ops.attention.MultiheadAttentionCore``): no Python loop over heads or batch and
no copy. With ``need_weights=True`` the weights P are an output of their own node
(``AttentionWeights``) and averaged over heads unless ``average_attn_weights=False``.

Reference: Vaswani et al., "Attention Is All You Need", NeurIPS 2017.
"""
import math
import warnings

import numpy as np

from .. import backend
from .. import devices
from ..autograd.tensor import Tensor, as_tensor
from ..ops import shape as shape_ops
from ..ops.attention import AttentionWeights, MultiheadAttentionCore
from ..ops.dropout import dropout as _dropout
from ..ops.linalg import linear, matmul
from ..ops.padding import pad
from ..ops.reduce import mean
from . import init
from .linear import Linear
from .module import Module
from .parameter import Parameter


class NonDynamicallyQuantizableLinear(Linear):
    """z = x W^T + b: the output projection of ``MultiheadAttention`` (a Linear under
    PyTorch's class name, so that reprs and ``out_proj.weight``/``out_proj.bias`` match)."""


def _dtype(x):
    return x.array.dtype if isinstance(x, Tensor) else np.asarray(x).dtype


def _mask_kind(op, mask, name):
    """None, or the mask as a Tensor after checking it is bool or floating."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        mask = as_tensor(np.asarray(mask))
    dtype = mask.array.dtype
    if dtype != np.bool_ and dtype.kind != "f":
        raise TypeError(f"{op}: only bool and floating types of {name} are supported, got "
                        f"{dtype}")
    return mask


def _check_float_mask(op, mask, name, dtype, need_weights):
    """A float mask must have the query's dtype (or be float32 when need_weights=False, as
    scaled_dot_product_attention accepts)."""
    if mask is None or mask.array.dtype == np.bool_:
        return
    mdtype = mask.array.dtype
    allowed = (dtype,) if need_weights else (dtype, np.dtype(np.float32))
    if mdtype not in allowed:
        rule = ("the query's dtype" if need_weights
                else "float32 or the query's dtype")
        raise TypeError(f"{op}: a float {name} must have {rule} ({dtype}), got {mdtype} (or pass "
                        "a bool mask)")


def _additive(mask, dtype, shape):
    """The mask as an additive array or Tensor of ``shape`` (a view): True (a bool mask's
    'do not attend') becomes -inf, False 0; a float mask is kept (it may want a gradient)."""
    if mask.array.dtype == np.bool_:
        return np.where(mask.array, -np.inf, 0.0).astype(dtype).reshape(shape)
    return shape_ops.reshape(mask, shape) if tuple(mask.shape) != tuple(shape) else mask


def _pad_key(mask):
    """One more key (bias_k or the zero key) that every query may attend: a 0 / False column."""
    if mask is None:
        return None
    if mask.array.dtype == np.bool_:
        return as_tensor(np.pad(mask.array, [(0, 0)] * (mask.ndim - 1) + [(0, 1)]))
    return pad(mask, (0, 1))


def _shape_check(op, query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the input is batched, after PyTorch's checks of the dimensions."""
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise ValueError(f"{op}: for batched (3-D) query {tuple(query.shape)}, key and value "
                             f"must be 3-D, got shapes {tuple(key.shape)} and {tuple(value.shape)}")
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise ValueError(f"{op}: for batched (3-D) query, key_padding_mask must be None or "
                             f"2-D (batch, S), got shape {tuple(key_padding_mask.shape)}")
        batched = True
    elif query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise ValueError(f"{op}: for unbatched (2-D) query {tuple(query.shape)}, key and value "
                             f"must be 2-D, got shapes {tuple(key.shape)} and {tuple(value.shape)}")
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise ValueError(f"{op}: for unbatched (2-D) query, key_padding_mask must be None or "
                             f"1-D (S,), got shape {tuple(key_padding_mask.shape)}")
        batched = False
        if attn_mask is not None and attn_mask.ndim == 3:
            expected = (num_heads, query.shape[0], key.shape[0])
            if tuple(attn_mask.shape) != expected:
                raise ValueError(f"{op}: a 3-D attn_mask for unbatched input must have shape "
                                 f"(num_heads, L, S) = {expected}, got {tuple(attn_mask.shape)}")
    else:
        raise ValueError(f"{op}: query must be unbatched 2-D (L, E) or batched 3-D, got a "
                         f"{query.ndim}-D query of shape {tuple(query.shape)}")
    if attn_mask is not None and attn_mask.ndim not in (2, 3):
        raise ValueError(f"{op}: attn_mask must be None, 2-D (L, S) or 3-D (batch * num_heads, "
                         f"L, S), got shape {tuple(attn_mask.shape)}")
    return batched


def _heads(x, heads, batch_first):
    """(T, N, E) (or (N, T, E)) -> (N, H, T, E / H), as Tensor ops (the need_weights path)."""
    if batch_first:
        N, T, E = x.shape
        return shape_ops.permute(shape_ops.reshape(x, (N, T, heads, E // heads)), (0, 2, 1, 3))
    T, N, E = x.shape
    return shape_ops.permute(shape_ops.reshape(x, (T, N, heads, E // heads)), (1, 2, 0, 3))


def _mha(op, query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
         bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training,
         key_padding_mask, need_weights, attn_mask, use_separate_proj_weight, q_proj_weight,
         k_proj_weight, v_proj_weight, static_k, static_v, average_attn_weights, is_causal,
         batch_first):
    key_padding_mask = _mask_kind(op, key_padding_mask, "key_padding_mask")
    attn_mask = _mask_kind(op, attn_mask, "attn_mask")
    batched = _shape_check(op, query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        batch_first = False
        query, key, value = (shape_ops.unsqueeze(x, 1) for x in (query, key, value))
        if key_padding_mask is not None:
            key_padding_mask = shape_ops.unsqueeze(key_padding_mask, 0)
    if batch_first:
        bsz, tgt_len, embed_dim = query.shape
        src_len = key.shape[1]
    else:
        tgt_len, bsz, embed_dim = query.shape
        src_len = key.shape[0]
    dtype = _dtype(query)
    if key_padding_mask is not None and attn_mask is not None and \
            key_padding_mask.array.dtype != attn_mask.array.dtype:
        warnings.warn("Support for mismatched key_padding_mask and attn_mask is deprecated. Use "
                      "same type for both instead.", stacklevel=3)
    if is_causal and attn_mask is None:
        raise ValueError(f"{op}: is_causal=True is a hint that attn_mask is the causal mask, so "
                         "it needs attn_mask (Transformer.generate_square_subsequent_mask(L) "
                         "makes one)")
    causal = False
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask, causal = None, True  # the hint stands for the mask itself
    if embed_dim != embed_dim_to_check:
        raise ValueError(f"{op}: expected the query's embedding dimension (last) to be "
                         f"embed_dim={embed_dim_to_check}, got query of shape {tuple(query.shape)}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise ValueError(f"{op}: embed_dim {embed_dim} must be divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise ValueError(f"{op}: key's sequence and batch dims {tuple(key.shape[:2])} do not "
                             f"match value's {tuple(value.shape[:2])}")
    elif tuple(key.shape) != tuple(value.shape):
        raise ValueError(f"{op}: key shape {tuple(key.shape)} does not match value shape "
                         f"{tuple(value.shape)}")
    for name, mask in (("key_padding_mask", key_padding_mask), ("attn_mask", attn_mask)):
        _check_float_mask(op, mask, name, dtype, need_weights)

    # ---- in-projection: packed [Q | K | V] for self-attention, Q and [K | V] when key is value
    E = embed_dim
    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise ValueError(f"{op}: in_proj_weight is None but use_separate_proj_weight is False")
        if query is key and key is value:
            layout = (linear(query, in_proj_weight, in_proj_bias), None, None)
        elif key is value:
            b_q = b_kv = None
            if in_proj_bias is not None:
                b_q, b_kv = in_proj_bias[:E], in_proj_bias[E:]
            layout = (linear(query, in_proj_weight[:E], b_q),
                      linear(key, in_proj_weight[E:], b_kv), None)
        else:
            ws = (in_proj_weight[:E], in_proj_weight[E:2 * E], in_proj_weight[2 * E:])
            bs = (None,) * 3 if in_proj_bias is None else \
                (in_proj_bias[:E], in_proj_bias[E:2 * E], in_proj_bias[2 * E:])
            layout = tuple(linear(x, w, b) for x, w, b in zip((query, key, value), ws, bs))
    else:
        for name, w in (("q_proj_weight", q_proj_weight), ("k_proj_weight", k_proj_weight),
                        ("v_proj_weight", v_proj_weight)):
            if w is None:
                raise ValueError(f"{op}: use_separate_proj_weight is True but {name} is None")
        bs = (None,) * 3 if in_proj_bias is None else \
            (in_proj_bias[:E], in_proj_bias[E:2 * E], in_proj_bias[2 * E:])
        layout = tuple(linear(x, w, b) for x, w, b in
                       zip((query, key, value), (q_proj_weight, k_proj_weight, v_proj_weight), bs))

    # ---- optional extra keys (bias_k/bias_v, static keys, the zero key): separate q, k, v
    seq_axis = 1 if batch_first else 0
    extra = bias_k is not None or bias_v is not None or static_k is not None or \
        static_v is not None or add_zero_attn
    if extra:
        q, k, v = _unpack(layout, E)
        if (bias_k is None) != (bias_v is None):
            raise ValueError(f"{op}: bias_k and bias_v must be given together")
        if bias_k is not None:
            if static_k is not None or static_v is not None:
                raise ValueError(f"{op}: bias_k/bias_v cannot be added to static keys or values")
            shape = (bsz, 1, E) if batch_first else (1, bsz, E)
            k = shape_ops.cat([k, shape_ops.expand(shape_ops.reshape(bias_k, (1, 1, E)), shape)],
                              seq_axis)
            v = shape_ops.cat([v, shape_ops.expand(shape_ops.reshape(bias_v, (1, 1, E)), shape)],
                              seq_axis)
            attn_mask, key_padding_mask = _pad_key(attn_mask), _pad_key(key_padding_mask)
        k = _static(op, static_k, k, bsz, num_heads, head_dim, batch_first, "static_k")
        v = _static(op, static_v, v, bsz, num_heads, head_dim, batch_first, "static_v")
        if add_zero_attn:
            shape = (bsz, 1, E) if batch_first else (1, bsz, E)
            zeros = as_tensor(np.zeros(shape, dtype=dtype))
            k, v = shape_ops.cat([k, zeros], seq_axis), shape_ops.cat([v, zeros], seq_axis)
            attn_mask, key_padding_mask = _pad_key(attn_mask), _pad_key(key_padding_mask)
        layout = (q, k, v)
        src_len = k.shape[seq_axis]

    # ---- masks: one additive mask broadcasting to (N, H, L, S)
    mask = None
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise ValueError(f"{op}: the 2-D attn_mask has shape {tuple(attn_mask.shape)}, "
                                 f"but should be (L, S) = {(tgt_len, src_len)}")
            mask = _additive(attn_mask, dtype, (1, 1, tgt_len, src_len))
        else:
            expected = (bsz * num_heads, tgt_len, src_len)
            if tuple(attn_mask.shape) != expected:
                raise ValueError(f"{op}: the 3-D attn_mask has shape {tuple(attn_mask.shape)}, "
                                 f"but should be (batch * num_heads, L, S) = {expected}")
            mask = _additive(attn_mask, dtype, (bsz, num_heads, tgt_len, src_len))
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise ValueError(f"{op}: key_padding_mask has shape {tuple(key_padding_mask.shape)}, "
                             f"but should be (batch, S) = {(bsz, src_len)}: one entry per key of "
                             "each sequence")
        kpm = _additive(key_padding_mask, dtype, (bsz, 1, 1, src_len))
        if mask is None:
            mask = kpm
        elif isinstance(mask, np.ndarray) and isinstance(kpm, np.ndarray):
            mask = mask + kpm
        else:
            mask = (mask if isinstance(mask, Tensor) else as_tensor(mask)) + kpm
    if not training:
        dropout_p = 0.0

    # ---- attention and the out-projection
    if need_weights:
        q, k, v = _unpack(layout, E)
        qh, kh, vh = (_heads(x, num_heads, batch_first) for x in (q, k, v))
        weights = AttentionWeights.apply(qh, kh, mask,
                                         scale=1.0 / math.sqrt(head_dim) if head_dim else 1.0)
        if dropout_p > 0:  # torch returns the weights after dropout
            weights = _dropout(weights, dropout_p)
        heads_out = matmul(weights, vh)  # (N, H, L, hd)
        merged = shape_ops.permute(heads_out, (0, 2, 1, 3) if batch_first else (2, 0, 1, 3))
        merged = shape_ops.reshape(merged, merged.shape[:2] + (E,))
        output = linear(merged, out_proj_weight, out_proj_bias)
        if average_attn_weights:
            weights = mean(weights, dim=1)
        if not batched:
            output, weights = shape_ops.squeeze(output, 1), shape_ops.squeeze(weights, 0)
        return output, weights
    a, b, c = layout
    attended = MultiheadAttentionCore.apply(a, b, c, mask, heads=num_heads,
                                            batch_first=batch_first, dropout_p=float(dropout_p),
                                            causal=causal)
    output = linear(attended, out_proj_weight, out_proj_bias)
    if not batched:
        output = shape_ops.squeeze(output, 1)
    return output, None


def _unpack(layout, E):
    """Separate q, k, v projections from a packed layout (slices: views in the graph)."""
    a, b, c = layout
    if b is None:
        return a[..., :E], a[..., E:2 * E], a[..., 2 * E:]
    if c is None:
        return a, b[..., :E], b[..., E:]
    return a, b, c


def _static(op, static, projected, bsz, heads, head_dim, batch_first, name):
    """A static key/value (batch * heads, S, head_dim) in the projection's layout."""
    if static is None:
        return projected
    if static.ndim != 3 or static.shape[0] != bsz * heads or static.shape[2] != head_dim:
        raise ValueError(f"{op}: {name} must have shape (batch * num_heads, S, head_dim) = "
                         f"({bsz * heads}, S, {head_dim}), got {tuple(static.shape)}")
    S = static.shape[1]
    split = shape_ops.reshape(static, (bsz, heads, S, head_dim))
    split = shape_ops.permute(split, (0, 2, 1, 3) if batch_first else (2, 0, 1, 3))
    return shape_ops.reshape(split, split.shape[:2] + (heads * head_dim,))


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """MultiHead(Q, K, V) = Concat(head_1..head_h) W_O + b_O with head_i =
    softmax(Q_i K_i^T / sqrt(d_head) + M) V_i, Q_i, K_i, V_i the i-th slices of the projections
    [Q K V] = [query key value] W_in^T + b_in: the stateless ``nn.MultiheadAttention``.

    Inputs are sequence-first, (L, N, E) (or unbatched (L, E)), as torch's function. Masks:
    ``key_padding_mask`` (N, S) and ``attn_mask`` (L, S) or (N * num_heads, L, S), bool (True =
    may not attend) or float (added). Returns (output (L, N, E), weights (N, L, S) averaged over
    heads, (N, num_heads, L, S) when ``average_attn_weights=False``, or None without
    ``need_weights``).
    """
    return _mha("multi_head_attention_forward", query, key, value, embed_dim_to_check,
                num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                dropout_p, out_proj_weight, out_proj_bias, training, key_padding_mask,
                need_weights, attn_mask, use_separate_proj_weight, q_proj_weight, k_proj_weight,
                v_proj_weight, static_k, static_v, average_attn_weights, is_causal, False)


def _positive(name, value):
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

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
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
            self.q_proj_weight = Parameter(np.empty((E, E), dtype=dtype))
            self.k_proj_weight = Parameter(np.empty((E, self.kdim), dtype=dtype))
            self.v_proj_weight = Parameter(np.empty((E, self.vdim), dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(np.empty((3 * E, E), dtype=dtype))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.empty(3 * E, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(E, E, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(np.empty((1, 1, E), dtype=dtype))
            self.bias_v = Parameter(np.empty((1, 1, E), dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        """(output, weights): the attention of ``query`` (L, N, E) (or (N, L, E) batch-first, or
        unbatched (L, E)) over ``key``/``value`` (S, N, kdim/vdim). Masks as
        ``multi_head_attention_forward``'s; weights (N, L, S) averaged over heads, per head
        with ``average_attn_weights=False``, None when ``need_weights=False``.
        """
        return _mha("MultiheadAttention", query, key, value, self.embed_dim, self.num_heads,
                    self.in_proj_weight, self.in_proj_bias, self.bias_k, self.bias_v,
                    self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
                    self.training, key_padding_mask, need_weights, attn_mask,
                    not self._qkv_same_embed_dim, self.q_proj_weight, self.k_proj_weight,
                    self.v_proj_weight, None, None, average_attn_weights, is_causal,
                    self.batch_first and query.ndim == 3)


__all__ = ["MultiheadAttention", "multi_head_attention_forward"]
