"""The Transformer family against torch with copied weights (state_dict -> load_state_dict):
encoder and decoder layers (post- and pre-norm, relu/gelu/callables, bias=False, batch_first,
unbatched), the stacks and nn.Transformer, in eval mode and in train mode with dropout 0,
masks (bool and float, causal hints and their detection, key padding), outputs and every
gradient; state dict keys and round trips; deep-copied layers; the causal mask; errors."""
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
import gradsheet.nn as nn
import gradsheet.nn.functional as F
from tests.helpers import torch_or_skip

torch = torch_or_skip()
RTOL, ATOL = 1e-6, 1e-9

ACTIVATIONS = {  # name -> (ours, torch's)
    "relu": ("relu", "relu"), "gelu": ("gelu", "gelu"),
    "F.gelu": (F.gelu, torch.nn.functional.gelu),
    "GELU()": (nn.GELU(), torch.nn.GELU()),
    "tanh": (gs.tanh, torch.tanh),
}


def _copy(ours, theirs, seed):
    """Random parameters into torch's module, then loaded into ours (keys must be identical)."""
    assert list(ours.state_dict()) == list(theirs.state_dict())
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for value in theirs.state_dict().values():
            value.copy_(torch.tensor(rng.standard_normal(tuple(value.shape)) * 0.3))
    ours.load_state_dict({k: gs.tensor(v.numpy()) for k, v in theirs.state_dict().items()})


def _pair(array, grad=True):
    if array is None:
        return None, None
    grad = grad and array.dtype != np.bool_
    return gs.tensor(array, requires_grad=grad), torch.tensor(array, requires_grad=grad)


def compare(ours, theirs, inputs, masks=None, flags=None, train=False, seed=0, grads=True):
    """Run both modules on ``inputs`` (arrays, differentiable) with ``masks`` (arrays) and
    ``flags``; compare the output and the gradients of the inputs and of every parameter."""
    ours.train(train)
    theirs.train(train)
    pairs = [_pair(a) for a in inputs]
    masks = {k: _pair(v, grad=False) for k, v in (masks or {}).items() if v is not None}
    flags = flags or {}
    out = ours(*(p[0] for p in pairs), **{k: m[0] for k, m in masks.items()}, **flags)
    t_out = theirs(*(p[1] for p in pairs), **{k: m[1] for k, m in masks.items()}, **flags)
    assert out.shape == tuple(t_out.shape)
    np.testing.assert_allclose(out.array, t_out.detach().numpy(), rtol=RTOL, atol=ATOL,
                               err_msg="output differs from torch")
    if not grads:
        return out
    up = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(gs.tensor(up))
    t_out.backward(torch.tensor(up))
    for i, (g, t) in enumerate(pairs):
        np.testing.assert_allclose(g.grad.array, t.grad.numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=f"gradient of input {i} differs from torch")
    t_params = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(t_params)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.array, t_params[name].grad.numpy(), rtol=RTOL,
                                   atol=ATOL, err_msg=f"gradient of {name} differs from torch")
    return out


def _seq(rng, T, N, E, batch_first, batched=True):
    if not batched:
        return rng.standard_normal((T, E))
    return rng.standard_normal((N, T, E) if batch_first else (T, N, E))


def _masks(rng, kind, L, S, N, heads, batched=True):
    """(attn mask, key padding mask) of a kind; key 0 always open (no fully masked row)."""
    if kind is None:
        return None, None
    am = rng.random((L, S)) < 0.4 if kind != "3d" else rng.random((N * heads, L, S)) < 0.4
    am[..., 0] = False
    kpm = rng.random((N, S) if batched else (S,)) < 0.4
    kpm[..., 0] = False
    if kind == "float":
        am, kpm = np.where(am, -np.inf, rng.standard_normal(am.shape)), np.where(kpm, -np.inf, 0.0)
    if kind == "3d":
        am = np.where(am, -np.inf, 0.0)
        kpm = np.where(kpm, -np.inf, 0.0)
    return am, kpm


layer_options = st.fixed_dictionaries({
    "norm_first": st.booleans(), "bias": st.booleans(), "batch_first": st.booleans(),
    "activation": st.sampled_from(list(ACTIVATIONS)),
    "layer_norm_eps": st.sampled_from([1e-5, 1e-3])})


def _layer_kwargs(options, which):
    kwargs = dict(options)
    kwargs["activation"] = ACTIVATIONS[options["activation"]][which]
    return kwargs


@settings(max_examples=15, deadline=None)
@given(options=layer_options, train=st.booleans(), masks=st.sampled_from([None, "bool", "float",
                                                                          "3d", "causal"]),
       batched=st.booleans(), seed=st.integers(0, 2**16))
