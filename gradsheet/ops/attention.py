"""Scaled dot-product attention: O = softmax(Q K^T * scale + M) V, one fused node.

Q is (..., L, E), K (..., S, E), V (..., S, Ev); the leading dims broadcast as batches (heads
are just one more of them). M is an additive float mask, a boolean mask (True = the key takes
part, False = -inf) or a causal mask (query i sees keys j <= i, upper-left aligned as torch),
broadcast to the scores' (..., L, S). Each row of P = softmax(S) is computed in place with its
max subtracted (no overflow); a row whose every key is masked gives P = 0 and an output of
zeros, as torch 2.13 does. Dropout, when asked, drops weights of P (inverted dropout, drawn
from gradsheet's seeded generator).

The backward is the softmax-Jacobian product, all batched GEMMs (np.matmul on the arrays as
they lie, strided head views included):

    dP = dO V^T,   dS = P * (dP - rowsum(dP * P)),
    dQ = dS K scale,   dK = dS^T Q scale,   dV = P^T dO,   dM = dS.

Threads: with BLAS allowed n > 1 threads and a large product (2^18 scores or more, no dropout),
the batch (axis 0) is split into n parts, each computed whole (products, softmax, backward) on
its own thread with single-threaded BLAS: the elementwise work runs in parallel too, and one
join per call replaces a join per small GEMM (which stalls on a loaded machine whenever the
second BLAS thread is not scheduled).

``_attend`` and ``_attend_backward`` are that core; ``ScaledDotProductAttention`` applies it to
(q, k, v) and ``MultiheadAttentionCore`` to the head-split views of a multi-head attention's
projections (``gradsheet.nn.MultiheadAttention``), so that splitting and merging heads costs no
copy and no extra node. ``AttentionWeights`` is P alone (for ``need_weights=True``).

Reference: Vaswani et al., "Attention Is All You Need", NeurIPS 2017.
"""
from __future__ import annotations

import math
import os
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Optional, TypeVar, Union, cast

import numpy as np

from .. import backend, threads
from ..autograd.function import Function
from ..autograd.tensor import Tensor, as_tensor
from . import shape as shape_ops
from .dropout import dropout as _dropout
from .linalg import linear, matmul
from .padding import pad
from .reduce import mean

# P as _attend_parts keeps it: the softmax weights P^T, or one (rows of axis 0, their P^T) per thread
_Weights = Union[np.ndarray, list[tuple[slice, np.ndarray]]]
# (dQ, dK, dV, dM), None where not needed
_Grads = tuple[Optional[np.ndarray], Optional[np.ndarray], Optional[np.ndarray], Optional[np.ndarray]]
_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


# ---------------------------------------------------------------------------- the core
def _softmax_(s: np.ndarray, axis: int, safe: bool) -> np.ndarray:
    """softmax of ``s`` along ``axis``, in place, each slice's max subtracted first. ``safe``: a
    slice that is -inf throughout (every key masked) gives zeros instead of NaN (0/0)."""
    if s.size == 0:
        return s
    with np.errstate(under="ignore", invalid="ignore", over="ignore"):
        m = np.maximum.reduce(s, axis=axis, keepdims=True)
        if safe:
            np.copyto(m, 0.0, where=np.isneginf(m))
        np.subtract(s, m, out=s)
        np.exp(s, out=s)
        total = np.add.reduce(s, axis=axis, keepdims=True)
        if safe:
            np.copyto(total, 1.0, where=total == 0)
        np.divide(s, total, out=s)
    return s


def _T(x: np.ndarray) -> np.ndarray:
    """The last two axes swapped (a view)."""
    return np.swapaxes(x, -1, -2)


