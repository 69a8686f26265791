"""Converters for MultiheadAttention and the Transformer layers (TransformerEncoderLayer,
TransformerEncoder, TransformerDecoderLayer, TransformerDecoder), and the op
scaled_dot_product_attention, built from standard ONNX ops:

    Q, K, V = X W_Q^T + b_Q, ... (MatMul + Add; one MatMul and a Split for self-attention)
    heads:   Reshape (0, 0, H, E/H) + Transpose -> (N, H, L, E/H)
    P = Softmax(Q K^T / sqrt(E/H) + M)   (Mul, MatMul, Add, Softmax over the keys)
    O = Concat_h(P_h V_h) W_O^T + b_O    (MatMul, Transpose, Reshape (0, 0, E), MatMul + Add)

Every reshape copies the batch and sequence sizes from its input (Reshape's 0) or reads them
with Shape, so the graph keeps both dynamic. Masks are graph inputs or constants: a bool mask
becomes Where(mask, -inf, 0), a float one is added as it is, a key-padding mask (N, S) is
unsqueezed to (N, 1, 1, S), a 3-D attn_mask (N*H, L, S) reshaped to (N, H, L, S); is_causal
(where gradsheet honours it) builds the causal mask from the scores' Shape (Trilu). A row
whose every key is masked gives zeros with need_weights=False and NaN with need_weights=True,
as gradsheet (and torch). The layers are LayerNormalization, MatMul + Add, Relu or GELU (the
erf formula before opset 20) and Add for the residuals, as the layer converters of
``basic`` and ``norm`` write them.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np
import numpy.typing as npt

from ..nn.attention import MultiheadAttention
from ..nn.module import Module
from ..nn.transformer import (TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
                              TransformerEncoderLayer)
from ..ops import activation as act_ops
from ..ops import attention as attention_ops
from . import basic
from .graph import converts, converts_op, require_converter

if TYPE_CHECKING:
    from .basic import Shape
    from .build import OpCall
    from .graph import Graph

# the extra inputs' example arrays by argument name (a converter with examples=True gets them)
Examples = Optional[dict[str, np.ndarray]]
_TransformerLayer = Union[TransformerEncoderLayer, TransformerDecoderLayer]


class _Mask:
    """A mask in the graph: its value's name, rank and dtype."""

    __slots__ = ("name", "ndim", "dtype")

    def __init__(self, name: str, ndim: int, dtype: npt.DTypeLike) -> None:
        self.name, self.ndim, self.dtype = name, ndim, np.dtype(dtype)


def _mask(name: Optional[str], examples: Examples, key: str) -> Optional[_Mask]:
    """The _Mask of extra input ``key`` (None when absent)."""
    if name is None:
        return None
    assert examples is not None  # the converter takes examples: its extra inputs' arrays
    example = examples[key]
    return _Mask(name, example.ndim, example.dtype)


def _onnx_dtype(g: Graph, dtype: npt.DTypeLike) -> int:
    return g.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def _additive(g: Graph, mask: Optional[_Mask], path: str) -> Optional[_Mask]:
    """The mask as floats of the model dtype to add to the scores: a bool mask's True (may not
    attend) -> -inf, False -> 0; a float mask as it is (cast to the model dtype)."""
    if mask is None:
        return None
    if mask.dtype == np.bool_:
        name = g.add("Where", [mask.name, g.scalar(-np.inf, f"{path}.neg_inf"),
                               g.scalar(0.0, f"{path}.zero")], path)
    elif mask.dtype != g.dtype:
        name = g.add("Cast", [mask.name], path, to=_onnx_dtype(g, g.dtype))
    else:
        name = mask.name
    return _Mask(name, mask.ndim, g.dtype)


def _axes(g: Graph, axes: Sequence[int], path: str) -> str:
    return g.const(np.array(axes, dtype=np.int64), f"{path}.axes")


