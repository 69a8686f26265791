"""F.scaled_dot_product_attention against torch: values and every gradient over drawn shapes
(batch dims that broadcast, L != S, Ev != E), bool / float / causal masks, fully masked rows,
scale, grouped-query attention, zero-size inputs, float32; gradchecks; dropout from the seeded
generator; errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
import gradsheet.nn.functional as F
from gradsheet.ops.attention import ScaledDotProductAttention
from tests.helpers import check_gradients, torch_or_skip

torch = torch_or_skip()
TF = torch.nn.functional
RTOL, ATOL = 1e-6, 1e-9


def _pair(array, dtype=np.float64, grad=True):
    """The same data as a gradsheet and a torch tensor (float ones require grad)."""
    array = np.asarray(array)
    if array.dtype != np.bool_:
        array = array.astype(dtype)
    grad = grad and array.dtype != np.bool_
    return gs.tensor(array, requires_grad=grad), torch.tensor(array, requires_grad=grad)


def compare(q, k, v, mask=None, rtol=RTOL, atol=ATOL, seed=0, dtype=np.float64, **kwargs):
    """Output and the gradients of q, k, v (and of a float mask) against torch."""
    pairs = [_pair(a, dtype) for a in (q, k, v)]
    mask_pair = _pair(mask, dtype if np.asarray(mask).dtype != np.float32 else np.float32) \
        if mask is not None else (None, None)
    ours = F.scaled_dot_product_attention(*(p[0] for p in pairs), attn_mask=mask_pair[0],
                                          **kwargs)
    theirs = TF.scaled_dot_product_attention(*(p[1] for p in pairs), attn_mask=mask_pair[1],
                                             **kwargs)
    assert ours.shape == tuple(theirs.shape)
    assert ours.array.dtype == np.dtype(dtype)
    np.testing.assert_allclose(ours.array, theirs.detach().numpy(), rtol=rtol, atol=atol,
                               err_msg="output differs from torch")
    upstream = np.random.default_rng(seed).standard_normal(ours.shape).astype(dtype)
    ours.backward(gs.tensor(upstream))
    theirs.backward(torch.tensor(upstream))
    names = ["query", "key", "value"]
    every = list(zip(names, pairs))
    if mask_pair[0] is not None and mask_pair[0].requires_grad:
        every.append(("attn_mask", mask_pair))
    for name, (g, t) in every:
        np.testing.assert_allclose(g.grad.array, t.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of {name} differs from torch")
    return ours


@st.composite
def attention_shapes(draw, heads=False):
    """Broadcasting batch dims for q, k (= v's), with L, S, E, Ev."""
    nbatch = draw(st.integers(0, 2))
    batch_q, batch_k = [], []
    for _ in range(nbatch):
        n = draw(st.integers(1, 3))
        choice = draw(st.sampled_from(["same", "q1", "k1"]))
        batch_q.append(1 if choice == "q1" else n)
        batch_k.append(1 if choice == "k1" else n)
    L, S = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    E, Ev = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    return (tuple(batch_q) + (L, E), tuple(batch_k) + (S, E), tuple(batch_k) + (S, Ev))


def _data(shapes, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) * scale for s in shapes]


def _scores_shape(q, k):
    return np.broadcast_shapes(q.shape[:-2], k.shape[:-2]) + (q.shape[-2], k.shape[-2])


@settings(max_examples=30, deadline=None)
@given(shapes=attention_shapes(), seed=st.integers(0, 2**16),
       scale=st.sampled_from([None, 0.5, 2.0, -1.0]))
def test_matches_torch_without_mask(shapes, seed, scale):
    q, k, v = _data(shapes, seed, 1.5)
    compare(q, k, v, scale=scale, seed=seed)


@settings(max_examples=30, deadline=None)
@given(shapes=attention_shapes(), seed=st.integers(0, 2**16), kind=st.sampled_from(
    ["bool", "float", "bool-broadcast", "float-broadcast", "float-inf"]))
def test_matches_torch_with_masks(shapes, seed, kind):
    q, k, v = _data(shapes, seed)
    rng = np.random.default_rng(seed + 1)
    full = _scores_shape(q, k)
    shape = full if "broadcast" not in kind else \
        (1,) * int(rng.integers(0, len(full) - 1)) + full[-2:]
    if kind.startswith("bool"):
        mask = rng.random(shape) < 0.7  # True = takes part; some rows fully masked
    else:
        mask = rng.standard_normal(shape)
        if kind == "float-inf":
            mask[rng.random(shape) < 0.3] = -np.inf
    compare(q, k, v, mask, seed=seed)