def _attend(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: Optional[np.ndarray], scale: float,
            dropout_p: float, causal: bool, out: Optional[np.ndarray] = None, safe: bool = True
            ) -> tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]:
    """O = dropout(softmax(q k^T scale + mask)) v for arrays whose leading dims broadcast.

    ``mask``: None or an additive float array broadcasting to the scores (..., L, S);
    ``causal``: add -inf above the (upper-left aligned) diagonal. The scores are held
    transposed, S^T = K Q^T of shape (..., S, L): the softmax then reduces along axis -2, which
    NumPy vectorises across the L queries (a reduction along a short last axis is several
    times slower). Returns (O, P^T, D): the softmax weights (transposed) and the scaled dropout
    mask (same layout; None without dropout).
    """
    sT = np.matmul(k, _T(q))
    full = tuple(np.broadcast_shapes(sT.shape[:-2], v.shape[:-2]))
    if sT.shape[:-2] != full:
        sT = np.array(np.broadcast_to(sT, full + sT.shape[-2:]))
    if q.shape[-1] > 0:  # E = 0: the scores are exactly 0 (torch scales the empty operands)
        np.multiply(sT, scale, out=sT)
    if mask is not None:
        np.add(sT, _T(mask) if mask.ndim >= 2 else mask[:, None] if mask.ndim else mask, out=sT)
    if causal:
        S, L = sT.shape[-2:]
        np.add(sT, np.where(np.tri(L, S, dtype=bool).T, 0.0, -np.inf).astype(sT.dtype), out=sT)
    PT = _softmax_(sT, -2, safe)
    D = None
    PdT = PT
    if dropout_p > 0:
        draw_dtype = PT.dtype if PT.dtype in (np.float32, np.float64) else np.dtype(np.float32)
        D = backend.default_generator().random(PT.shape, dtype=draw_dtype)
        keep = D >= dropout_p
        np.multiply(keep, 1.0 / (1.0 - dropout_p) if dropout_p < 1 else 0.0, out=D)
        D = D.astype(PT.dtype, copy=False)
        PdT = PT * D
    if out is None:
        return np.matmul(_T(PdT), v), PT, D
    np.matmul(_T(PdT), v, out=out)
    return out, PT, D


def _attend_backward(g: np.ndarray, q: np.ndarray, k: np.ndarray, v: np.ndarray, PT: np.ndarray,
                     D: Optional[np.ndarray], scale: float, needs: Sequence[bool],
                     outs: Sequence[Optional[np.ndarray]] = (None, None, None)
                     ) -> _Grads:
    """(dQ, dK, dV, dM) of ``_attend`` for the upstream gradient ``g`` (``needs``: four flags;
    ``outs``: arrays to write dQ, dK, dV into, or None), all in ``_attend``'s transposed layout:
    dP^T = V dO^T, dS^T = P^T * (dP^T - colsum(dP^T * P^T)), dQ = (dS^T)^T K scale,
    dK = dS^T Q scale, dV = P^T dO. dM is dS, (..., L, S)."""
    need_q, need_k, need_v, need_m = needs
    dq = dk = dv = dm = None
    PdT = PT if D is None else PT * D
    if need_v:
        dv = np.matmul(PdT, g, out=outs[2])
    if not (need_q or need_k or need_m):
        return dq, dk, dv, dm
    dST = np.matmul(v, _T(g))  # dP^T
    if D is not None:
        np.multiply(dST, D, out=dST)
    if dST.shape != PT.shape:  # v broadcast over fewer batch dims than P
        dST = np.array(np.broadcast_to(dST, PT.shape))
    row = np.einsum("...ji,...ji->...i", dST, PT)[..., None, :]  # rowsum(dP * P), per query
    np.subtract(dST, row, out=dST)
    np.multiply(dST, PT, out=dST)
    if need_m:
        dm = _T(dST).copy()  # a copy: dST is scaled in place next
    if q.shape[-1] > 0:
        np.multiply(dST, scale, out=dST)
    if need_q:
        dq = np.matmul(_T(dST), k, out=outs[0])
    if need_k:
        dk = np.matmul(dST, q, out=outs[1])
    return dq, dk, dv, dm


# ---------------------------------------------------------------------------- threads
_PARALLEL_MIN_SCORES = 1 << 18  # below this a part's work is too short to pay for a thread
# (pid, ThreadPoolExecutor): a forked child makes its own
_pool: tuple[Optional[int], Optional[ThreadPoolExecutor]] = (None, None)
_pool_lock = threading.Lock()


def _blas_threads() -> int:
    return threads.get_num_threads()


def _parts(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: Optional[np.ndarray], dropout_p: float
           ) -> Optional[list[slice]]:
    """The slices of axis 0 to compute on separate threads, or None (one call on this thread):
    only for batched inputs sharing axis 0, without dropout (one generator, drawn in order),
    when BLAS may use several threads and there are at least _PARALLEL_MIN_SCORES scores."""
    if dropout_p > 0 or q.ndim < 3 or not (q.ndim == k.ndim == v.ndim):
        return None
    n = q.shape[0]
    if n < 2 or k.shape[0] != n or v.shape[0] != n:
        return None
    if mask is not None and mask.ndim == q.ndim and mask.shape[0] not in (1, n):
        return None
    batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    if math.prod(batch) * q.shape[-2] * k.shape[-2] < _PARALLEL_MIN_SCORES:
        return None
    workers = min(_blas_threads(), n)
    if workers < 2:
        return None
    bounds = [n * i // workers for i in range(workers + 1)]
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]