def _reduce(g: Graph, op_type: str, x: str, axes: Sequence[int], keepdims: int, path: str
            ) -> str:
    """ReduceMax/ReduceMean over ``axes`` (an input from opset 18, an attribute before)."""
    if g.opset >= 18:
        return g.add(op_type, [x, _axes(g, axes, path)], path, keepdims=keepdims)
    return g.add(op_type, [x], path, axes=list(axes), keepdims=keepdims)


def _refuse_dropout(m: Module, path: str, p: float) -> None:
    if m.training and p > 0:
        raise NotImplementedError(
            f"onnx.export: {type(m).__name__} at {path!r} is in training mode with dropout "
            f"{p}; ONNX inference graphs have no random dropout: export in eval mode "
            "(training=TrainingMode.EVAL, the default)")


def _project(g: Graph, x: str, weight: np.ndarray, bias: Optional[np.ndarray], path: str,
             what: str) -> str:
    """x W^T + b (MatMul with the transposed weight folded into the initializer)."""
    y = g.add("MatMul", [x, g.const(weight.T, f"{path}.{what}_weight_t")], path)
    if bias is None:
        return y
    return g.add("Add", [y, g.const(bias, f"{path}.{what}_bias")], path)


def _split(g: Graph, x: str, parts: int, E: int, path: str) -> list[str]:
    return g.add_multi("Split", [x, g.const(np.array([E] * parts, dtype=np.int64),
                                            f"{path}.split")], path, parts, axis=-1)


def _append_key(g: Graph, x: str, row: np.ndarray, batch_first: bool, path: str) -> str:
    """x (S, N, E) (or (N, S, E)) with one more key ``row`` (1, 1, E) at its end, the same
    for every batch entry (Expand to (1, N, E), N read from x's Shape)."""
    seq_axis = 1 if batch_first else 0
    batch_axis = 1 - seq_axis
    n = g.add("Shape", [x], path, start=batch_axis, end=batch_axis + 1)
    one, width = g.const([1], f"{path}.one"), g.const([row.shape[-1]], f"{path}.width")
    target = g.add("Concat", [n, one, width] if batch_first else [one, n, width], path, axis=0)
    extra = g.add("Expand", [g.const(row.reshape(1, 1, -1), f"{path}.extra_key"), target], path)
    return g.add("Concat", [x, extra], path, axis=seq_axis)


def _pad_mask(g: Graph, mask: Optional[_Mask], path: str) -> Optional[_Mask]:
    """An additive mask with a 0 column (one more key every query may attend) at its end."""
    if mask is None:
        return None
    pads = [0] * mask.ndim + [0] * (mask.ndim - 1) + [1]
    name = g.add("Pad", [mask.name, g.const(np.array(pads, dtype=np.int64), f"{path}.pads")],
                 path)
    return _Mask(name, mask.ndim, mask.dtype)


def _heads(g: Graph, x: str, H: int, hd: int, batch_first: bool, transpose_keys: bool,
           path: str) -> str:
    """(T, N, E) (or (N, T, E)) -> (N, H, T, hd), or (N, H, hd, T) with ``transpose_keys``:
    Reshape (0, 0, H, hd) copies the batch and sequence sizes, Transpose orders the axes."""
    split = g.add("Reshape", [x, g.const(np.array([0, 0, H, hd], dtype=np.int64),
                                         f"{path}.heads")], path)
    if batch_first:  # (N, T, H, hd)
        perm = [0, 2, 3, 1] if transpose_keys else [0, 2, 1, 3]
    else:  # (T, N, H, hd)
        perm = [1, 2, 3, 0] if transpose_keys else [1, 2, 0, 3]
    return g.add("Transpose", [split], path, perm=perm)


