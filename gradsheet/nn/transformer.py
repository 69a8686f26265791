"""The Transformer: encoder and decoder stacks of attention and feed-forward blocks.

Encoder layer (post-norm, the default):  x = LN1(x + SA(x));  x = LN2(x + FF(x)),
FF(x) = W2 dropout(act(W1 x + b1)) + b2; with ``norm_first``: x = x + SA(LN1(x)),
x = x + FF(LN2(x)). A decoder layer adds cross-attention over the encoder's output (the
memory) between the two. Names, parameters and defaults are PyTorch's, so state dicts
(``layers.0.self_attn.in_proj_weight``, ``layers.0.linear1.weight``, ``layers.0.norm1.weight``,
...) move between the libraries unchanged.

Reference: Vaswani et al., "Attention Is All You Need", NeurIPS 2017.
"""
from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from .. import backend
from ..autograd.tensor import Tensor, as_tensor
from ..ops._checks import as_tensor_arg
from ..ops.activation import gelu, relu
from ..ops.geometry import is_int
from .activation import GELU, ReLU
from .attention import MultiheadAttention
from .containers import ModuleList
from .dropout import Dropout
from .init import xavier_uniform_
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

if TYPE_CHECKING:
    from .._typing import DeviceLike, DType


def _generate_square_subsequent_mask(sz: int, device: Optional[DeviceLike] = None,
                                     dtype: Optional[DType] = None) -> Tensor:
    """The causal mask: float -inf above the diagonal (j > i), 0 elsewhere."""
    dtype = backend.as_dtype(dtype)
    if dtype == np.bool_:
        return as_tensor(np.triu(np.ones((sz, sz), dtype=bool), 1))
    return as_tensor(np.triu(np.full((sz, sz), -np.inf, dtype=dtype), 1))


def _get_seq_len(src: Tensor, batch_first: bool) -> int:
    if src.ndim == 2:
        return src.shape[0]
    return src.shape[1 if batch_first else 0]


def _detect_is_causal_mask(mask: Optional[Tensor], is_causal: Optional[bool] = None,
                           size: Optional[int] = None) -> bool:
    """``is_causal`` when given; else whether ``mask`` equals the causal mask of its size."""
    make_causal = is_causal is True
    if is_causal is None and mask is not None:
        sz = size if size is not None else mask.shape[-2]
        array = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
        causal = _generate_square_subsequent_mask(sz, dtype=array.dtype).array
        make_causal = array.shape == causal.shape and bool(np.all(array == causal))
    return make_causal


def _get_clones(module: Module, n: int) -> ModuleList:
    """A ModuleList of ``n`` deep copies of ``module`` (independent parameters)."""
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _get_activation_fn(activation: str) -> Callable[[Tensor], Tensor]:
    if activation == "relu":
        return relu
    if activation == "gelu":
        return gelu
    raise ValueError(f"activation should be 'relu' or 'gelu' (or a callable), not {activation!r}")


def _canonical_mask(layer: str, mask: Optional[Tensor], name: str, other: Optional[Tensor],
                    other_name: str, dtype: np.dtype, check_other: bool = True
                    ) -> Optional[Tensor]:
    """torch's canonical form of a mask: a bool mask becomes the additive float mask of
    ``dtype`` (True -> -inf, False -> 0); a float mask passes unchanged. Warns, as torch, when
    ``other`` (the other mask) has another dtype."""
    if mask is None:
        return None
    array = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
    if array.dtype != np.bool_ and array.dtype.kind != "f":
        raise TypeError(f"{layer}: only bool and floating types of {name} are supported, got "
                        f"{array.dtype}")
    if check_other and other is not None:
        other_dtype = other.array.dtype if isinstance(other, Tensor) else np.asarray(other).dtype
        if other_dtype != array.dtype:
            warnings.warn(f"Support for mismatched {name} and {other_name} is deprecated. Use "
                          "same type for both instead.", stacklevel=3)
    if array.dtype == np.bool_:
        return as_tensor(np.where(array, -np.inf, 0.0).astype(dtype))
    return mask if isinstance(mask, Tensor) else as_tensor(array)


def _check_sizes(layer: str, d_model: int, nhead: int, dim_feedforward: int) -> None:
    """d_model and nhead positive integers, dim_feedforward a non-negative one (0 is torch's
    empty Linear), nhead dividing d_model, checked before any sub-layer is built: a TypeError
    naming ``layer``, the size and the value for a non-integer, a ValueError for one too small."""
    for name, value, low in (("d_model", d_model, 1), ("nhead", nhead, 1),
                             ("dim_feedforward", dim_feedforward, 0)):
        rule = "a positive integer" if low else "a non-negative integer"
        if not is_int(value):
            raise TypeError(f"{layer}: {name} must be {rule}, got {value!r} "
                            f"({type(value).__name__})")
        if value < low:
            raise ValueError(f"{layer}: {name} must be {rule}, got {value!r}")
    if d_model % nhead:
        raise ValueError(f"{layer}: d_model={d_model} must be divisible by nhead={nhead} "
                         "(each head gets d_model / nhead features)")