def _part(x: Optional[np.ndarray], sl: slice, ndim: int) -> Optional[np.ndarray]:
    """x's rows ``sl`` of axis 0 when it has that axis at full size, else x (it broadcasts)."""
    if x is None or x.ndim < ndim or x.shape[0] == 1:
        return x
    return x[sl]


def _in_parallel(fn: Callable[[_Item], _Result], items: Sequence[_Item]) -> list[_Result]:
    """[fn(item) for item in items], the first on this thread and the others on pool threads,
    with BLAS single-threaded meanwhile (process-wide; restored after)."""
    global _pool
    with _pool_lock:
        pid, pool = _pool
        if pool is None or pid != os.getpid() or pool._max_workers < len(items) - 1:
            pool = ThreadPoolExecutor(max(len(items) - 1, 1), thread_name_prefix="gs-attention")
            _pool = (os.getpid(), pool)
    with threads.small_gemms():
        futures = []
        try:
            futures = [pool.submit(fn, item) for item in items[1:]]
            first = fn(items[0])
            return [first] + [f.result() for f in futures]
        finally:
            for f in futures:  # every part done before BLAS gets its threads back
                f.exception()


def _attend_parts(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: Optional[np.ndarray], scale: float,
                  dropout_p: float, causal: bool, out: Optional[np.ndarray] = None, safe: bool = True
                  ) -> tuple[np.ndarray, _Weights, Optional[np.ndarray]]:
    """``_attend``, split along axis 0 over threads when ``_parts`` says so; P is then a list of
    (slice, P part) for ``_attend_backward_parts``."""
    parts = _parts(q, k, v, mask, dropout_p)
    if parts is None:
        return _attend(q, k, v, mask, scale, dropout_p, causal, out=out, safe=safe)
    if out is None:
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
        out = np.empty(batch + (q.shape[-2], v.shape[-1]), dtype=np.result_type(q, k, v))

    def run(sl: slice) -> np.ndarray:
        return _attend(q[sl], k[sl], v[sl], _part(mask, sl, q.ndim), scale, 0.0, causal,
                       out=out[sl], safe=safe)[1]

    return out, list(zip(parts, _in_parallel(run, parts))), None


def _attend_backward_parts(g: np.ndarray, q: np.ndarray, k: np.ndarray, v: np.ndarray, P: _Weights,
                           D: Optional[np.ndarray], scale: float, needs: Sequence[bool],
                           outs: Sequence[Optional[np.ndarray]] = (None, None, None)
                           ) -> _Grads:
    """``_attend_backward`` for ``_attend_parts``' P: each part on its own thread, writing into
    the rows of whole gradients (dM joined along axis 0)."""
    if not isinstance(P, list):
        return _attend_backward(g, q, k, v, P, D, scale, needs, outs)
    batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    dtype = np.result_type(q, k, v, g)
    shapes = (batch + q.shape[-2:], batch + k.shape[-2:], batch + v.shape[-2:])
    grads = [None if not need else out if out is not None else np.empty(shape, dtype)
             for need, out, shape in zip(needs, outs, shapes)]

    def run(item: tuple[slice, np.ndarray]) -> Optional[np.ndarray]:
        sl, p = item
        part_outs = tuple(None if x is None else x[sl] for x in grads)
        return _attend_backward(g[sl], q[sl], k[sl], v[sl], p, None, scale, needs, part_outs)[3]

    dms = _in_parallel(run, P)
    # (each part's dM is an array when needs[3])
    dm = np.concatenate(cast("list[np.ndarray]", dms)) if needs[3] else None
    return grads[0], grads[1], grads[2], dm


# ---------------------------------------------------------------------------- checks
def _name(x: np.ndarray) -> str:
    return "a bool" if x.dtype == np.bool_ else str(x.dtype)


def _batch(op: str, q: Union[Tensor, _Shape], k: Union[Tensor, _Shape],
           v: Union[Tensor, _Shape]) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2]))
    except ValueError:
        raise ValueError(f"{op}: the batch dimensions of query {tuple(q.shape)}, key "
                         f"{tuple(k.shape)} and value {tuple(v.shape)} do not broadcast (all but "
                         "the last two dimensions must broadcast together)") from None