def _causal(g: Graph, scores: str, path: str) -> str:
    """The additive causal mask of the scores (..., L, S): -inf where key j > query i (upper
    left aligned), from the scores' Shape (ConstantOfShape, Trilu)."""
    size = g.add("Shape", [scores], path, start=-2)
    value = g.onnx.numpy_helper.from_array(np.ones(1, dtype=g.dtype))
    ones = g.add("ConstantOfShape", [size], path, value=value)
    above = g.add("Cast", [g.add("Trilu", [ones, g.const(np.array(1, dtype=np.int64),
                                                          f"{path}.k")], path, upper=1)],
                  path, to=g.onnx.TensorProto.BOOL)
    return g.add("Where", [above, g.scalar(-np.inf, f"{path}.neg_inf"),
                           g.scalar(0.0, f"{path}.zero")], path)


def _softmax(g: Graph, scores: str, masked: bool, safe: bool, path: str) -> str:
    """softmax over the keys (last axis); with ``safe`` a row of -inf (every key masked)
    gives zeros instead of NaN."""
    p = g.add("Softmax", [scores], path, axis=-1)
    if not (masked and safe):
        return p
    top = _reduce(g, "ReduceMax", scores, [-1], 1, path)
    dead = g.add("IsInf", [top], path, detect_positive=0)
    return g.add("Where", [dead, g.scalar(0.0, f"{path}.zero"), p], path)


def attend(g: Graph, q: str, k: str, v: str, mask: Optional[str], scale: float, causal: bool,
           safe: bool, path: str) -> tuple[str, str]:
    """O = softmax(q k^T scale + mask) v on graph values (q (..., L, E), k^T given as
    ``k`` (..., E, S)); returns (O, P)."""
    scores = g.add("MatMul", [g.add("Mul", [q, g.scalar(scale, f"{path}.scale")], path), k],
                   path)
    masks = [] if mask is None else [mask]
    if causal:
        masks.append(_causal(g, scores, path))
    for m in masks:
        scores = g.add("Add", [scores, m], path)
    p = _softmax(g, scores, bool(masks), safe, path)
    return g.add("MatMul", [p, v], path), p