def test_encoder_layer_matches_torch(options, train, masks, batched, seed):
    E, H, FF, L, N = 6, 2, 10, 5, 3
    ours = nn.TransformerEncoderLayer(E, H, FF, dropout=0.0, dtype="float64",
                                      **_layer_kwargs(options, 0))
    theirs = torch.nn.TransformerEncoderLayer(E, H, FF, dropout=0.0, dtype=torch.float64,
                                              **_layer_kwargs(options, 1))
    assert ours.activation_relu_or_gelu == theirs.activation_relu_or_gelu
    _copy(ours, theirs, seed)
    rng = np.random.default_rng(seed)
    x = _seq(rng, L, N, E, options["batch_first"], batched)
    flags = {}
    if masks == "causal":
        am, kpm = np.triu(np.full((L, L), -np.inf), 1), None
        flags["is_causal"] = True
    else:
        if masks == "3d" and not batched:
            masks = "float"
        am, kpm = _masks(rng, masks, L, L, N, H, batched)
    compare(ours, theirs, [x], {"src_mask": am, "src_key_padding_mask": kpm}, flags,
            train=train, seed=seed)


@settings(max_examples=12, deadline=None)
@given(options=layer_options, train=st.booleans(), masks=st.sampled_from([None, "bool", "float"]),
       causal=st.booleans(), seed=st.integers(0, 2**16))
def test_decoder_layer_matches_torch(options, train, masks, causal, seed):
    E, H, FF, T, S, N = 6, 3, 8, 4, 5, 2
    ours = nn.TransformerDecoderLayer(E, H, FF, dropout=0.0, dtype="float64",
                                      **_layer_kwargs(options, 0))
    theirs = torch.nn.TransformerDecoderLayer(E, H, FF, dropout=0.0, dtype=torch.float64,
                                              **_layer_kwargs(options, 1))
    _copy(ours, theirs, seed)
    rng = np.random.default_rng(seed)
    bf = options["batch_first"]
    tgt, memory = _seq(rng, T, N, E, bf), _seq(rng, S, N, E, bf)
    tgt_mask, tgt_kpm = _masks(rng, masks, T, T, N, H)
    memory_mask, memory_kpm = _masks(rng, masks, T, S, N, H)
    flags = {}
    if causal:
        tgt_mask = np.triu(np.full((T, T), -np.inf), 1)
        tgt_kpm = None if masks != "float" else tgt_kpm
        flags["tgt_is_causal"] = True
    compare(ours, theirs, [tgt, memory],
            {"tgt_mask": tgt_mask, "memory_mask": memory_mask, "tgt_key_padding_mask": tgt_kpm,
             "memory_key_padding_mask": memory_kpm}, flags, train=train, seed=seed)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_stack_with_norm_and_causal_detection(norm_first, batch_first):
    E, H, L, N = 8, 2, 6, 3
    kwargs = dict(dim_feedforward=12, dropout=0.0, norm_first=norm_first,
                  batch_first=batch_first)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # enable_nested_tensor's notice, in both libraries
        ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, dtype="float64", **kwargs),
                                     3, nn.LayerNorm(E, dtype="float64"))
        theirs = torch.nn.TransformerEncoder(
            torch.nn.TransformerEncoderLayer(E, H, dtype=torch.float64, **kwargs), 3,
            torch.nn.LayerNorm(E, dtype=torch.float64))
    _copy(ours, theirs, 1)
    rng = np.random.default_rng(1)
    x = _seq(rng, L, N, E, batch_first)
    causal = np.triu(np.full((L, L), -np.inf), 1)
    for train in (False, True):
        compare(ours, theirs, [x], {"mask": causal}, train=train)  # is_causal=None: detected
        compare(ours, theirs, [x], {"mask": causal.astype(bool) | False}, train=train)
        kpm = np.zeros((N, L), dtype=bool)
        kpm[0, 4:] = True
        compare(ours, theirs, [x], {"src_key_padding_mask": kpm}, train=train)