def _dtype(x: Tensor) -> np.dtype:
    return x.array.dtype


class TransformerEncoderLayer(Module):
    """x <- LN1(x + Dropout(SelfAttn(x))); x <- LN2(x + Dropout(W2 Dropout(act(W1 x + b1)) + b2))
    (post-norm); ``norm_first=True`` puts each LayerNorm inside its residual branch instead:
    x <- x + SA(LN1(x)), x <- x + FF(LN2(x)).

    Args:
        d_model: the model's width E.
        nhead: attention heads (dividing d_model).
        dim_feedforward: the hidden width of the feed-forward block (default 2048).
        dropout: the dropout probability everywhere (default 0.1).
        activation: "relu", "gelu" or a callable (default ``F.relu``).
        layer_norm_eps: the LayerNorms' eps (default 1e-5).
        batch_first: (N, L, E) input instead of (L, N, E).
        norm_first: pre-norm (see above).
        bias: learn the additive biases of the Linear and LayerNorm layers (default True).

    Example: ``TransformerEncoderLayer(128, 4, 512)(gs.randn(64, 32, 128))``.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: Union[str, Callable[[Tensor], Tensor]] = relu,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False, norm_first: bool = False,
                 bias: bool = True, device: Optional[DeviceLike] = None,
                 dtype: Optional[DType] = None) -> None:
        super().__init__()
        _check_sizes("TransformerEncoderLayer", d_model, nhead, dim_feedforward)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, device=device, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, device=device, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, device=device, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, device=device, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, device=device, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        if isinstance(activation, str):
            activation = _get_activation_fn(activation)
        if activation is relu or isinstance(activation, ReLU):
            self.activation_relu_or_gelu = 1
        elif activation is gelu or isinstance(activation, GELU):
            self.activation_relu_or_gelu = 2
        else:
            self.activation_relu_or_gelu = 0
        self.activation = activation

    def forward(self, src: Tensor, src_mask: Optional[Tensor] = None,
                src_key_padding_mask: Optional[Tensor] = None, is_causal: bool = False) -> Tensor:
        """The layer on ``src`` (L, N, E) (or (N, L, E) batch-first, or unbatched (L, E)).
        ``src_mask`` (L, S) or (N * nhead, L, S) and ``src_key_padding_mask`` (N, S): bool
        (True = may not attend) or float (added); ``is_causal``: a hint that src_mask is the
        causal mask.
        """
        as_tensor_arg(type(self).__name__, "src", src)
        layer = "TransformerEncoderLayer"
        src_key_padding_mask = _canonical_mask(layer, src_key_padding_mask,
                                               "src_key_padding_mask", src_mask, "src_mask",
                                               _dtype(src))
        src_mask = _canonical_mask(layer, src_mask, "src_mask", None, "", _dtype(src), False)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask: Optional[Tensor], key_padding_mask: Optional[Tensor],
                  is_causal: bool = False) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


class TransformerDecoderLayer(Module):
    """x <- LN1(x + SelfAttn(x)); x <- LN2(x + CrossAttn(x, memory)); x <- LN3(x + FF(x)),
    each sub-block's output dropped out; ``norm_first=True``: x <- x + Block(LN(x)) each time.

    Args: as ``TransformerEncoderLayer`` (d_model, nhead, dim_feedforward=2048, dropout=0.1,
    activation=relu, layer_norm_eps=1e-5, batch_first, norm_first, bias).
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: Union[str, Callable[[Tensor], Tensor]] = relu,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False, norm_first: bool = False,
                 bias: bool = True, device: Optional[DeviceLike] = None,
                 dtype: Optional[DType] = None) -> None:
        super().__init__()
        _check_sizes("TransformerDecoderLayer", d_model, nhead, dim_feedforward)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout,
                                            batch_first=batch_first, bias=bias, device=device,
                                            dtype=dtype)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout,
                                                 batch_first=batch_first, bias=bias,
                                                 device=device, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, device=device, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, device=device, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, device=device, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, device=device, dtype=dtype)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, device=device, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        if isinstance(activation, str):
            activation = _get_activation_fn(activation)
        self.activation = activation

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Optional[Tensor] = None,
                memory_mask: Optional[Tensor] = None, tgt_key_padding_mask: Optional[Tensor] = None,
                memory_key_padding_mask: Optional[Tensor] = None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Tensor:
        """The layer on ``tgt`` (T, N, E) attending to itself and to ``memory`` (S, N, E) (the
        encoder's output); masks as ``TransformerEncoderLayer``'s, ``memory_mask`` (T, S).
        """
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask,
                                    memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                               memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask: Optional[Tensor], key_padding_mask: Optional[Tensor],
                  is_causal: bool = False) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           is_causal=is_causal, need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x: Tensor, mem: Tensor, attn_mask: Optional[Tensor],
                   key_padding_mask: Optional[Tensor], is_causal: bool = False) -> Tensor:
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout3(x)