def multihead_attention(g: Graph, m: MultiheadAttention, query: str, shape: Shape, path: str,
                        key: str, value: str, key_padding_mask: Optional[_Mask] = None,
                        attn_mask: Optional[_Mask] = None, need_weights: bool = True,
                        average_attn_weights: bool = True, is_causal: bool = False
                        ) -> tuple[str, Optional[str]]:
    """The graph of ``m(query, key, value, ...)``: names of (output, weights or None).
    ``key_padding_mask`` and ``attn_mask`` are _Masks (or None)."""
    _refuse_dropout(m, path, m.dropout)
    E, H, hd = m.embed_dim, m.num_heads, m.head_dim
    batched = len(shape) == 3
    batch_first = bool(m.batch_first) and batched
    if not batched:  # (L, E) -> (L, 1, E); the padding mask (S,) -> (1, S)
        axis1, batched_names = _axes(g, [1], path), {}
        for n in (query, key, value):  # once each, so that self-attention stays packed
            if n not in batched_names:
                batched_names[n] = g.add("Unsqueeze", [n, axis1], path)
        query, key, value = (batched_names[n] for n in (query, key, value))
        if key_padding_mask is not None:
            name = g.add("Unsqueeze", [key_padding_mask.name, _axes(g, [0], path)], path)
            key_padding_mask = _Mask(name, 2, key_padding_mask.dtype)
    # torch's hint: with no padding mask and no weights, is_causal stands for the mask itself
    causal = bool(is_causal) and key_padding_mask is None and not need_weights
    if causal:
        attn_mask = None

    # ---- in-projection
    bias = None if m.in_proj_bias is None else m.in_proj_bias.array
    b = (None,) * 3 if bias is None else (bias[:E], bias[E:2 * E], bias[2 * E:])
    if m._qkv_same_embed_dim:
        assert m.in_proj_weight is not None  # one packed weight when the embedding dims agree
        w = m.in_proj_weight.array
        if query == key == value:
            q, k, v = _split(g, _project(g, query, w, bias, path, "in_proj"), 3, E, path)
        elif key == value:
            q = _project(g, query, w[:E], b[0], path, "q_proj")
            kv_bias = None if bias is None else bias[E:]
            k, v = _split(g, _project(g, key, w[E:], kv_bias, path, "kv_proj"), 2, E, path)
        else:
            q, k, v = (_project(g, x, w[i * E:(i + 1) * E], b[i], path, what)
                       for i, (x, what) in enumerate(((query, "q_proj"), (key, "k_proj"),
                                                      (value, "v_proj"))))
    else:
        q, k, v = (_project(g, x, getattr(m, f"{what}_weight").array, b[i], path, what)
                   for i, (x, what) in enumerate(((query, "q_proj"), (key, "k_proj"),
                                                  (value, "v_proj"))))

    # ---- masks (additive), and the extra keys of bias_k/bias_v and add_zero_attn
    attn = _additive(g, attn_mask, path)
    kpm = _additive(g, key_padding_mask, path)
    if m.bias_k is not None:
        assert m.bias_v is not None  # bias_k and bias_v come together (add_bias_kv)
        k = _append_key(g, k, m.bias_k.array, batch_first, path)
        v = _append_key(g, v, m.bias_v.array, batch_first, path)
        attn, kpm = _pad_mask(g, attn, path), _pad_mask(g, kpm, path)
    if m.add_zero_attn:
        zeros = np.zeros(E, dtype=g.dtype)
        k = _append_key(g, k, zeros, batch_first, path)
        v = _append_key(g, v, zeros, batch_first, path)
        attn, kpm = _pad_mask(g, attn, path), _pad_mask(g, kpm, path)
    mask = None
    if attn is not None:
        mask = attn.name
        if attn.ndim == 3:  # (N*H, L, S) -> (N, H, L, S)
            sizes = g.add("Shape", [attn.name], path, start=1)
            target = g.add("Concat", [g.const(np.array([-1, H], dtype=np.int64),
                                              f"{path}.mask_heads"), sizes], path, axis=0)
            mask = g.add("Reshape", [attn.name, target], path)
    if kpm is not None:  # (N, S) -> (N, 1, 1, S)
        padding = g.add("Unsqueeze", [kpm.name, _axes(g, [1, 2], path)], path)
        mask = padding if mask is None else g.add("Add", [mask, padding], path)

    # ---- the heads' attention and the out-projection
    qh = _heads(g, q, H, hd, batch_first, False, path)
    kh = _heads(g, k, H, hd, batch_first, True, path)
    vh = _heads(g, v, H, hd, batch_first, False, path)
    scale = 1.0 / math.sqrt(hd)
    out, p = attend(g, qh, kh, vh, mask, scale, causal, not need_weights, path)
    merged = g.add("Transpose", [out], path, perm=[0, 2, 1, 3] if batch_first else [2, 0, 1, 3])
    merged = g.add("Reshape", [merged, g.const(np.array([0, 0, E], dtype=np.int64),
                                               f"{path}.merge")], path)
    out_bias = None if m.out_proj.bias is None else m.out_proj.bias.array
    out = _project(g, merged, m.out_proj.weight.array, out_bias, path, "out_proj")
    if not batched:
        out = g.add("Squeeze", [out, _axes(g, [1], path)], path)
    if not need_weights:
        return out, None
    weights = _reduce(g, "ReduceMean", p, [1], 0, path) if average_attn_weights else p
    if not batched:
        weights = g.add("Squeeze", [weights, _axes(g, [0], path)], path)
    return out, weights


@converts(MultiheadAttention, extra_inputs=("key", "value", "key_padding_mask", "attn_mask"),
          options=("need_weights", "average_attn_weights", "is_causal"), examples=True)