def _check_qkv(op: str, q: Tensor, k: Tensor, v: Tensor) -> None:
    for name, x in (("query", q), ("key", k), ("value", v)):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")
        if x.ndim < 2:
            raise ValueError(f"{op}: query, key and value need at least 2 dimensions (..., L, E), "
                             f"got {name} of shape {tuple(x.shape)}")
    dtypes = {q.array.dtype, k.array.dtype, v.array.dtype}
    if len(dtypes) > 1:
        raise TypeError(f"{op}: query, key and value must have one dtype, got {q.array.dtype}, "
                        f"{k.array.dtype} and {v.array.dtype}")
    if q.array.dtype.kind != "f":
        raise TypeError(f"{op}: expects floating-point query, key and value, got {q.array.dtype}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"{op}: query {tuple(q.shape)} and key {tuple(k.shape)} must have the same "
                         f"embedding size E (last dimension), got {q.shape[-1]} and {k.shape[-1]}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"{op}: key {tuple(k.shape)} and value {tuple(v.shape)} must have the same "
                         f"sequence length S (second-to-last dimension), got {k.shape[-2]} and "
                         f"{v.shape[-2]}")


def _mask_input(op: str, mask: Optional[Tensor], dtype: np.dtype[Any], scores_shape: tuple[int, ...],
                name: str = "attn_mask", true_means: str = "takes part"
                ) -> Union[np.ndarray, Tensor, None]:
    """The mask as what ``_attend`` adds: a float Tensor (kept, it may want a gradient) or an
    additive ndarray made from a bool one (False -> -inf when True ``takes part``)."""
    if mask is None:
        return None
    array = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
    if array.dtype != np.bool_ and not (array.dtype.kind == "f" and
                                        array.dtype in (np.dtype(np.float32), dtype)):
        raise TypeError(f"{op}: {name} must be a bool mask or a float mask of the query's dtype "
                        f"({dtype}) or float32, got {_name(array)} mask")
    full = tuple(scores_shape)
    try:
        ok = tuple(np.broadcast_shapes(array.shape, full)) == full
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{op}: {name} of shape {tuple(array.shape)} does not broadcast to the "
                         f"attention scores' shape {full} (batch..., L, S): each of its "
                         "dimensions must be 1 or match, and it may not have more dimensions")
    if array.dtype == np.bool_:
        keep = array if true_means == "takes part" else ~array
        return np.where(keep, 0.0, -np.inf).astype(dtype)
    return mask if isinstance(mask, Tensor) else as_tensor(array)


