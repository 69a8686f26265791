"""nn.MultiheadAttention and F.multi_head_attention_forward against torch: parameters, names,
init and state dicts; outputs, weights and every gradient over drawn sizes, head counts,
layouts (self-attention, key is value, separate key and value, kdim/vdim), batch_first,
unbatched input, bias/bias_kv/zero_attn, bool and float key-padding and attention masks
(2-D and 3-D), causal hints, fully masked rows; dropout; errors."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
import gradsheet.nn as nn
import gradsheet.nn.functional as F
from gradsheet.ops.attention import MultiheadAttentionCore
from tests.helpers import check_gradients, torch_or_skip

torch = torch_or_skip()
RTOL, ATOL = 1e-6, 1e-9


def _to_gs(state):
    return {k: gs.tensor(v.detach().numpy()) for k, v in state.items()}


def _to_torch(state):
    return {k: torch.tensor(v.array) for k, v in state.items()}


def make_pair(embed_dim, num_heads, seed=0, **kwargs):
    """torch's and our module with the same (random, non-zero) parameters, float64."""
    theirs = torch.nn.MultiheadAttention(embed_dim, num_heads, dtype=torch.float64, **kwargs)
    ours = nn.MultiheadAttention(embed_dim, num_heads, dtype="float64", **kwargs)
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for value in theirs.state_dict().values():
            value.copy_(torch.tensor(rng.standard_normal(tuple(value.shape)) * 0.4))
    ours.load_state_dict(_to_gs(theirs.state_dict()))
    return ours, theirs


def _tensor_pair(array, grad=True):
    if array is None:
        return None, None
    grad = grad and array.dtype != np.bool_
    return gs.tensor(array, requires_grad=grad), torch.tensor(array, requires_grad=grad)


def run_both(ours, theirs, query, key, value, seed=0, same=("",), check_grads=True, **kwargs):
    """Call both modules on the same inputs (``same``: 'qkv' self-attention, 'kv' key is value)
    and compare the output, the weights and every gradient (inputs and parameters)."""
    g_q, t_q = _tensor_pair(query)
    if same == "qkv":
        (g_k, t_k), (g_v, t_v) = (g_q, t_q), (g_q, t_q)
    else:
        g_k, t_k = _tensor_pair(key)
        (g_v, t_v) = (g_k, t_k) if same == "kv" else _tensor_pair(value)
    masks = {name: _tensor_pair(kwargs.pop(name), grad=False)
             for name in ("key_padding_mask", "attn_mask") if kwargs.get(name) is not None}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    out, weights = ours(g_q, g_k, g_v, **{n: m[0] for n, m in masks.items()}, **kwargs)
    t_out, t_weights = theirs(t_q, t_k, t_v, **{n: m[1] for n, m in masks.items()}, **kwargs)
    assert out.shape == tuple(t_out.shape)
    np.testing.assert_allclose(out.array, t_out.detach().numpy(), rtol=RTOL, atol=ATOL,
                               err_msg="output differs from torch")
    assert (weights is None) == (t_weights is None)
    if weights is not None:
        assert weights.shape == tuple(t_weights.shape)
        np.testing.assert_allclose(weights.array, t_weights.detach().numpy(), rtol=RTOL,
                                   atol=ATOL, err_msg="attention weights differ from torch")
    if not check_grads:
        return out, weights
    rng = np.random.default_rng(seed)
    up = rng.standard_normal(out.shape)
    loss = (out * gs.tensor(up)).sum()
    t_loss = (t_out * torch.tensor(up)).sum()
    if weights is not None:
        up_w = rng.standard_normal(weights.shape)
        loss = loss + (weights * gs.tensor(up_w)).sum()
        t_loss = t_loss + (t_weights * torch.tensor(up_w)).sum()
    loss.backward()
    t_loss.backward()
    for name, g, t in (("query", g_q, t_q), ("key", g_k, t_k), ("value", g_v, t_v)):
        np.testing.assert_allclose(g.grad.array, t.grad.numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=f"gradient of {name} differs from torch")
    t_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.array, t_params[name].grad.numpy(), rtol=RTOL,
                                   atol=ATOL, err_msg=f"gradient of {name} differs from torch")
    return out, weights