def multihead_attention_layer(g: Graph, m: MultiheadAttention, query: str, shape: Shape,
                              path: str, key: Optional[str] = None, value: Optional[str] = None,
                              key_padding_mask: Optional[str] = None,
                              attn_mask: Optional[str] = None, need_weights: bool = True,
                              average_attn_weights: bool = True, is_causal: bool = False,
                              examples: Examples = None) -> tuple[str, Optional[str]]:
    """(output, weights): the heads' scaled dot-product attention between the projections
    (module docstring); key_padding_mask and attn_mask may be graph inputs or constants."""
    assert key is not None and value is not None  # MultiheadAttention.forward requires them
    return multihead_attention(
        g, m, query, shape, path, key, value,
        key_padding_mask=_mask(key_padding_mask, examples, "key_padding_mask"),
        attn_mask=_mask(attn_mask, examples, "attn_mask"), need_weights=need_weights,
        average_attn_weights=average_attn_weights, is_causal=is_causal)


# ---------------------------------------------------------------- the Transformer layers
def _activation(g: Graph, fn: Union[Callable[..., Any], Module], x: str, shape: Shape,
                path: str) -> str:
    """The feed-forward block's activation: F.relu / F.gelu, or a layer with a converter."""
    if fn is act_ops.relu:
        return g.add("Relu", [x], path)
    if fn is act_ops.gelu:
        return basic.gelu(g, SimpleNamespace(approximate="none"), x, shape, path)
    if isinstance(fn, Module):
        return require_converter(fn, path)(g, fn, x, shape, path)
    raise NotImplementedError(
        f"onnx.export: the activation {getattr(fn, '__name__', fn)!r} at {path!r} is a Python "
        "callable, which the exporter cannot see into; use 'relu', 'gelu' or an activation "
        "module (nn.GELU(approximate='tanh'), nn.SiLU(), ...)")


def _layer(g: Graph, m: Module, x: str, shape: Shape, path: str) -> str:
    return require_converter(m, path)(g, m, x, shape, path)


def _refuse_layer_dropout(m: Module, path: str) -> None:
    for name in ("dropout", "dropout1", "dropout2", "dropout3"):
        d = getattr(m, name, None)
        if d is not None:
            _refuse_dropout(d, f"{path}.{name}", d.p)


def _feed_forward(g: Graph, m: _TransformerLayer, x: str, shape: Shape, path: str) -> str:
    """W2 act(W1 x + b1) + b2."""
    h = _layer(g, m.linear1, x, shape, f"{path}.linear1")
    h = _activation(g, m.activation, h, shape[:-1] + (m.linear1.out_features,),
                    f"{path}.activation")
    return _layer(g, m.linear2, h, shape[:-1] + (m.linear1.out_features,), f"{path}.linear2")


def _residual(g: Graph, m: _TransformerLayer, x: str, block: Callable[[str], str],
              norm: tuple[Module, str], shape: Shape, path: str) -> str:
    """x + block(norm(x)) with norm_first, else norm(x + block(x))."""
    if m.norm_first:
        y = block(_layer(g, norm[0], x, shape, f"{path}.{norm[1]}"))
        return g.add("Add", [x, y], path)
    return _layer(g, norm[0], g.add("Add", [x, block(x)], path), shape, f"{path}.{norm[1]}")


def _canonical(g: Graph, mask: Optional[_Mask], path: str) -> Optional[_Mask]:
    """torch's canonical mask: a bool mask as additive floats (True -> -inf)."""
    return _additive(g, mask, path) if mask is not None and mask.dtype == np.bool_ else mask