# ---------------------------------------------------------------------------- the Functions
class ScaledDotProductAttention(Function):
    """O = dropout(P) V,  P = softmax(Q K^T scale + M) by rows (safe: a fully masked row is 0).

    dP = dO V^T (times the dropout mask),  dS = P * (dP - rowsum(dP * P)),
    dQ = dS K scale,  dK = dS^T Q scale,  dV = dropout(P)^T dO,  dM = dS (a float mask).
    With G query heads per key/value head (grouped-query attention) Q is viewed as
    (..., Hkv, G, L, E) against K, V of (..., Hkv, 1, S, E), and dK, dV sum over G.
    """

    def forward(self, q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: Optional[np.ndarray], scale: float,
                dropout_p: float, causal: bool, groups: int) -> np.ndarray:
        if groups > 1:
            hkv, L = k.shape[-3], q.shape[-2]
            q = q.reshape(q.shape[:-3] + (hkv, groups, L, q.shape[-1]))
            k, v = k[..., None, :, :], v[..., None, :, :]
            if mask is not None and mask.ndim >= 3 and mask.shape[-3] != 1:
                mask = mask.reshape(mask.shape[:-3] + (hkv, groups) + mask.shape[-2:])
            elif mask is not None and mask.ndim >= 3:
                mask = mask[..., None, :, :]
        out, P, D = _attend_parts(q, k, v, mask, scale, dropout_p, causal)
        self.q, self.k, self.v, self.P, self.D = q, k, v, P, D
        self.scale, self.groups = scale, groups
        if groups > 1:
            out = out.reshape(out.shape[:-4] + (-1,) + out.shape[-2:])
        return out

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], ...]:
        groups = self.groups
        if groups > 1:
            g = g.reshape(g.shape[:-3] + (self.k.shape[-4], groups) + g.shape[-2:])
        needs = tuple(self.needs_grad(i) for i in range(4))
        dq, dk, dv, dm = _attend_backward_parts(g, self.q, self.k, self.v, self.P, self.D,
                                                self.scale, needs)
        if groups > 1:
            dq = None if dq is None else dq.reshape(dq.shape[:-4] + (-1,) + dq.shape[-2:])
            dk = None if dk is None else dk.sum(axis=-3)
            dv = None if dv is None else dv.sum(axis=-3)
            dm = None if dm is None else dm.reshape(dm.shape[:-4] + (-1,) + dm.shape[-2:])
        if dm is not None:
            assert self.parents is not None  # a node in backward holds its inputs
            dm = dm.astype(self.parents[3].array.dtype, copy=False)
        return dq, dk, dv, dm


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Optional[Tensor] = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: Optional[float] = None,
                                 enable_gqa: bool = False) -> Tensor:
    """O = softmax(Q K^T * scale + M) V, scale = 1/sqrt(E) unless given: attention of the L
    queries (..., L, E) over the S keys (..., S, E) and values (..., S, Ev), leading dims
    broadcast as batches; one fused node with the softmax-Jacobian backward.

    ``attn_mask``: bool (True = the key takes part) or float (added to the scores, float32 or
    the query's dtype), broadcast to (..., L, S). ``is_causal``: query i attends to keys
    j <= i (upper-left aligned; not together with ``attn_mask``). ``dropout_p``: drop attention
    weights with that probability (always, as torch: pass 0.0 in evaluation). ``enable_gqa``:
    grouped-query attention, Hq query heads (dim -3) sharing Hkv key/value heads (Hq % Hkv == 0).
    A row whose keys are all masked gives zeros (as torch 2.13). Returns (..., L, Ev); with
    no queries (L = 0) or no keys (S = 0), torch's early result (see ``_NoScores``).
    """
    op = "scaled_dot_product_attention"
    _check_qkv(op, query, key, value)
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{op}: dropout_p must lie in [0, 1], got {dropout_p}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{op}: pass either attn_mask or is_causal=True, not both (the causal "
                         "mask is built from is_causal)")
    if query.shape[-2] == 0 or key.shape[-2] == 0:
        return _NoScores.apply(query, key, value)
    groups = 1
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3 and query.shape[-3] != key.shape[-3]:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hk != hv or hk == 0 or hq % hk:
            raise ValueError(f"{op}: with enable_gqa the query's heads ({hq}, dim -3) must be a "
                             f"multiple of the key's ({hk}) and the key and value must have as "
                             f"many heads, got query {tuple(query.shape)}, key {tuple(key.shape)}, "
                             f"value {tuple(value.shape)}")
        groups = hq // hk
        batch = _batch(op, query, _Shape(key.shape[:-3] + (hq,) + key.shape[-2:]),
                       _Shape(value.shape[:-3] + (hq,) + value.shape[-2:]))
    else:
        batch = _batch(op, query, key, value)
    dtype = query.array.dtype
    E = query.shape[-1]
    if scale is None:
        scale = 1.0 / math.sqrt(E) if E > 0 else 1.0
    scores_shape = batch + (query.shape[-2], key.shape[-2])
    mask = _mask_input(op, attn_mask, dtype, scores_shape)
    return ScaledDotProductAttention.apply(query, key, value, mask, scale=float(scale),
                                           dropout_p=float(dropout_p), causal=bool(is_causal),
                                           groups=groups)