def _why_not_sparsity_fast_path(encoder_layer: Module) -> str:
    """Why torch would not run this encoder on nested tensors ('' when it would)."""
    name = "encoder_layer"
    if not isinstance(encoder_layer, TransformerEncoderLayer):
        return f"{name} was not TransformerEncoderLayer"
    if encoder_layer.norm_first:
        return f"{name}.norm_first was True"
    if not encoder_layer.self_attn.batch_first:
        return (f"{name}.self_attn.batch_first was not True(use batch_first for better inference "
                "performance)")
    if not encoder_layer.self_attn._qkv_same_embed_dim:
        return f"{name}.self_attn._qkv_same_embed_dim was not True"
    if encoder_layer.self_attn.in_proj_bias is None:
        return f"{name}.self_attn was passed bias=False"
    if not encoder_layer.activation_relu_or_gelu:
        return f"{name}.activation_relu_or_gelu was not True"
    if encoder_layer.norm1.eps != encoder_layer.norm2.eps:
        return f"{name}.norm1.eps was not equal to {name}.norm2.eps"
    if encoder_layer.self_attn.num_heads % 2 == 1:
        return f"{name}.self_attn.num_heads is odd"
    return ""


class TransformerEncoder(Module):
    """x <- layer_i(x) for each of ``num_layers`` deep copies of ``encoder_layer``, then
    ``norm`` (if given).

    Args:
        encoder_layer: a TransformerEncoderLayer (copied, so the layers train independently).
        num_layers: how many.
        norm: a final normalisation (a LayerNorm) or None.
        enable_nested_tensor, mask_check: as torch. torch then runs evaluation without
            gradients on nested tensors and returns zeros at padded positions; this layer
            returns the same (the padded positions zeroed before ``norm``).
    """

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int,
                 norm: Optional[Module] = None, enable_nested_tensor: bool = True,
                 mask_check: bool = True) -> None:
        super().__init__()
        self.layers = _get_clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why_not = _why_not_sparsity_fast_path(encoder_layer)
        if enable_nested_tensor and why_not:
            warnings.warn(f"enable_nested_tensor is True, but self.use_nested_tensor is False "
                          f"because {why_not}", stacklevel=2)
            self.use_nested_tensor = False

    def _zero_padding(self, src: Tensor, key_padding_mask: Optional[Tensor],
                      mask: Optional[Tensor]) -> Optional[np.ndarray]:
        """torch's nested-tensor path (evaluation, no gradient wanted, a left-aligned bool
        padding mask and no ``mask``) returns zeros at padded positions: the mask to apply, or
        None."""
        from ..autograd import grad_mode
        first = self.layers[0]
        if not self.use_nested_tensor or first.training or src.ndim != 3 or \
                key_padding_mask is None or mask is not None:
            return None
        kpm = key_padding_mask.array != 0  # canonical (float): padded where nonzero
        if self.mask_check:
            valid = ~kpm
            # left-aligned: every row is True...True False...False
            if np.any(valid[:, 1:] & ~valid[:, :-1]):
                return None
        params = [src] + list(first.parameters())
        if grad_mode.state.enabled and any(p.requires_grad for p in params):
            return None
        return kpm

    def forward(self, src: Tensor, mask: Optional[Tensor] = None,
                src_key_padding_mask: Optional[Tensor] = None,
                is_causal: Optional[bool] = None) -> Tensor:
        """Every layer in turn on ``src``, with ``mask`` (src_mask) and
        ``src_key_padding_mask``; ``is_causal`` None means: detect whether ``mask`` is the
        causal mask.
        """
        as_tensor_arg(type(self).__name__, "src", src)
        src_key_padding_mask = _canonical_mask("TransformerEncoder", src_key_padding_mask,
                                               "src_key_padding_mask", mask, "mask", _dtype(src))
        mask = _canonical_mask("TransformerEncoder", mask, "mask", None, "", _dtype(src), False)
        padded = self._zero_padding(src, src_key_padding_mask, mask)
        first = self.layers[0]
        seq_len = _get_seq_len(src, first.self_attn.batch_first)
        is_causal = _detect_is_causal_mask(mask, is_causal, seq_len)
        output = src
        for mod in self.layers:
            output = mod(output, src_mask=mask, is_causal=is_causal,
                         src_key_padding_mask=src_key_padding_mask)
        if padded is not None:
            keep = ~padded if first.self_attn.batch_first else ~padded.T
            output = output * as_tensor(keep[..., None].astype(output.array.dtype))
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(Module):
    """x <- layer_i(x, memory) for each of ``num_layers`` deep copies of ``decoder_layer``, then
    ``norm`` (if given)."""

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int,
                 norm: Optional[Module] = None) -> None:
        super().__init__()
        self.layers = _get_clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Optional[Tensor] = None,
                memory_mask: Optional[Tensor] = None, tgt_key_padding_mask: Optional[Tensor] = None,
                memory_key_padding_mask: Optional[Tensor] = None, tgt_is_causal: Optional[bool] = None,
                memory_is_causal: bool = False) -> Tensor:
        """Every layer in turn on ``tgt`` with ``memory``; ``tgt_is_causal`` None means: detect
        whether ``tgt_mask`` is the causal mask."""
        output = tgt
        seq_len = _get_seq_len(tgt, self.layers[0].self_attn.batch_first)
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, seq_len)
        for mod in self.layers:
            output = mod(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                         tgt_key_padding_mask=tgt_key_padding_mask,
                         memory_key_padding_mask=memory_key_padding_mask,
                         tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """y = Decoder(tgt, Encoder(src)): ``num_encoder_layers`` encoder layers (then a LayerNorm)
    over the source, ``num_decoder_layers`` decoder layers (then a LayerNorm) over the target,
    each attending to the encoder's output (the memory).

    Args: d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
    dim_feedforward=2048, dropout=0.1, activation=relu, custom_encoder / custom_decoder (used
    instead of the stacks), layer_norm_eps=1e-5, batch_first, norm_first, bias, as torch.
    Every parameter with more than one dimension starts Xavier uniform.
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: Union[str, Callable[[Tensor], Tensor]] = relu,
                 custom_encoder: Optional[Any] = None, custom_decoder: Optional[Any] = None,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False, norm_first: bool = False,
                 bias: bool = True, device: Optional[DeviceLike] = None,
                 dtype: Optional[DType] = None) -> None:
        super().__init__()
        _check_sizes("Transformer", d_model, nhead, dim_feedforward)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            encoder_layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
                                                    activation, layer_norm_eps, batch_first,
                                                    norm_first, bias, device=device, dtype=dtype)
            encoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, device=device,
                                     dtype=dtype)
            self.encoder = TransformerEncoder(encoder_layer, num_encoder_layers, encoder_norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            decoder_layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout,
                                                    activation, layer_norm_eps, batch_first,
                                                    norm_first, bias, device=device, dtype=dtype)
            decoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, device=device,
                                     dtype=dtype)
            self.decoder = TransformerDecoder(decoder_layer, num_decoder_layers, decoder_norm)
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Optional[Tensor] = None,
                tgt_mask: Optional[Tensor] = None, memory_mask: Optional[Tensor] = None,
                src_key_padding_mask: Optional[Tensor] = None, tgt_key_padding_mask: Optional[Tensor] = None,
                memory_key_padding_mask: Optional[Tensor] = None, src_is_causal: Optional[bool] = None,
                tgt_is_causal: Optional[bool] = None, memory_is_causal: bool = False) -> Tensor:
        """The decoder's output for ``tgt`` (T, N, E) given ``src`` (S, N, E) (batch-first:
        (N, T, E), (N, S, E)): masks as the layers' (``tgt_mask`` (T, T), ``memory_mask``
        (T, S), the key-padding masks (N, S) / (N, T))."""
        is_batched = src.ndim == 3
        if is_batched and src.shape[0 if self.batch_first else 1] != \
                tgt.shape[0 if self.batch_first else 1]:
            raise ValueError(f"Transformer: the batch number of src {tuple(src.shape)} and tgt "
                             f"{tuple(tgt.shape)} must be equal (batch_first={self.batch_first})")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError(f"Transformer: the feature number of src {tuple(src.shape)} and tgt "
                             f"{tuple(tgt.shape)} must be equal to d_model={self.d_model}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Optional[DeviceLike] = None,
                                        dtype: Optional[DType] = None) -> Tensor:
        """M_ij = -inf for j > i, else 0: the (sz, sz) causal mask (float, the default dtype
        unless ``dtype``), so that position i attends to positions j <= i only."""
        return _generate_square_subsequent_mask(sz, device=device, dtype=dtype)

    def _reset_parameters(self) -> None:
        for p in self.parameters():
            if p.ndim > 1:
                xavier_uniform_(p)


__all__ = ["Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder",
           "TransformerEncoderLayer"]