def encoder_layer(g: Graph, m: TransformerEncoderLayer, x: str, shape: Shape, path: str,
                  src_mask: Optional[_Mask] = None,
                  src_key_padding_mask: Optional[_Mask] = None, is_causal: bool = False) -> str:
    """x <- LN1(x + SA(x)), x <- LN2(x + FF(x)) (norm_first: x + SA(LN1(x)), x + FF(LN2(x)));
    the masks are _Masks (or None)."""
    _refuse_layer_dropout(m, path)
    kpm = _canonical(g, src_key_padding_mask, path)
    mask = _canonical(g, src_mask, path)

    def self_attention(h: str) -> str:
        return multihead_attention(g, m.self_attn, h, shape, f"{path}.self_attn", h, h,
                                   key_padding_mask=kpm, attn_mask=mask, need_weights=False,
                                   is_causal=is_causal)[0]

    x = _residual(g, m, x, self_attention, (m.norm1, "norm1"), shape, path)
    return _residual(g, m, x, lambda h: _feed_forward(g, m, h, shape, path),
                     (m.norm2, "norm2"), shape, path)


def decoder_layer(g: Graph, m: TransformerDecoderLayer, x: str, shape: Shape, path: str,
                  memory: str, tgt_mask: Optional[_Mask] = None,
                  memory_mask: Optional[_Mask] = None,
                  tgt_key_padding_mask: Optional[_Mask] = None,
                  memory_key_padding_mask: Optional[_Mask] = None, tgt_is_causal: bool = False,
                  memory_is_causal: bool = False) -> str:
    """x <- LN1(x + SA(x)), x <- LN2(x + CA(x, memory)), x <- LN3(x + FF(x)) (norm_first:
    x + Block(LN(x)) each time); the masks are _Masks (or None)."""
    _refuse_layer_dropout(m, path)

    def self_attention(h: str) -> str:
        return multihead_attention(g, m.self_attn, h, shape, f"{path}.self_attn", h, h,
                                   key_padding_mask=tgt_key_padding_mask, attn_mask=tgt_mask,
                                   need_weights=False, is_causal=tgt_is_causal)[0]

    def cross_attention(h: str) -> str:
        return multihead_attention(g, m.multihead_attn, h, shape, f"{path}.multihead_attn",
                                   memory, memory, key_padding_mask=memory_key_padding_mask,
                                   attn_mask=memory_mask, need_weights=False,
                                   is_causal=memory_is_causal)[0]

    x = _residual(g, m, x, self_attention, (m.norm1, "norm1"), shape, path)
    x = _residual(g, m, x, cross_attention, (m.norm2, "norm2"), shape, path)
    return _residual(g, m, x, lambda h: _feed_forward(g, m, h, shape, path),
                     (m.norm3, "norm3"), shape, path)


_ENCODER_MASKS = ("src_mask", "src_key_padding_mask")
_DECODER_MASKS = ("tgt_mask", "memory_mask", "tgt_key_padding_mask", "memory_key_padding_mask")


@converts(TransformerEncoderLayer, extra_inputs=_ENCODER_MASKS, options=("is_causal",),
          examples=True)
def encoder_layer_converter(g: Graph, m: TransformerEncoderLayer, src: str, shape: Shape,
                            path: str, src_mask: Optional[str] = None,
                            src_key_padding_mask: Optional[str] = None, is_causal: bool = False,
                            examples: Examples = None) -> str:
    """The encoder layer (``encoder_layer``), its masks graph inputs or constants."""
    return encoder_layer(g, m, src, shape, path,
                         **{k: _mask(v, examples, k) for k, v in
                            zip(_ENCODER_MASKS, (src_mask, src_key_padding_mask))},
                         is_causal=is_causal)


@converts(TransformerDecoderLayer, extra_inputs=("memory",) + _DECODER_MASKS,
          options=("tgt_is_causal", "memory_is_causal"), examples=True)
def decoder_layer_converter(g: Graph, m: TransformerDecoderLayer, tgt: str, shape: Shape,
                            path: str, memory: Optional[str] = None,
                            tgt_mask: Optional[str] = None, memory_mask: Optional[str] = None,
                            tgt_key_padding_mask: Optional[str] = None,
                            memory_key_padding_mask: Optional[str] = None,
                            tgt_is_causal: bool = False, memory_is_causal: bool = False,
                            examples: Examples = None) -> str:
    """The decoder layer (``decoder_layer``), its memory and masks graph inputs or constants."""
    assert memory is not None  # TransformerDecoderLayer.forward requires it
    masks = (tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask)
    return decoder_layer(g, m, tgt, shape, path, memory,
                         **{k: _mask(v, examples, k) for k, v in zip(_DECODER_MASKS, masks)},
                         tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)