# ------------------------------------------------------------------ parameters and init
CONFIGS = [
    {}, {"bias": False}, {"add_bias_kv": True}, {"add_zero_attn": True},
    {"kdim": 3, "vdim": 5}, {"kdim": 3, "vdim": 5, "bias": False, "add_bias_kv": True},
    {"batch_first": True, "dropout": 0.2},
]


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_parameters_have_torchs_names_shapes_and_order(kwargs):
    ours = nn.MultiheadAttention(8, 2, **kwargs)
    theirs = torch.nn.MultiheadAttention(8, 2, **kwargs)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)
    assert type(ours.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert isinstance(ours.out_proj, nn.Linear)
    for attr in ("embed_dim", "kdim", "vdim", "num_heads", "head_dim", "dropout", "batch_first",
                 "add_zero_attn", "_qkv_same_embed_dim"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_state_dicts_move_both_ways(kwargs):
    ours, theirs = make_pair(8, 2, seed=1, **kwargs)
    for name, value in ours.state_dict().items():
        np.testing.assert_array_equal(value.array, theirs.state_dict()[name].numpy())
    fresh = torch.nn.MultiheadAttention(8, 2, dtype=torch.float64, **kwargs)
    fresh.load_state_dict(_to_torch(ours.state_dict()))
    for name, value in fresh.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), ours.state_dict()[name].array)


def test_init_follows_torch():
    gs.manual_seed(0)
    E = 64
    m = nn.MultiheadAttention(E, 4, add_bias_kv=True)
    assert np.all(m.in_proj_bias.array == 0) and np.all(m.out_proj.bias.array == 0)
    bound = np.sqrt(6 / (E + 3 * E))  # xavier_uniform_ of (3E, E)
    w = m.in_proj_weight.array
    assert w.dtype == np.float32 and np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound
    assert np.abs(m.out_proj.weight.array).max() <= 1 / np.sqrt(E)  # Linear's own init
    std = np.sqrt(2 / (E + E))  # xavier_normal_ of (1, 1, E): fan_in = fan_out = E
    both = np.concatenate([m.bias_k.array.ravel(), m.bias_v.array.ravel()])
    assert 0.7 * std < both.std() < 1.3 * std
    separate = nn.MultiheadAttention(E, 4, kdim=16, vdim=32)
    assert separate.in_proj_weight is None
    assert np.abs(separate.k_proj_weight.array).max() <= np.sqrt(6 / (E + 16))


# ------------------------------------------------------------------ against torch
@st.composite
def mha_cases(draw):
    heads = draw(st.integers(1, 3))
    head_dim = draw(st.integers(1, 3))
    E = heads * head_dim
    L, S, N = draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 3))
    layout = draw(st.sampled_from(["qkv", "kv", "separate", "kdim"]))
    if layout == "qkv":
        S = L
    ctor = {"batch_first": draw(st.booleans()), "bias": draw(st.booleans()),
            "add_bias_kv": draw(st.booleans()), "add_zero_attn": draw(st.booleans())}
    if layout == "kdim":
        ctor.update(kdim=draw(st.integers(1, 4)), vdim=draw(st.integers(1, 4)))
    call = {"need_weights": draw(st.booleans()), "average_attn_weights": draw(st.booleans())}
    batched = draw(st.booleans())
    kpm = draw(st.sampled_from([None, "bool", "float"]))
    attn = draw(st.sampled_from([None, "bool2", "float2", "bool3", "float3"]))
    return dict(heads=heads, E=E, L=L, S=S, N=N, layout=layout, ctor=ctor, call=call,
                batched=batched, kpm=kpm, attn=attn, seed=draw(st.integers(0, 2**16)))