@settings(max_examples=20, deadline=None)
@given(shapes=attention_shapes(), seed=st.integers(0, 2**16))
def test_causal_matches_torch_upper_left_aligned(shapes, seed):
    q, k, v = _data(shapes, seed)  # L != S in most draws: torch aligns the diagonal top-left
    compare(q, k, v, is_causal=True, seed=seed)


def test_causal_is_the_lower_triangular_bool_mask():
    q, k, v = _data([(2, 5, 3), (2, 4, 3), (2, 4, 2)], 3)
    tq, tk, tv = (gs.tensor(a) for a in (q, k, v))
    causal = F.scaled_dot_product_attention(tq, tk, tv, is_causal=True)
    masked = F.scaled_dot_product_attention(tq, tk, tv,
                                            attn_mask=gs.tensor(np.tri(5, 4, dtype=bool)))
    np.testing.assert_allclose(causal.array, masked.array, rtol=1e-12)


def test_fully_masked_rows_give_zeros_and_zero_gradients_as_torch():
    q, k, v = _data([(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)], 5)
    mask = np.ones((4, 6), dtype=bool)
    mask[1] = False
    out = compare(q, k, v, mask)
    assert np.all(out.array[:, :, 1] == 0)
    float_mask = np.zeros((4, 6))
    float_mask[2] = -np.inf
    out = compare(q, k, v, float_mask)
    assert np.all(out.array[:, :, 2] == 0)
    assert not np.isnan(out.array).any()


def test_edge_values_propagate_as_torch():
    q, k, v = _data([(2, 4, 5), (2, 6, 5), (2, 6, 3)], 6)
    q[0, 1, 2] = np.nan  # that query's row is NaN, the others are untouched
    mask = np.zeros((4, 6))
    mask[2, 3] = np.inf  # +inf in a mask: inf - inf in the softmax, a NaN row in torch too
    tq, tk, tv, tm = (torch.tensor(a) for a in (q, k, v, mask))
    expected = TF.scaled_dot_product_attention(tq, tk, tv, attn_mask=tm).numpy()
    ours = F.scaled_dot_product_attention(*(gs.tensor(a) for a in (q, k, v)),
                                          attn_mask=gs.tensor(mask)).array
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(expected))
    np.testing.assert_allclose(ours, expected, rtol=RTOL, atol=ATOL)
    # huge scores do not overflow: the row max is subtracted
    compare(*_data([(3, 4), (5, 4), (5, 2)], 7, 300.0))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), groups=st.integers(1, 3), hkv=st.integers(1, 3),
       masked=st.booleans(), batch=st.sampled_from([(), (2,)]))
def test_grouped_query_attention_matches_torch(seed, groups, hkv, masked, batch):
    L, S, E = 3, 4, 5
    q, k, v = _data([batch + (hkv * groups, L, E), batch + (hkv, S, E), batch + (hkv, S, 2)], seed)
    mask = None
    if masked:
        mask = np.random.default_rng(seed).standard_normal((hkv * groups, L, S))
    compare(q, k, v, mask, enable_gqa=True, seed=seed)
    compare(q, k, v, enable_gqa=True, is_causal=True, seed=seed)


def test_float32_matches_torch_and_a_float32_mask_is_accepted_with_float64():
    q, k, v = _data([(2, 2, 5, 8), (2, 2, 7, 8), (2, 2, 7, 4)], 8)
    compare(q, k, v, dtype=np.float32, rtol=1e-5, atol=1e-6)
    compare(q, k, v, np.random.default_rng(0).standard_normal((5, 7)).astype(np.float32),
            dtype=np.float32, rtol=1e-5, atol=1e-6)
    compare(q, k, v, np.random.default_rng(0).standard_normal((5, 7)).astype(np.float32))


@pytest.mark.parametrize("shapes", [
    [(2, 0, 5), (2, 3, 5), (2, 3, 4)],  # no queries
    [(2, 4, 5), (2, 0, 5), (2, 0, 4)],  # no keys: zeros, as torch
    [(2, 4, 0), (2, 3, 0), (2, 3, 4)],  # E = 0: uniform weights
    [(0, 4, 5), (0, 3, 5), (0, 3, 4)],  # empty batch
    [(2, 4, 5), (2, 3, 5), (2, 3, 0)],  # Ev = 0
])
def test_zero_size_inputs_as_torch(shapes):
    compare(*_data(shapes, 9))