def _stacked_layer(g: Graph, layer: Module, kind: str, path: str) -> Callable[..., str]:
    """The layer's own graph function (encoder_layer / decoder_layer), refusing a layer of
    another kind (a subclass with its own forward, say)."""
    kinds: dict[str, tuple[type[Module], Callable[..., str]]] = {
        "encoder": (TransformerEncoderLayer, encoder_layer),
        "decoder": (TransformerDecoderLayer, decoder_layer)}
    cls, fn = kinds[kind]
    if isinstance(layer, cls) and type(layer).forward is cls.forward:
        return fn
    raise NotImplementedError(f"onnx.export: no ONNX converter for {type(layer).__name__} at "
                              f"{path!r} inside a Transformer{kind.capitalize()}: its layers "
                              f"must be Transformer{kind.capitalize()}Layer")


def _zero_padding(g: Graph, m: TransformerEncoder, x: str, kpm: _Mask, batch_first: bool,
                  path: str) -> str:
    """gradsheet's (and torch's nested-tensor) evaluation path of TransformerEncoder: zeros at
    the padded positions (the canonical padding mask nonzero), unless mask_check finds a
    padding mask that is not left-aligned (a valid key after a padded one in some row)."""
    padded = g.add("Not", [g.add("Equal", [kpm.name, g.scalar(0.0, f"{path}.zero")], path)],
                   path)
    valid = g.add("Not", [padded], path)
    if m.mask_check:
        inputs = [g.const(np.array(v, dtype=np.int64), f"{path}.{w}")
                  for v, w in (([1], "one"), ([2 ** 62], "end"), ([1], "axis"))]
        later = g.add("Slice", [valid] + inputs, path)
        inputs = [g.const(np.array(v, dtype=np.int64), f"{path}.{w}")
                  for v, w in (([0], "start"), ([-1], "stop"), ([1], "axis"))]
        earlier = g.add("Slice", [padded] + inputs, path)
        bad = g.add("Cast", [g.add("And", [later, earlier], path)], path,
                    to=_onnx_dtype(g, g.dtype))
        flat = g.add("Reshape", [bad, g.const(np.array([-1], dtype=np.int64), f"{path}.flat")],
                     path)
        flat = g.add("Concat", [flat, g.const(np.zeros(1), f"{path}.zero1")], path, axis=0)
        misaligned = g.add("Greater", [_reduce(g, "ReduceMax", flat, [0], 0, path),
                                       g.scalar(0.0, f"{path}.zero")], path)
        valid = g.add("Or", [valid, misaligned], path)
    keep = valid if batch_first else g.add("Transpose", [valid], path, perm=[1, 0])
    keep = g.add("Unsqueeze", [keep, _axes(g, [-1], path)], path)
    keep = g.add("Cast", [keep], path, to=_onnx_dtype(g, g.dtype))
    return g.add("Mul", [x, keep], path)


@converts(TransformerEncoder, extra_inputs=("mask", "src_key_padding_mask"),
          options=("is_causal",), examples=True)