class _NoScores(Function):
    """torch 2.13's result when there is no score (L = 0 queries or S = 0 keys): zeros of
    query.shape[:-1] + (Ev,), the query's batch dimensions as they are (not broadcast with
    the key's, and the mask, causality and dropout unused), every gradient zero."""

    def forward(self, q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
        self.inputs = q, k, v
        return np.zeros(q.shape[:-1] + v.shape[-1:], dtype=q.dtype)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(np.zeros_like(x) for x in self.inputs)


class _Shape:
    """Something with a shape (for the batch check of grouped-query attention)."""

    def __init__(self, shape: Sequence[int]) -> None:
        self.shape = tuple(shape)


class AttentionWeights(Function):
    """P = softmax(Q K^T scale + M) by rows (a fully masked row is NaN, as torch's
    ``need_weights=True`` path);  dS = P * (dP - rowsum(dP * P)), dQ = dS K scale,
    dK = dS^T Q scale, dM = dS."""

    def forward(self, q: np.ndarray, k: np.ndarray, mask: Optional[np.ndarray], scale: float) -> np.ndarray:
        s = np.matmul(q, np.swapaxes(k, -1, -2))
        if q.shape[-1] > 0:
            np.multiply(s, scale, out=s)
        if mask is not None:
            np.add(s, mask, out=s)
        self.P = _softmax_(s, -1, safe=False)
        self.q, self.k, self.scale = q, k, scale
        return self.P

    def backward(self, g: np.ndarray
                 ) -> tuple[Optional[np.ndarray], Optional[np.ndarray], Optional[np.ndarray]]:
        P = self.P
        dS = g * P
        np.subtract(dS, P * np.sum(dS, axis=-1, keepdims=True), out=dS)
        parents = self.parents
        assert parents is not None  # a node in backward holds its inputs
        dm = dS.astype(parents[2].array.dtype, copy=True) if self.needs_grad(2) else None
        if self.q.shape[-1] > 0:
            np.multiply(dS, self.scale, out=dS)
        dq = np.matmul(dS, self.k) if self.needs_grad(0) else None
        dk = np.matmul(np.swapaxes(dS, -1, -2), self.q) if self.needs_grad(1) else None
        return dq, dk, dm


def _split_heads(x: np.ndarray, chunks: int, heads: int, batch_first: bool) -> np.ndarray:
    """The (chunks, N, H, T, hd) view of a projection laid out (T, N, chunks*E) (or (N, T, ...)
    when ``batch_first``): no copy."""
    if batch_first:
        N, T, width = x.shape
        return x.reshape(N, T, chunks, heads, width // (chunks * heads)).transpose(2, 0, 3, 1, 4)
    T, N, width = x.shape
    return x.reshape(T, N, chunks, heads, width // (chunks * heads)).transpose(2, 1, 3, 0, 4)


class MultiheadAttentionCore(Function):
    """The attention of ``nn.MultiheadAttention`` on its projections, heads split and merged
    as strided views: O_h = softmax(Q_h K_h^T / sqrt(hd) + M) V_h for each head h, the heads'
    outputs side by side, (T, N, E) (or (N, T, E) batch-first).

    Inputs are the packed projection [Q | K | V] (self-attention), Q and [K | V], or Q, K, V.
    Its backward is ``_attend_backward``'s, writing dQ, dK, dV into the head views of the
    projections' gradients (one buffer for a packed projection).
    """

    def forward(self, a: np.ndarray, b: Optional[np.ndarray], c: Optional[np.ndarray],
                mask: Optional[np.ndarray], heads: int, batch_first: bool, dropout_p: float,
                causal: bool) -> np.ndarray:
        if b is None:
            q, k, v = _split_heads(a, 3, heads, batch_first)
        elif c is None:
            (q,), (k, v) = _split_heads(a, 1, heads, batch_first), _split_heads(b, 2, heads,
                                                                                 batch_first)
        else:
            (q,), (k,), (v,) = (_split_heads(x, 1, heads, batch_first) for x in (a, b, c))
        N, H, L, hd = q.shape
        scale = 1.0 / math.sqrt(hd) if hd > 0 else 1.0
        shape = (N, L, H, v.shape[-1]) if batch_first else (L, N, H, v.shape[-1])
        out = np.empty(shape, dtype=q.dtype)
        view = out.transpose(0, 2, 1, 3) if batch_first else out.transpose(1, 2, 0, 3)
        _, P, D = _attend_parts(q, k, v, mask, scale, dropout_p, causal, out=view)
        self.q, self.k, self.v, self.P, self.D, self.scale = q, k, v, P, D, scale
        self.heads, self.batch_first, self.layout = heads, batch_first, (b is None, c is None)
        return out.reshape(shape[:2] + (-1,))

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], ...]:
        heads, batch_first = self.heads, self.batch_first
        (gh,) = _split_heads(g, 1, heads, batch_first)
        packed, kv_packed = self.layout
        needs = tuple(self.needs_grad(i) for i in range(4))
        parents = self.parents
        assert parents is not None  # a node in backward holds its inputs
        grads: list[Optional[np.ndarray]] = [None, None, None]
        outs: list[Optional[np.ndarray]] = [None, None, None]
        if packed:
            if needs[0]:
                grads[0] = buffer = np.empty(parents[0].shape, dtype=g.dtype)
                outs = list(_split_heads(buffer, 3, heads, batch_first))
            needs = (needs[0],) * 3 + (needs[3],)
        elif kv_packed:
            if needs[0]:
                grads[0] = buffer = np.empty(parents[0].shape, dtype=g.dtype)
                (outs[0],) = _split_heads(buffer, 1, heads, batch_first)
            if needs[1]:
                grads[1] = buffer = np.empty(parents[1].shape, dtype=g.dtype)
                outs[1], outs[2] = _split_heads(buffer, 2, heads, batch_first)
            needs = (needs[0], needs[1], needs[1], needs[3])
        else:
            for i in range(3):
                if needs[i]:
                    grads[i] = buffer = np.empty(parents[i].shape, dtype=g.dtype)
                    (outs[i],) = _split_heads(buffer, 1, heads, batch_first)
        _, _, _, dm = _attend_backward_parts(gh, self.q, self.k, self.v, self.P, self.D,
                                             self.scale, needs, tuple(outs))
        if dm is not None:
            dm = dm.astype(parents[3].array.dtype, copy=False)
        return grads[0], grads[1], grads[2], dm


# ---------------------------------------------------------------------------- multi-head attention
def _dtype(x: object) -> np.dtype[Any]:
    return x.array.dtype if isinstance(x, Tensor) else np.asarray(x).dtype


def _mask_kind(op: str, mask: Optional[Tensor], name: str) -> Optional[Tensor]:
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


def _check_float_mask(op: str, mask: Optional[Tensor], name: str, dtype: np.dtype[Any],
                      need_weights: bool) -> None:
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


def _additive(mask: Tensor, dtype: np.dtype[Any], shape: tuple[int, ...]) -> Union[np.ndarray, Tensor]:
    """The mask as an additive array or Tensor of ``shape`` (a view): True (a bool mask's
    'do not attend') becomes -inf, False 0; a float mask is kept (it may want a gradient)."""
    if mask.array.dtype == np.bool_:
        return np.where(mask.array, -np.inf, 0.0).astype(dtype).reshape(shape)
    return shape_ops.reshape(mask, shape) if tuple(mask.shape) != tuple(shape) else mask


def _pad_key(mask: Optional[Tensor]) -> Optional[Tensor]:
    """One more key (bias_k or the zero key) that every query may attend: a 0 / False column."""
    if mask is None:
        return None
    if mask.array.dtype == np.bool_:
        return as_tensor(np.pad(mask.array, [(0, 0)] * (mask.ndim - 1) + [(0, 1)]))
    return pad(mask, (0, 1))


def _shape_check(op: str, query: Tensor, key: Tensor, value: Tensor,
                 key_padding_mask: Optional[Tensor], attn_mask: Optional[Tensor],
                 num_heads: int) -> bool:
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


def _heads(x: Tensor, heads: int, batch_first: bool) -> Tensor:
    """(T, N, E) (or (N, T, E)) -> (N, H, T, E / H), as Tensor ops (the need_weights path)."""
    if batch_first:
        N, T, E = x.shape
        return shape_ops.permute(shape_ops.reshape(x, (N, T, heads, E // heads)), (0, 2, 1, 3))
    T, N, E = x.shape
    return shape_ops.permute(shape_ops.reshape(x, (T, N, heads, E // heads)), (1, 2, 0, 3))


def multi_head_attention(op: str, query: Tensor, key: Tensor, value: Tensor,
                         embed_dim_to_check: int, num_heads: int,
                         in_proj_weight: Optional[Tensor], in_proj_bias: Optional[Tensor],
                         bias_k: Optional[Tensor], bias_v: Optional[Tensor], add_zero_attn: bool,
                         dropout_p: float, out_proj_weight: Tensor,
                         out_proj_bias: Optional[Tensor], training: bool,
                         key_padding_mask: Optional[Tensor], need_weights: bool,
                         attn_mask: Optional[Tensor], use_separate_proj_weight: bool,
                         q_proj_weight: Optional[Tensor], k_proj_weight: Optional[Tensor],
                         v_proj_weight: Optional[Tensor], static_k: Optional[Tensor],
                         static_v: Optional[Tensor], average_attn_weights: bool,
                         is_causal: bool, batch_first: bool
                         ) -> tuple[Tensor, Optional[Tensor]]:
    """``multi_head_attention_forward`` (see it for the formula and the arguments) with the
    caller's name ``op`` for error messages and ``batch_first`` inputs (N, L, E): what
    ``nn.MultiheadAttention`` calls."""
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
    for name, given in (("key_padding_mask", key_padding_mask), ("attn_mask", attn_mask)):
        _check_float_mask(op, given, name, dtype, need_weights)

    # ---- in-projection: packed [Q | K | V] for self-attention, Q and [K | V] when key is value
    E = embed_dim
    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise ValueError(f"{op}: in_proj_weight is None but use_separate_proj_weight is False")
        layout: tuple[Optional[Tensor], ...]  # [Q | K | V], (Q, [K | V]) or (Q, K, V), None-padded
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
        proj_weights = []
        for name, w in (("q_proj_weight", q_proj_weight), ("k_proj_weight", k_proj_weight),
                        ("v_proj_weight", v_proj_weight)):
            if w is None:
                raise ValueError(f"{op}: use_separate_proj_weight is True but {name} is None")
            proj_weights.append(w)
        bs = (None,) * 3 if in_proj_bias is None else \
            (in_proj_bias[:E], in_proj_bias[E:2 * E], in_proj_bias[2 * E:])
        layout = tuple(linear(x, w, b) for x, w, b in zip((query, key, value), proj_weights, bs))

    # ---- optional extra keys (bias_k/bias_v, static keys, the zero key): separate q, k, v
    seq_axis = 1 if batch_first else 0
    extra = bias_k is not None or bias_v is not None or static_k is not None or \
        static_v is not None or add_zero_attn
    if extra:
        q, k, v = _unpack(layout, E)
        if (bias_k is None) != (bias_v is None):
            raise ValueError(f"{op}: bias_k and bias_v must be given together")
        if bias_k is not None:
            assert bias_v is not None  # given with bias_k (checked above)
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
    mask: Union[np.ndarray, Tensor, None] = None
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


def _unpack(layout: tuple[Optional[Tensor], ...], E: int) -> tuple[Tensor, Tensor, Tensor]:
    """Separate q, k, v projections from a packed layout (slices: views in the graph)."""
    a, b, c = layout
    assert a is not None  # (the query's projection, packed or not: always there)
    if b is None:
        return a[..., :E], a[..., E:2 * E], a[..., 2 * E:]
    if c is None:
        return a, b[..., :E], b[..., E:]
    return a, b, c


def _static(op: str, static: Optional[Tensor], projected: Tensor, bsz: int, heads: int,
            head_dim: int, batch_first: bool, name: str) -> Tensor:
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


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Optional[Tensor], in_proj_bias: Optional[Tensor],
        bias_k: Optional[Tensor], bias_v: Optional[Tensor], add_zero_attn: bool,
        dropout_p: float, out_proj_weight: Tensor, out_proj_bias: Optional[Tensor],
        training: bool = True, key_padding_mask: Optional[Tensor] = None,
        need_weights: bool = True, attn_mask: Optional[Tensor] = None,
        use_separate_proj_weight: bool = False, q_proj_weight: Optional[Tensor] = None,
        k_proj_weight: Optional[Tensor] = None, v_proj_weight: Optional[Tensor] = None,
        static_k: Optional[Tensor] = None, static_v: Optional[Tensor] = None,
        average_attn_weights: bool = True, is_causal: bool = False
        ) -> tuple[Tensor, Optional[Tensor]]:
    """MultiHead(Q, K, V) = Concat(head_1..head_h) W_O + b_O with head_i =
    softmax(Q_i K_i^T / sqrt(d_head) + M) V_i, Q_i, K_i, V_i the i-th slices of the projections
    [Q K V] = [query key value] W_in^T + b_in: the stateless ``nn.MultiheadAttention``.

    Inputs are sequence-first, (L, N, E) (or unbatched (L, E)), as torch's function. Masks:
    ``key_padding_mask`` (N, S) and ``attn_mask`` (L, S) or (N * num_heads, L, S), bool (True =
    may not attend) or float (added). Returns (output (L, N, E), weights (N, L, S) averaged over
    heads, (N, num_heads, L, S) when ``average_attn_weights=False``, or None without
    ``need_weights``).
    """
    return multi_head_attention(
        "multi_head_attention_forward", query, key, value, embed_dim_to_check, num_heads,
        in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight,
        out_proj_bias, training, key_padding_mask, need_weights, attn_mask,
        use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight, static_k,
        static_v, average_attn_weights, is_causal, False)


__all__ = []