@pytest.mark.parametrize("shapes", [
    [(0, 3), (2, 5, 3), (2, 5, 7)],  # 2-d empty query, 3-d keys: (0, 7), not (2, 0, 7)
    [(1, 0, 3), (2, 2, 5, 3), (2, 2, 5, 7)],  # the query's batch dims, not broadcast
    [(3, 0, 3), (2, 5, 3), (2, 5, 3)],  # not even broadcastable ones
    [(4, 3), (2, 0, 3), (2, 0, 7)],  # no keys: (4, 7) zeros
])
@pytest.mark.parametrize("kwargs", [{}, {"is_causal": True}, {"dropout_p": 0.5}])
def test_no_scores_gives_torchs_early_result(shapes, kwargs):
    """With L = 0 or S = 0 torch returns zeros of query.shape[:-1] + (Ev,) at once (the
    batch dims the query's alone, mask, causality and dropout unused), every gradient 0."""
    compare(*_data(shapes, 13), **kwargs)


def test_no_scores_ignores_the_mask_as_torch():
    """Even a mask of the wrong shape: torch leaves it out of the graph (no gradient)."""
    q, k, v = _data([(4, 3), (2, 0, 3), (2, 0, 7)], 14)
    for mask in (np.zeros((4, 0)), np.zeros((3, 3))):
        ours_mask, theirs_mask = _pair(mask)
        ours = F.scaled_dot_product_attention(gs.tensor(q), gs.tensor(k), gs.tensor(v),
                                              attn_mask=ours_mask)
        theirs = TF.scaled_dot_product_attention(torch.tensor(q), torch.tensor(k),
                                                 torch.tensor(v), attn_mask=theirs_mask)
        assert ours.shape == tuple(theirs.shape) == (4, 7)
        np.testing.assert_array_equal(ours.array, theirs.numpy())
        assert not ours.requires_grad and not theirs.requires_grad


def test_unbatched_two_dimensional_inputs():
    compare(*_data([(4, 5), (6, 5), (6, 2)], 10))
    compare(*_data([(4, 5), (6, 5), (6, 2)], 10), is_causal=True)


@pytest.mark.parametrize("kwargs", [{}, {"is_causal": True}, {"scale": 0.7}])
def test_gradcheck(kwargs):
    arrays = _data([(2, 3, 4), (2, 5, 4), (2, 5, 3)], 11)
    check_gradients(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kwargs), arrays)


def test_gradcheck_with_a_float_mask_and_grouped_heads():
    arrays = _data([(4, 3, 2), (2, 5, 2), (2, 5, 3), (4, 3, 5)], 12)
    check_gradients(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m,
                                                                      enable_gqa=True), arrays)


def test_one_fused_node():
    q, k, v = (gs.tensor(a, requires_grad=True) for a in _data([(2, 4, 3), (2, 5, 3), (2, 5, 2)], 0))
    out = F.scaled_dot_product_attention(q, k, v)
    assert isinstance(out._ctx, ScaledDotProductAttention)
    assert all(p is x for p, x in zip(out._ctx.parents, (q, k, v)))


# ------------------------------------------------------------------ dropout
def _identity_values(S, shape_q, seed):
    """q, k and v = identity (S values of size S): the output is the (dropped) weights."""
    rng = np.random.default_rng(seed)
    q = rng.standard_normal(shape_q)
    k = rng.standard_normal(shape_q[:-2] + (S, shape_q[-1]))
    v = np.broadcast_to(np.eye(S), shape_q[:-2] + (S, S)).copy()
    return q, k, v


def test_dropout_drops_weights_with_probability_p_and_scales_the_rest():
    q, k, v = _identity_values(50, (40, 50, 4), 13)
    p = 0.3
    weights = F.scaled_dot_product_attention(*(gs.tensor(a) for a in (q, k, v))).array
    gs.manual_seed(0)
    dropped = F.scaled_dot_product_attention(*(gs.tensor(a) for a in (q, k, v)),
                                             dropout_p=p).array
    zero = dropped == 0
    n = zero.size
    assert abs(zero.mean() - p) < 5 * np.sqrt(p * (1 - p) / n)  # binomial, 5 sigma
    np.testing.assert_allclose(dropped[~zero], weights[~zero] / (1 - p), rtol=1e-12)
    gs.manual_seed(0)
    again = F.scaled_dot_product_attention(*(gs.tensor(a) for a in (q, k, v)), dropout_p=p)
    np.testing.assert_array_equal(again.array, dropped)  # the seeded generator
    everything = F.scaled_dot_product_attention(*(gs.tensor(a) for a in (q, k, v)), dropout_p=1.0)
    assert np.all(everything.array == 0)


def test_dropout_gradient_uses_the_same_mask():
    arrays = _data([(2, 3, 4), (2, 5, 4), (2, 5, 3)], 14)

    def fn(q, k, v):
        gs.manual_seed(3)
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.4)

    check_gradients(fn, arrays)