def _inputs(case):
    rng = np.random.default_rng(case["seed"])
    E, L, S, N = case["E"], case["L"], case["S"], case["N"]
    kdim, vdim = case["ctor"].get("kdim", E), case["ctor"].get("vdim", E)
    bf = case["ctor"]["batch_first"] and case["batched"]

    def shape(T, D):
        return (T, D) if not case["batched"] else ((N, T, D) if bf else (T, N, D))
    query = rng.standard_normal(shape(L, E))
    key = rng.standard_normal(shape(S, kdim))
    value = rng.standard_normal(shape(S, vdim))
    masks = {}
    # masks keep key 0 open for every query, so that no row is fully masked here
    if case["kpm"] is not None:
        kpm = rng.random((N, S) if case["batched"] else (S,)) < 0.4
        kpm[..., 0] = False
        masks["key_padding_mask"] = kpm if case["kpm"] == "bool" else \
            np.where(kpm, -np.inf, rng.standard_normal(kpm.shape))
    if case["attn"] is not None:
        heads = case["heads"]
        shape3 = (N * heads if case["batched"] else heads, L, S)
        am = rng.random(shape3 if case["attn"].endswith("3") else (L, S)) < 0.4
        am[..., 0] = False
        masks["attn_mask"] = am if case["attn"].startswith("bool") else \
            np.where(am, -np.inf, rng.standard_normal(am.shape))
    if "key_padding_mask" in masks and "attn_mask" in masks and \
            masks["key_padding_mask"].dtype != masks["attn_mask"].dtype:
        masks["key_padding_mask"] = masks["key_padding_mask"].astype(masks["attn_mask"].dtype) \
            if masks["attn_mask"].dtype == np.bool_ else \
            np.where(masks["key_padding_mask"], -np.inf, 0.0) \
            if masks["key_padding_mask"].dtype == np.bool_ else masks["key_padding_mask"]
    return query, key, value, masks


@settings(max_examples=40, deadline=None)
@given(case=mha_cases())
def test_matches_torch_on_drawn_cases(case):
    ours, theirs = make_pair(case["E"], case["heads"], seed=case["seed"], **case["ctor"])
    query, key, value, masks = _inputs(case)
    same = {"qkv": "qkv", "kv": "kv"}.get(case["layout"], "")
    if case["layout"] == "kv" and key.shape != value.shape:
        same = ""
    run_both(ours, theirs, query, key, value, seed=case["seed"], same=same, **masks,
             **case["call"])


@pytest.mark.parametrize("need_weights", [True, False])
def test_causal_hint_with_the_causal_mask(need_weights):
    ours, theirs = make_pair(8, 2, seed=3)
    x = np.random.default_rng(3).standard_normal((5, 2, 8))
    causal = np.triu(np.full((5, 5), -np.inf), 1)
    run_both(ours, theirs, x, None, None, same="qkv", attn_mask=causal, is_causal=True,
             need_weights=need_weights)
    kpm = np.zeros((2, 5), dtype=bool)
    kpm[1, 3:] = True
    run_both(ours, theirs, x, None, None, same="qkv", attn_mask=causal, is_causal=True,
             need_weights=need_weights, key_padding_mask=np.where(kpm, -np.inf, 0.0))