def test_encoder_nested_tensor_path_zeroes_padded_positions_as_torch():
    E, H, L, N = 8, 2, 6, 3
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, 16, dtype="float64",
                                                            batch_first=True), 2,
                                 nn.LayerNorm(E, dtype="float64"))
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(
        E, H, 16, dtype=torch.float64, batch_first=True), 2, torch.nn.LayerNorm(E, dtype=torch.float64))
    assert ours.use_nested_tensor == theirs.use_nested_tensor is True
    _copy(ours, theirs, 2)
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(2).standard_normal((N, L, E))
    kpm = np.zeros((N, L), dtype=bool)
    kpm[0, 3:] = True
    kpm[2, 5:] = True
    with torch.no_grad(), gs.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: nested tensors are a prototype
        out = ours(gs.tensor(x), src_key_padding_mask=gs.tensor(kpm))
        t_out = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(kpm))
    np.testing.assert_allclose(out.array, t_out.numpy(), rtol=RTOL, atol=ATOL)
    # a padded position leaves the layers as zeros: the final LayerNorm gives its bias there
    np.testing.assert_allclose(out.array[0, 3:], np.broadcast_to(ours.norm.bias.array, (3, E)))
    # with gradients (or a non-left-aligned mask) torch takes the padded path: no zeroing
    compare(ours, theirs, [x], {"src_key_padding_mask": kpm}, train=False)
    scattered = np.zeros((N, L), dtype=bool)
    scattered[1, 2] = True
    with torch.no_grad(), gs.no_grad():
        out = ours(gs.tensor(x), src_key_padding_mask=gs.tensor(scattered))
        t_out = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(scattered))
    np.testing.assert_allclose(out.array, t_out.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_matches_torch(batch_first, norm_first):
    E, H, S, T, N = 8, 2, 6, 5, 2
    kwargs = dict(d_model=E, nhead=H, num_encoder_layers=2, num_decoder_layers=2,
                  dim_feedforward=12, dropout=0.0, batch_first=batch_first, norm_first=norm_first)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = nn.Transformer(dtype="float64", **kwargs)
        theirs = torch.nn.Transformer(dtype=torch.float64, **kwargs)
    _copy(ours, theirs, 3)
    rng = np.random.default_rng(3)
    src, tgt = _seq(rng, S, N, E, batch_first), _seq(rng, T, N, E, batch_first)
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(T, dtype="float64").array
    src_kpm = np.zeros((N, S), dtype=bool)
    src_kpm[1, 4:] = True
    masks = {"tgt_mask": tgt_mask, "src_key_padding_mask": src_kpm,
             "memory_key_padding_mask": src_kpm}
    for train in (False, True):
        compare(ours, theirs, [src, tgt], masks, train=train)
    compare(ours, theirs, [src, tgt], {"tgt_mask": tgt_mask}, {"tgt_is_causal": True})
    compare(ours, theirs, [src[:, 0] if not batch_first else src[0],
                           tgt[:, 0] if not batch_first else tgt[0]], {"tgt_mask": tgt_mask})


def test_transformer_with_custom_encoder_and_decoder():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, 0.0, dtype="float64"), 1,
                                enable_nested_tensor=False)
    t_enc = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(
        8, 2, 16, 0.0, dtype=torch.float64), 1, enable_nested_tensor=False)
    ours = nn.Transformer(8, 2, custom_encoder=enc, num_decoder_layers=1, dim_feedforward=16,
                          dtype="float64")
    theirs = torch.nn.Transformer(8, 2, custom_encoder=t_enc, num_decoder_layers=1,
                                  dim_feedforward=16, dtype=torch.float64)
    assert ours.encoder is enc
    _copy(ours, theirs, 4)
    rng = np.random.default_rng(4)
    compare(ours, theirs, [rng.standard_normal((5, 2, 8)), rng.standard_normal((4, 2, 8))])


# ------------------------------------------------------------------ structure
def test_state_dict_keys_and_round_trips():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = nn.Transformer(16, 4, 2, 2, 32)
        theirs = torch.nn.Transformer(16, 4, 2, 2, 32)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert "encoder.layers.0.self_attn.in_proj_weight" in ours.state_dict()
    assert "decoder.layers.1.multihead_attn.out_proj.bias" in ours.state_dict()
    ours.load_state_dict({k: gs.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = torch.nn.Transformer(16, 4, 2, 2, 32)
    back.load_state_dict({k: torch.tensor(v.array) for k, v in ours.state_dict().items()})
    for k, v in back.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), theirs.state_dict()[k].numpy())


def test_layers_are_independent_deep_copies():
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    encoder = nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
    assert len(encoder.layers) == 3 and encoder.num_layers == 3
    firsts = [m.self_attn.in_proj_weight for m in encoder.layers]
    assert len({id(p) for p in firsts}) == 3 and all(p is not layer.self_attn.in_proj_weight
                                                      for p in firsts)
    for p in firsts:
        np.testing.assert_array_equal(p.array, layer.self_attn.in_proj_weight.array)
    firsts[0].array[...] = 0
    assert np.any(firsts[1].array != 0) and np.any(layer.self_attn.in_proj_weight.array != 0)
    assert len(list(encoder.parameters())) == 3 * len(list(layer.parameters()))


def test_transformer_init_is_xavier_uniform_for_matrices():
    gs.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = nn.Transformer(16, 4, 1, 1, 64)
    for name, p in model.named_parameters():
        if p.ndim > 1:
            fan_out, fan_in = p.shape
            assert np.abs(p.array).max() <= np.sqrt(6 / (fan_in + fan_out)), name
        elif name.endswith("norm1.weight"):
            assert np.all(p.array == 1)