# ------------------------------------------------------------------ errors
def _tensors(*shapes, dtype=np.float64):
    return [gs.tensor(np.zeros(s, dtype=dtype)) for s in shapes]


def test_errors_name_the_argument_shapes_and_rule():
    q, k, v = _tensors((2, 4, 5), (2, 6, 5), (2, 6, 3))
    sdpa = F.scaled_dot_product_attention
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention: attn_mask of shape "
                                         r"\(4, 5\) does not broadcast to .*\(2, 4, 6\)"):
        sdpa(q, k, v, attn_mask=gs.tensor(np.ones((4, 5), dtype=bool)))
    with pytest.raises(ValueError, match=r"attn_mask of shape \(1, 1, 2, 4, 6\) does not "
                                         r"broadcast.*more dimensions"):
        sdpa(q, k, v, attn_mask=gs.tensor(np.ones((1, 1, 2, 4, 6), dtype=bool)))
    with pytest.raises(TypeError, match=r"attn_mask must be a bool mask or a float mask of the "
                                        r"query's dtype \(float64\) or float32, got int64"):
        sdpa(q, k, v, attn_mask=gs.tensor(np.zeros((4, 6), dtype=np.int64)))
    with pytest.raises(TypeError, match=r"got float16 mask"):
        sdpa(q, k, v, attn_mask=gs.tensor(np.zeros((4, 6), dtype=np.float16)))
    q32, k32, v32 = _tensors((2, 4, 5), (2, 6, 5), (2, 6, 3), dtype=np.float32)
    with pytest.raises(TypeError, match=r"query's dtype \(float32\) or float32, got float64"):
        sdpa(q32, k32, v32, attn_mask=gs.tensor(np.zeros((4, 6))))
    with pytest.raises(ValueError, match=r"either attn_mask or is_causal"):
        sdpa(q, k, v, attn_mask=gs.tensor(np.ones((4, 6), dtype=bool)), is_causal=True)
    with pytest.raises(TypeError, match=r"one dtype, got float32, float64 and float64"):
        sdpa(q32, k, v)
    with pytest.raises(TypeError, match=r"floating-point"):
        sdpa(*_tensors((2, 4, 5), (2, 6, 5), (2, 6, 3), dtype=np.int64))
    with pytest.raises(ValueError, match=r"query \(2, 4, 5\) and key \(2, 6, 3\) must have the same "
                                         r"embedding size E"):
        sdpa(q, *_tensors((2, 6, 3)), v)
    with pytest.raises(ValueError, match=r"key \(2, 6, 5\) and value \(2, 5, 3\) must have the same "
                                         r"sequence length S"):
        sdpa(q, k, *_tensors((2, 5, 3)))
    with pytest.raises(ValueError, match=r"at least 2 dimensions.*query of shape \(5,\)"):
        sdpa(*_tensors((5,)), k[0], v[0])
    with pytest.raises(ValueError, match=r"batch dimensions of query \(3, 4, 5\), key \(2, 6, 5\)"):
        sdpa(*_tensors((3, 4, 5)), k, v)
    with pytest.raises(ValueError, match=r"dropout_p must lie in \[0, 1\], got 1.5"):
        sdpa(q, k, v, dropout_p=1.5)
    gq, gk, gv = _tensors((2, 6, 4, 5), (2, 4, 3, 5), (2, 4, 3, 5))
    with pytest.raises(ValueError, match=r"enable_gqa the query's heads \(6, dim -3\) must be a "
                                         r"multiple of the key's \(4\)"):
        sdpa(gq, gk, gv, enable_gqa=True)
    with pytest.raises(ValueError, match=r"batch dimensions"):
        sdpa(gq, gk, gv)  # without enable_gqa the heads must broadcast


def test_torch_rejects_the_same_inputs():
    """The cases above are errors in torch too (its messages differ)."""
    q, k, v = (torch.zeros(s, dtype=torch.float64) for s in [(2, 4, 5), (2, 6, 5), (2, 6, 3)])
    for kwargs in [dict(attn_mask=torch.ones(4, 5, dtype=torch.bool)),
                   dict(attn_mask=torch.zeros(4, 6, dtype=torch.int64)),
                   dict(attn_mask=torch.zeros(4, 6, dtype=torch.float16)),
                   dict(attn_mask=torch.ones(4, 6, dtype=torch.bool), is_causal=True)]:
        with pytest.raises(RuntimeError):
            TF.scaled_dot_product_attention(q, k, v, **kwargs)
    with pytest.raises(RuntimeError):
        TF.scaled_dot_product_attention(q.float(), k.float(), v.float(),
                                        attn_mask=torch.zeros(4, 6, dtype=torch.float64))
