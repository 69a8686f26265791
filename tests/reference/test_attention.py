"""Scaled dot-product attention, fused, against its line-by-line reference (and torch's)."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from gradsheet import reference
from gradsheet.nn import functional as F
from tests.helpers import check_against_torch, torch_or_skip
from tests.reference.oracle import check_against_reference


@st.composite
def attention_cases(draw):
    """(q, k, v shapes, mask kind, enable_gqa) with broadcasting batch dims."""
    heads_kv = draw(st.integers(1, 2))
    gqa = draw(st.booleans())
    heads_q = heads_kv * (draw(st.integers(1, 2)) if gqa else 1)
    batch = draw(st.sampled_from([(), (2,)]))
    L, S, E, Ev = (draw(st.integers(1, 4)) for _ in range(4))
    mask = draw(st.sampled_from([None, "float", "bool", "causal"]))
    return (batch + (heads_q, L, E), batch + (heads_kv, S, E), batch + (heads_kv, S, Ev), mask,
            gqa)


def _mask(kind, L, S, rng):
    if kind == "float":
        return gs.tensor(rng.standard_normal((L, S)))
    if kind == "bool":  # some rows may be masked throughout: they give zeros
        return gs.tensor(rng.random((L, S)) < 0.7)
    return None


@settings(max_examples=30, deadline=None)
@given(case=attention_cases(), scale=st.sampled_from([None, 0.3]), seed=st.integers(0, 2**16))
def test_scaled_dot_product_attention(case, scale, seed):
    q_shape, k_shape, v_shape, kind, gqa = case
    rng = np.random.default_rng(seed)
    mask = _mask(kind, q_shape[-2], k_shape[-2], rng)
    kwargs = dict(attn_mask=mask, is_causal=kind == "causal", scale=scale, enable_gqa=gqa)
    arrays = [rng.standard_normal(s) for s in (q_shape, k_shape, v_shape)]
    check_against_reference(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kwargs),
                            lambda q, k, v: reference.scaled_dot_product_attention(q, k, v,
                                                                                   **kwargs),
                            arrays)


def test_a_fully_masked_row_gives_zeros_in_both():
    mask = gs.tensor(np.array([[True, False], [False, False]]))
    arrays = [np.random.default_rng(0).standard_normal(s) for s in ((2, 3), (2, 3), (2, 2))]
    out = check_against_reference(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
        lambda q, k, v: reference.scaled_dot_product_attention(q, k, v, attn_mask=mask), arrays)
    assert np.all(out[0].array[1] == 0)


def test_the_reference_is_torch_s():
    """The oracle itself against torch's F.scaled_dot_product_attention (float mask, causal)."""
    torch = torch_or_skip()
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3))]
    mask = rng.standard_normal((3, 5))
    check_against_torch(
        lambda q, k, v: reference.scaled_dot_product_attention(q, k, v, gs.tensor(mask)),
        lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(q, k, v,
                                                                         torch.tensor(mask)),
        arrays)
    check_against_torch(
        lambda q, k, v: reference.scaled_dot_product_attention(q, k, v, is_causal=True),
        lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(q, k, v,
                                                                         is_causal=True),
        arrays)