def test_fully_masked_rows_nan_with_weights_zeros_without_as_torch():
    ours, theirs = make_pair(8, 2, seed=4)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 3, 8))
    kpm = np.zeros((3, 5), dtype=bool)
    kpm[1] = True  # the second sequence has no key at all
    for need_weights in (True, False):
        out, weights = run_both(ours, theirs, x, None, None, same="qkv", key_padding_mask=kpm,
                                need_weights=need_weights, check_grads=False)
        t_out, _ = theirs(*(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(kpm),
                          need_weights=need_weights)
        np.testing.assert_array_equal(np.isnan(out.array), np.isnan(t_out.detach().numpy()))
        if need_weights:
            assert np.isnan(out.array[:, 1]).all() and np.isnan(weights.array[1]).all()
        else:
            assert not np.isnan(out.array).any()
    am = np.zeros((5, 5), dtype=bool)
    am[2] = True  # query 2 may attend nothing
    out, _ = run_both(ours, theirs, x, None, None, same="qkv", attn_mask=am,
                      need_weights=False)
    # torch's and our gradients with the fully masked row: the row passes no gradient
    ours.zero_grad()
    theirs.zero_grad()
    run_both(ours, theirs, x, None, None, same="qkv", attn_mask=am, need_weights=False)


def test_eval_fast_path_of_torch_gives_the_same_values():
    """torch's eval, no-grad, batch-first self-attention runs a native kernel: same numbers."""
    ours, theirs = make_pair(8, 2, seed=5, batch_first=True, dropout=0.3)
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(5).standard_normal((3, 6, 8))
    kpm = np.zeros((3, 6), dtype=bool)
    kpm[0, 4:] = True
    with torch.no_grad(), gs.no_grad():
        for need_weights in (True, False):
            out, w = ours(*(gs.tensor(x),) * 3, key_padding_mask=gs.tensor(kpm),
                          need_weights=need_weights)
            t_out, t_w = theirs(*(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(kpm),
                                need_weights=need_weights)
            np.testing.assert_allclose(out.array, t_out.numpy(), rtol=RTOL, atol=ATOL)
            if need_weights:
                np.testing.assert_allclose(w.array, t_w.numpy(), rtol=RTOL, atol=ATOL)


def test_functional_matches_torchs_including_static_keys():
    rng = np.random.default_rng(6)
    E, H, L, S, N = 6, 3, 4, 5, 2
    hd = E // H
    arrays = {name: rng.standard_normal(shape) for name, shape in [
        ("query", (L, N, E)), ("key", (S, N, 4)), ("value", (S, N, 3)),
        ("q_proj_weight", (E, E)), ("k_proj_weight", (E, 4)), ("v_proj_weight", (E, 3)),
        ("in_proj_bias", (3 * E,)), ("out_proj_weight", (E, E)), ("out_proj_bias", (E,)),
        ("static_k", (N * H, 7, hd)), ("static_v", (N * H, 7, hd))]}
    ours = {k: gs.tensor(v, requires_grad=True) for k, v in arrays.items()}
    theirs = {k: torch.tensor(v, requires_grad=True) for k, v in arrays.items()}
    kpm = rng.random((N, 7)) < 0.3
    kpm[:, 0] = False

    def call(lib, t, static, mask):
        return lib.multi_head_attention_forward(
            t["query"], t["key"], t["value"], E, H, None, t["in_proj_bias"], None, None, False,
            0.0, t["out_proj_weight"], t["out_proj_bias"], training=True,
            key_padding_mask=mask, use_separate_proj_weight=True,
            q_proj_weight=t["q_proj_weight"], k_proj_weight=t["k_proj_weight"],
            v_proj_weight=t["v_proj_weight"], static_k=t["static_k"] if static else None,
            static_v=t["static_v"] if static else None, need_weights=True)

    for static in (False, True):
        mask = kpm if static else kpm[:, :S]
        out, w = call(F, ours, static, gs.tensor(mask))
        t_out, t_w = call(torch.nn.functional, theirs, static, torch.tensor(mask))
        np.testing.assert_allclose(out.array, t_out.detach().numpy(), rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(w.array, t_w.detach().numpy(), rtol=RTOL, atol=ATOL)
        up = rng.standard_normal(out.shape)
        (out * gs.tensor(up)).sum().backward()
        (t_out * torch.tensor(up)).sum().backward()
        for name in arrays:
            if theirs[name].grad is not None:
                np.testing.assert_allclose(ours[name].grad.array, theirs[name].grad.numpy(),
                                           rtol=RTOL, atol=ATOL, err_msg=name)
                ours[name].grad, theirs[name].grad = None, None


def test_need_weights_false_is_one_fused_node_on_the_packed_projection():
    m = nn.MultiheadAttention(8, 2)
    x = gs.randn(5, 3, 8, requires_grad=True)
    out, weights = m(x, x, x, need_weights=False)
    assert weights is None
    core = out._ctx.parents[0]._ctx  # out_proj's input
    assert isinstance(core, MultiheadAttentionCore)
    assert core.parents[1] is None and core.parents[2] is None  # one packed [Q | K | V]


def test_float32_module_matches_torch():
    theirs = torch.nn.MultiheadAttention(16, 4, batch_first=True)
    ours = nn.MultiheadAttention(16, 4, batch_first=True)
    ours.load_state_dict(_to_gs(theirs.state_dict()))
    x = np.random.default_rng(7).standard_normal((2, 6, 16)).astype(np.float32)
    for need_weights in (True, False):
        out, _ = ours(*(gs.tensor(x),) * 3, need_weights=need_weights)
        t_out, _ = theirs(*(torch.tensor(x),) * 3, need_weights=need_weights)
        assert out.array.dtype == np.float32
        np.testing.assert_allclose(out.array, t_out.detach().numpy(), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ dropout
def test_dropout_in_training_only():
    ours, theirs = make_pair(8, 2, seed=8, dropout=1.0)
    x = np.random.default_rng(8).standard_normal((4, 2, 8))
    out, w = ours(*(gs.tensor(x),) * 3)  # every weight dropped: the output is out_proj's bias
    t_out, t_w = theirs(*(torch.tensor(x),) * 3)
    np.testing.assert_allclose(out.array, t_out.detach().numpy(), atol=ATOL)
    np.testing.assert_array_equal(w.array, t_w.detach().numpy())  # torch returns them dropped
    out, _ = ours(*(gs.tensor(x),) * 3, need_weights=False)
    np.testing.assert_allclose(out.array, np.broadcast_to(ours.out_proj.bias.array, out.shape))
    ours.eval()
    theirs.eval()
    run_both(ours, theirs, x, None, None, same="qkv")


def test_dropout_probability_of_the_returned_weights():
    gs.manual_seed(0)
    m = nn.MultiheadAttention(8, 2, dropout=0.25)
    x = gs.randn(40, 20, 8)
    _, w = m(x, x, x, average_attn_weights=False)
    zero = (w.array == 0).mean()
    n = w.array.size
    assert abs(zero - 0.25) < 5 * np.sqrt(0.25 * 0.75 / n)
    kept = w.array[w.array != 0]
    m.eval()
    _, clean = m(x, x, x, average_attn_weights=False)
    np.testing.assert_allclose(kept, clean.array[w.array != 0] / 0.75, rtol=1e-5)


# ------------------------------------------------------------------ errors and warnings
def test_constructor_errors():
    with pytest.raises(ValueError, match=r"MultiheadAttention: embed_dim 8 must be divisible by "
                                         r"num_heads 3"):
        nn.MultiheadAttention(8, 3)
    with pytest.raises(ValueError, match=r"embed_dim must be a positive integer, got 0"):
        nn.MultiheadAttention(0, 1)
    with pytest.raises(ValueError, match=r"num_heads must be a positive integer, got -1"):
        nn.MultiheadAttention(8, -1)
    with pytest.raises(AssertionError):
        torch.nn.MultiheadAttention(8, 3)  # torch's rule, its exception type


def test_forward_errors_name_the_argument_shape_and_rule():
    m = nn.MultiheadAttention(8, 2)
    x = gs.zeros(5, 3, 8)
    with pytest.raises(ValueError, match=r"key_padding_mask has shape \(3, 4\), but should be "
                                         r"\(batch, S\) = \(3, 5\)"):
        m(x, x, x, key_padding_mask=gs.zeros(3, 4, dtype="bool"))
    with pytest.raises(ValueError, match=r"the 2-D attn_mask has shape \(4, 5\), but should be "
                                         r"\(L, S\) = \(5, 5\)"):
        m(x, x, x, attn_mask=gs.zeros(4, 5, dtype="bool"))
    with pytest.raises(ValueError, match=r"the 3-D attn_mask has shape \(5, 5, 5\), but should be "
                                         r"\(batch \* num_heads, L, S\) = \(6, 5, 5\)"):
        m(x, x, x, attn_mask=gs.zeros(5, 5, 5, dtype="bool"))
    with pytest.raises(ValueError, match=r"attn_mask must be None, 2-D \(L, S\) or 3-D"):
        m(x, x, x, attn_mask=gs.zeros(5, dtype="bool"))
    with pytest.raises(ValueError, match=r"key_padding_mask must be None or 2-D"):
        m(x, x, x, key_padding_mask=gs.zeros(5, dtype="bool"))
    with pytest.raises(TypeError, match=r"only bool and floating types of attn_mask are "
                                        r"supported, got int64"):
        m(x, x, x, attn_mask=gs.zeros(5, 5, dtype="int64"))
    with pytest.raises(TypeError, match=r"a float attn_mask must have the query's dtype "
                                        r"\(float32\), got float64"):
        m(x, x, x, attn_mask=gs.zeros(5, 5, dtype="float64"))
    with pytest.raises(TypeError, match=r"a float key_padding_mask must have float32 or the "
                                        r"query's dtype \(float32\), got float16"):
        m(x, x, x, key_padding_mask=gs.zeros(3, 5, dtype="float16"), need_weights=False)
    with pytest.raises(ValueError, match=r"is_causal=True .* needs attn_mask"):
        m(x, x, x, is_causal=True)
    with pytest.raises(ValueError, match=r"query must be unbatched 2-D \(L, E\) or batched 3-D, "
                                         r"got a 4-D query"):
        m(gs.zeros(1, 5, 3, 8), x, x)
    with pytest.raises(ValueError, match=r"key and value must be 3-D"):
        m(x, gs.zeros(5, 8), gs.zeros(5, 8))
    with pytest.raises(ValueError, match=r"key shape \(5, 3, 8\) does not match value shape "
                                         r"\(6, 3, 8\)"):
        m(x, x, gs.zeros(6, 3, 8))
    with pytest.raises(ValueError, match=r"expected the query's embedding dimension .* "
                                         r"embed_dim=8"):
        m(gs.zeros(5, 3, 6), x, x)
    with pytest.raises(ValueError, match=r"3-D attn_mask for unbatched input must have shape "
                                         r"\(num_heads, L, S\) = \(2, 5, 5\)"):
        m(x[:, 0], x[:, 0], x[:, 0], attn_mask=gs.zeros(3, 5, 5, dtype="bool"))


def test_torch_rejects_the_same_calls():
    m = torch.nn.MultiheadAttention(8, 2)
    x = torch.zeros(5, 3, 8)
    for kwargs in [dict(key_padding_mask=torch.zeros(3, 4, dtype=torch.bool)),
                   dict(attn_mask=torch.zeros(4, 5, dtype=torch.bool)),
                   dict(attn_mask=torch.zeros(5, 5, 5, dtype=torch.bool)),
                   dict(attn_mask=torch.zeros(5, 5, dtype=torch.int64)),
                   dict(attn_mask=torch.zeros(5, 5, dtype=torch.float64)),
                   dict(key_padding_mask=torch.zeros(3, 5, dtype=torch.float16),
                        need_weights=False),
                   dict(is_causal=True)]:
        with pytest.raises((RuntimeError, AssertionError)):
            m(x, x, x, **kwargs)


def test_mismatched_mask_types_warn_as_torch():
    m = nn.MultiheadAttention(8, 2)
    x = gs.randn(5, 3, 8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m(x, x, x, key_padding_mask=gs.zeros(3, 5, dtype="bool"), attn_mask=gs.zeros(5, 5))
    assert any("mismatched key_padding_mask and attn_mask" in str(w.message) for w in caught)


@pytest.mark.parametrize("need_weights", [False, True])
def test_gradcheck_of_the_functional_form(need_weights):
    rng = np.random.default_rng(9)
    E, H, L, S, N = 4, 2, 3, 4, 2
    arrays = [rng.standard_normal(s) for s in [(L, N, E), (S, N, E), (S, N, E), (3 * E, E),
                                               (3 * E,), (E, E), (E,), (L, S)]]
    kpm = gs.tensor(np.where([[False, False, True, False], [False, True, False, False]], -np.inf,
                             0.0))

    def fn(q, k, v, w_in, b_in, w_out, b_out, mask):
        out, weights = F.multi_head_attention_forward(
            q, k, v, E, H, w_in, b_in, None, None, False, 0.0, w_out, b_out,
            key_padding_mask=kpm, attn_mask=mask, need_weights=need_weights)
        return out if weights is None else out.sum() + (weights * weights).sum()

    check_gradients(fn, arrays)


def test_float_mask_gradient_as_torch():
    ours, theirs = make_pair(8, 2, seed=10)
    rng = np.random.default_rng(10)
    x = rng.standard_normal((5, 2, 8))
    mask = rng.standard_normal((4, 5, 5))
    for need_weights in (False, True):
        g_mask, t_mask = gs.tensor(mask, requires_grad=True), torch.tensor(mask, requires_grad=True)
        out, _ = ours(*(gs.tensor(x),) * 3, attn_mask=g_mask, need_weights=need_weights)
        t_out, _ = theirs(*(torch.tensor(x),) * 3, attn_mask=t_mask, need_weights=need_weights)
        up = rng.standard_normal(out.shape)
        out.backward(gs.tensor(up))
        t_out.backward(torch.tensor(up))
        np.testing.assert_allclose(g_mask.grad.array, t_mask.grad.numpy(), rtol=RTOL, atol=ATOL)
