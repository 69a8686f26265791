"""The attention split over threads (gradsheet.ops.attention: the batch axis in parts, each on
its own thread with single-threaded BLAS) computes what one call computes, and what torch
computes: values and every gradient, float64, for SDPA (masks broadcast along the batch or
not, a float mask's gradient, causal, GQA) and MultiheadAttention (packed, key-is-value and
separate projections, both layouts, padding masks). The split is forced on small inputs
(the size threshold set to 0, BLAS seen as 2- or 3-threaded)."""
import numpy as np
import pytest
import torch

import gradsheet as gs
import gradsheet.nn.functional as F
from gradsheet import nn
from gradsheet.ops import attention as A

RTOL = 1e-6


@pytest.fixture(params=[2, 3])
def split(request, monkeypatch):
    """Force the split into ``request.param`` parts; count the parallel calls."""
    calls = []
    original = A._in_parallel

    def counted(fn, items):
        calls.append(len(items))
        return original(fn, items)

    monkeypatch.setattr(A, "_PARALLEL_MIN_SCORES", 0)
    monkeypatch.setattr(A, "_blas_threads", lambda: request.param)
    monkeypatch.setattr(A, "_in_parallel", counted)
    return calls


def _pair(shape, rng, requires_grad=True):
    a = rng.standard_normal(shape)
    return (gs.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


def _close(ours, theirs):
    np.testing.assert_allclose(ours.array, theirs.detach().numpy(), rtol=RTOL, atol=1e-9)


@pytest.mark.parametrize("mask_shape, causal", [(None, False), (None, True), ((5, 7), False),
                                                ((1, 3, 5, 7), False), ((4, 1, 5, 7), False),
                                                ((4, 3, 5, 7), False)])
def test_sdpa_split_matches_torch(split, mask_shape, causal):
    rng = np.random.default_rng(0)
    (q, tq), (k, tk), (v, tv) = (_pair((4, 3, n, 6), rng) for n in (5, 7, 7))
    g = rng.standard_normal((4, 3, 5, 6))
    mask = tmask = None
    if mask_shape is not None:
        mask, tmask = _pair(mask_shape, rng)
    out = F.scaled_dot_product_attention(q, k, v, mask, is_causal=causal)
    want = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, tmask, is_causal=causal)
    _close(out, want)
    out.backward(gs.tensor(g))
    want.backward(torch.tensor(g))
    for ours, theirs in [(q, tq), (k, tk), (v, tv)] + ([(mask, tmask)] if mask is not None else []):
        _close(ours.grad, theirs.grad)
    assert len(split) == 2 and split[0] == split[1] > 1  # the forward and the backward split


def test_sdpa_split_bool_mask_and_fully_masked_rows(split):
    rng = np.random.default_rng(1)
    (q, tq), (k, tk), (v, tv) = (_pair((5, 2, 4, 3), rng) for _ in range(3))
    keep = rng.random((5, 1, 4, 4)) < 0.6
    keep[2, 0, 1] = False  # a row with no key: zeros, as torch
    out = F.scaled_dot_product_attention(q, k, v, gs.tensor(keep))
    want = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, torch.tensor(keep))
    _close(out, want)
    out.sum().backward()
    want.sum().backward()
    for ours, theirs in ((q, tq), (k, tk), (v, tv)):
        _close(ours.grad, theirs.grad)
    assert len(split) == 2


def test_sdpa_split_grouped_query_attention(split):
    rng = np.random.default_rng(2)
    (q, tq) = _pair((3, 4, 5, 6), rng)
    (k, tk), (v, tv) = (_pair((3, 2, 7, 6), rng) for _ in range(2))
    out = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    want = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, enable_gqa=True)
    _close(out, want)
    out.sum().backward()
    want.sum().backward()
    for ours, theirs in ((q, tq), (k, tk), (v, tv)):
        _close(ours.grad, theirs.grad)
    assert len(split) == 2


def test_sdpa_no_split_with_dropout_or_a_broadcast_batch(split):
    rng = np.random.default_rng(3)
    q, k = gs.tensor(rng.standard_normal((4, 5, 3))), gs.tensor(rng.standard_normal((1, 5, 3)))
    F.scaled_dot_product_attention(q, k, k)  # k broadcast along axis 0: one call
    F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)  # one generator, drawn in order
    assert split == []


@pytest.mark.parametrize("layout", ["packed", "kv", "separate", "kdim"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_split_matches_torch(split, layout, batch_first):
    rng = np.random.default_rng(4)
    E, heads, N, L, S = 8, 2, 4, 5, 6
    kdim = 3 if layout == "kdim" else None
    theirs = torch.nn.MultiheadAttention(E, heads, kdim=kdim, vdim=kdim, batch_first=batch_first,
                                         dtype=torch.float64)
    ours = nn.MultiheadAttention(E, heads, kdim=kdim, vdim=kdim, batch_first=batch_first,
                                 dtype=gs.float64)
    ours.load_state_dict(gs.io.from_torch_state_dict(theirs.state_dict()))

    def seq(n, width):
        return _pair((N, n, width) if batch_first else (n, N, width), rng)

    x, tx = seq(L, E)
    if layout == "packed":
        key = value = x
        tkey = tvalue = tx
    elif layout == "kv":
        (key, tkey) = seq(S, E)
        value, tvalue = key, tkey
    else:
        (key, tkey), (value, tvalue) = seq(S, kdim or E), seq(S, kdim or E)
    S = key.shape[1 if batch_first else 0]
    padding = rng.random((N, S)) < 0.3
    padding[:, 0] = False
    out, _ = ours(x, key, value, key_padding_mask=gs.tensor(padding), need_weights=False)
    want, _ = theirs(tx, tkey, tvalue, key_padding_mask=torch.tensor(padding), need_weights=False)
    _close(out, want)
    g = rng.standard_normal(out.shape)
    out.backward(gs.tensor(g))
    want.backward(torch.tensor(g))
    for a, b in ((x, tx), (key, tkey), (value, tvalue)):
        _close(a.grad, b.grad)
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        _close(p.grad, tp.grad)
    assert len(split) == 2


def test_split_restores_blas_threads_and_runs_in_a_forked_child():
    """The real thread count: BLAS gets its threads back, and a forked child (a DataLoader
    worker) makes its own pool instead of waiting on the parent's threads."""
    import multiprocessing

    from threadpoolctl import threadpool_limits
    q = gs.randn(8, 4, 128, 16)
    with threadpool_limits(2, user_api="blas"):
        before = A._blas_threads()
        parts = A._parts(q.array, q.array, q.array, None, 0.0)
        F.scaled_dot_product_attention(q, q, q)
        assert A._blas_threads() == before
    if before < 2:
        pytest.skip("NumPy's BLAS has one thread here")
    assert parts is not None and len(parts) == 2
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        result = pool.apply_async(_child_attention)
        np.testing.assert_allclose(result.get(timeout=60), _child_attention(), rtol=1e-6)


def _child_attention():
    from threadpoolctl import threadpool_limits
    rng = np.random.default_rng(5)
    q = gs.tensor(rng.standard_normal((8, 4, 128, 16)).astype(np.float32))
    with threadpool_limits(2, user_api="blas"):
        return F.scaled_dot_product_attention(q, q, q).array