def test_generate_square_subsequent_mask_as_torch():
    for size in (0, 1, 4):
        ours = nn.Transformer.generate_square_subsequent_mask(size)
        theirs = torch.nn.Transformer.generate_square_subsequent_mask(size)
        assert ours.array.dtype == np.float32 and theirs.dtype == torch.float32
        np.testing.assert_array_equal(ours.array, theirs.numpy())
    ours = nn.Transformer.generate_square_subsequent_mask(3, dtype="float64")
    assert ours.array.dtype == np.float64
    np.testing.assert_array_equal(ours.array, [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])


def test_activation_attribute_and_repr_as_torch():
    for name, (mine, theirs_act) in ACTIVATIONS.items():
        ours = nn.TransformerEncoderLayer(8, 2, 16, activation=mine)
        theirs = torch.nn.TransformerEncoderLayer(8, 2, 16, activation=theirs_act)
        assert ours.activation_relu_or_gelu == theirs.activation_relu_or_gelu, name
    assert nn.TransformerEncoderLayer(8, 2, 16).activation is F.relu
    assert nn.TransformerDecoderLayer(8, 2, 16, activation="gelu").activation is F.gelu
    ours = nn.TransformerEncoderLayer(8, 2, 16, bias=False)
    theirs = torch.nn.TransformerEncoderLayer(8, 2, 16, bias=False)
    assert repr(ours) == repr(theirs)


def test_enable_nested_tensor_warning_as_torch():
    for kwargs in ({}, {"batch_first": True, "norm_first": True}):
        with warnings.catch_warnings(record=True) as ours:
            warnings.simplefilter("always")
            nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, **kwargs), 1)
        with warnings.catch_warnings(record=True) as theirs:
            warnings.simplefilter("always")
            torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16, **kwargs), 1)
        assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("layer", ["TransformerEncoderLayer", "TransformerDecoderLayer",
                                   "Transformer"])
@pytest.mark.parametrize("slot, value, error", [
    (0, None, TypeError), (1, "abc", TypeError), (2, 2.5, TypeError), (2, True, TypeError),
    (2, [3, 4], TypeError), (0, 0, ValueError), (1, -1, ValueError), (2, -1, ValueError)])
def test_sizes_are_checked_before_any_sub_layer_is_built(layer, slot, value, error):
    """torch raises from deep inside (empty()'s TypeError, MultiheadAttention's assertion):
    each bad d_model, nhead or dim_feedforward is named here with the layer and the value."""
    sizes = {0: "d_model", 1: "nhead", 2: "dim_feedforward"}
    kwargs = dict(d_model=8, nhead=2, dim_feedforward=16)
    kwargs[sizes[slot]] = value
    if layer == "Transformer":
        kwargs.update(num_encoder_layers=1, num_decoder_layers=1)
    with pytest.raises(error, match=rf"{layer}: {sizes[slot]} must be a (positive|non-negative) "
                                    rf"integer, got {re.escape(repr(value))}"):
        getattr(nn, layer)(**kwargs)
    with pytest.raises(Exception):  # noqa: B017 (torch refuses too, with its own type)
        getattr(torch.nn, layer)(**kwargs)


def test_an_empty_feed_forward_block_is_accepted_as_torch():
    layer = nn.TransformerEncoderLayer(8, 2, 0)
    assert tuple(layer.linear1.weight.shape) == (0, 8)
    torch.nn.TransformerEncoderLayer(8, 2, 0)


def test_errors():
    with pytest.raises(ValueError, match=r"activation should be 'relu' or 'gelu' .*'tanh'"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(RuntimeError):
        torch.nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(ValueError, match=r"TransformerDecoderLayer: d_model=8 must be divisible "
                                         r"by nhead=3"):
        nn.TransformerDecoderLayer(8, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(ValueError, match=r"the batch number of src \(5, 2, 8\) and tgt "
                                         r"\(4, 3, 8\) must be equal"):
        model(gs.zeros(5, 2, 8), gs.zeros(4, 3, 8))
    with pytest.raises(ValueError, match=r"the feature number of src \(5, 2, 6\) and tgt "
                                         r"\(4, 2, 8\) must be equal to d_model=8"):
        model(gs.zeros(5, 2, 6), gs.zeros(4, 2, 8))
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    with pytest.raises(TypeError, match=r"only bool and floating types of src_mask are "
                                        r"supported, got int64"):
        layer(gs.zeros(5, 2, 8), src_mask=gs.zeros(5, 5, dtype="int64"))
    with pytest.raises(ValueError, match=r"key_padding_mask has shape \(2, 4\), but should be "
                                         r"\(batch, S\) = \(2, 5\)"):
        layer(gs.zeros(5, 2, 8), src_key_padding_mask=gs.zeros(2, 4, dtype="bool"))