def encoder(g: Graph, m: TransformerEncoder, src: str, shape: Shape, path: str,
            mask: Optional[str] = None, src_key_padding_mask: Optional[str] = None,
            is_causal: Optional[bool] = None, examples: Examples = None) -> str:
    """Each layer in turn (``encoder_layer``), then the norm. is_causal=None (detect whether
    ``mask`` is the causal mask) exports the mask itself, which gives the same numbers."""
    kpm = _canonical(g, _mask(src_key_padding_mask, examples, "src_key_padding_mask"), path)
    src_mask = _canonical(g, _mask(mask, examples, "mask"), path)
    first = m.layers[0] if len(m.layers) else None
    # gradsheet's evaluation path without gradients (export traces under no_grad)
    zero = first is not None and m.use_nested_tensor and not first.training and \
        len(shape) == 3 and kpm is not None and src_mask is None
    x = src
    for i, layer in enumerate(m.layers):
        lpath = f"{path}.layers.{i}"
        x = _stacked_layer(g, layer, "encoder", lpath)(
            g, layer, x, shape, lpath, src_mask=src_mask, src_key_padding_mask=kpm,
            is_causal=is_causal is True)
    if zero:
        assert first is not None and kpm is not None  # zero needs both
        x = _zero_padding(g, m, x, kpm, first.self_attn.batch_first, path)
    if m.norm is not None:
        x = _layer(g, m.norm, x, shape, f"{path}.norm")
    return x


@converts(TransformerDecoder, extra_inputs=("memory",) + _DECODER_MASKS,
          options=("tgt_is_causal", "memory_is_causal"), examples=True)
def decoder(g: Graph, m: TransformerDecoder, tgt: str, shape: Shape, path: str,
            memory: Optional[str] = None, tgt_mask: Optional[str] = None,
            memory_mask: Optional[str] = None, tgt_key_padding_mask: Optional[str] = None,
            memory_key_padding_mask: Optional[str] = None, tgt_is_causal: Optional[bool] = None,
            memory_is_causal: bool = False, examples: Examples = None) -> str:
    """Each layer in turn (``decoder_layer``) on tgt with memory, then the norm."""
    masks = {k: _mask(v, examples, k) for k, v in zip(
        _DECODER_MASKS, (tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask))}
    x = tgt
    for i, layer in enumerate(m.layers):
        lpath = f"{path}.layers.{i}"
        x = _stacked_layer(g, layer, "decoder", lpath)(
            g, layer, x, shape, lpath, memory, **masks, tgt_is_causal=tgt_is_causal is True,
            memory_is_causal=memory_is_causal)
    if m.norm is not None:
        x = _layer(g, m.norm, x, shape, f"{path}.norm")
    return x


# ---------------------------------------------------------------- the op
@converts_op(attention_ops.ScaledDotProductAttention)
def scaled_dot_product_attention(g: Graph, call: OpCall) -> str:
    """softmax(Q K^T scale + M) V (F.scaled_dot_product_attention): MatMul, Add, Softmax,
    MatMul; a fully masked row gives zeros. A float mask may be a graph input; a bool mask is
    turned into floats in Python, so it exports as a constant of fixed shape."""
    params = call.params
    if params.get("dropout_p", 0.0) > 0:
        raise NotImplementedError(f"onnx.export: {call.describe()} has dropout_p="
                                  f"{params['dropout_p']}, which drops weights at random even in "
                                  "eval mode; pass dropout_p=0.0 for export")
    if params.get("groups", 1) > 1:
        raise NotImplementedError(f"onnx.export: {call.describe()} uses grouped-query attention "
                                  "(enable_gqa), which has no converter; repeat the key and "
                                  "value heads (repeat_interleave) before the call instead")
    q, k, v = call.name(0), call.name(1), call.name(2)
    kT = g.add("Transpose", [k], call.hint,
               perm=list(range(call.array(1).ndim - 2)) + [call.array(1).ndim - 1,
                                                          call.array(1).ndim - 2])
    mask = None
    if call.arg(3) is not None:
        mask = call.name(3)
        if call.array(3).dtype != call.out.dtype:
            mask = g.add("Cast", [mask], call.hint, to=_onnx_dtype(g, call.out.dtype))
    out, _ = attend(g, q, kT, v, mask, float(params["scale"]), bool(params.get("causal")), True,
                    call.hint)
    return out
