"""MultiheadAttention, the Transformer encoder and decoder (layers and stacks), nn.Transformer
and F.scaled_dot_product_attention through ONNX and back: each export checked with
onnx.checker and run in onnxruntime at two batch sizes and two sequence lengths (the batch and
sequence axes are symbolic), its outputs within 1e-5 of gradsheet's in eval mode (float32),
masks as graph inputs and as constants."""
import numpy as np
import pytest

import gradsheet as gs
import gradsheet.nn.functional as F
from gradsheet import nn
from gradsheet.onnx import TrainingMode, export

from .ort_check import check, dims, session

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

pytestmark = [pytest.mark.filterwarnings("ignore:enable_nested_tensor is True"),
              pytest.mark.filterwarnings("ignore:Support for mismatched")]

E, H = 16, 4


class Call(nn.Module):
    """module(*inputs, **options): options (need_weights, is_causal, ...) fixed at build time,
    so that every input of the graph is a tensor."""

    def __init__(self, module, roles, **options):
        super().__init__()
        self.module, self.roles, self.options = module, roles, options

    def forward(self, *inputs):
        args, kwargs = [], dict(self.options)
        for role, x in zip(self.roles, inputs):
            if role is None:
                args.append(x)
            else:
                kwargs[role] = x
        return self.module(*args, **kwargs)


def _seq(batch_first, N, L, width=E):
    return gs.randn(N, L, width) if batch_first else gs.randn(L, N, width)


def _axes(batch_first, seq="seq"):
    return {0: "batch", 1: seq} if batch_first else {0: seq, 1: "batch"}


def _sizes():
    """(N, L) of the example, then of the runs: another batch, another length, both."""
    return (2, 5), [(3, 5), (2, 7), (1, 9)]


def _padding(N, S, rng, left_aligned=True):
    """A bool key-padding mask (True = padding) with at least one valid key per row."""
    if left_aligned:
        lengths = rng.integers(1, S + 1, N)
        return gs.tensor(np.arange(S)[None, :] >= lengths[:, None])
    mask = rng.random((N, S)) < 0.4
    mask[:, 0] = False
    return gs.tensor(mask)


# ---------------------------------------------------------------- MultiheadAttention
class SelfAttention(nn.Module):
    """attn(x, x, x, <masks by name>): one tensor for query, key and value (packed)."""

    def __init__(self, attn, roles, need_weights, average):
        super().__init__()
        self.attn, self.roles = attn, roles
        self.need_weights, self.average = need_weights, average

    def forward(self, x, *masks):
        return self.attn(x, x, x, **dict(zip(self.roles, masks)), need_weights=self.need_weights,
                         average_attn_weights=self.average)


_MASKS = {  # name -> (role, dynamic axes, maker(N, L, rng))
    "kpm": ("key_padding_mask", {0: "batch", 1: "seq"}, lambda N, L, rng: _padding(N, L, rng)),
    "float_kpm": ("key_padding_mask", {0: "batch", 1: "seq"},
                  lambda N, L, rng: _padding(N, L, rng).to(gs.float32) * -1e9),
    "attn": ("attn_mask", {0: "seq", 1: "seq"}, lambda N, L, rng: gs.randn(L, L)),
    "bool_attn": ("attn_mask", {0: "seq", 1: "seq"},
                  lambda N, L, rng: gs.tensor(rng.random((L, L)) < 0.3) &
                  ~gs.tensor(np.eye(L, dtype=bool))),
    "attn3d": ("attn_mask", {1: "seq", 2: "seq"}, lambda N, L, rng: gs.randn(N * H, L, L)),
}


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights, average", [(False, True), (True, True), (True, False)])
@pytest.mark.parametrize("masks", [(), ("kpm",), ("attn",), ("bool_attn",), ("kpm", "bool_attn"),
                                   ("float_kpm", "attn"), ("attn3d",)])
def test_self_attention(tmp_path, batch_first, need_weights, average, masks):
    gs.manual_seed(0)
    rng = np.random.default_rng(0)
    model = SelfAttention(nn.MultiheadAttention(E, H, batch_first=batch_first),
                          [_MASKS[m][0] for m in masks], need_weights, average)

    def inputs(N, L):
        return (_seq(batch_first, N, L),) + tuple(_MASKS[m][2](N, L, rng) for m in masks)

    axes = {"x": _axes(batch_first), **{m: _MASKS[m][1] for m in masks}}
    (N, L), runs = _sizes()
    if "attn3d" in masks:  # (N * H, L, S): the batch is static (N * H is no dynamic axis)
        del axes["x"][0 if batch_first else 1]
        runs = [(N, 7), (N, 3)]
    proto, _ = check(model, inputs(N, L), tmp_path / "mha.onnx",
                     runs=[inputs(n, s) for n, s in runs], input_names=list(axes),
                     dynamic_axes=axes)
    batch = N if "attn3d" in masks else "batch"
    assert dims(proto.graph.output[0]) == ([batch, "seq", E] if batch_first
                                           else ["seq", batch, E])
    if need_weights:
        assert dims(proto.graph.output[1]) == ([batch, "seq", "seq"] if average
                                               else [batch, H, "seq", "seq"])
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("MatMul") == 4 and ops.count("Softmax") == 1  # in-proj packed: one MatMul


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights", [False, True])
def test_cross_attention_over_a_memory(tmp_path, batch_first, need_weights):
    gs.manual_seed(1)
    rng = np.random.default_rng(1)
    mha = nn.MultiheadAttention(E, H, batch_first=batch_first)
    model = Call(mha, [None, None, None, "key_padding_mask", "attn_mask"],
                 need_weights=need_weights)

    def inputs(N, L, S):
        memory = _seq(batch_first, N, S)
        return (_seq(batch_first, N, L), memory, memory, _padding(N, S, rng),
                gs.tensor(rng.random((L, S)) < 0.2))

    # the memory passed twice is one graph input per argument: the key and value stay apart
    axes = {"q": _axes(batch_first, "tgt"), "k": _axes(batch_first, "src"),
            "v": _axes(batch_first, "src"), "kpm": {0: "batch", 1: "src"},
            "mask": {0: "tgt", 1: "src"}}
    check(model, inputs(2, 4, 6), tmp_path / "cross.onnx",
          runs=[inputs(3, 4, 6), inputs(2, 5, 3), inputs(1, 8, 9)],
          input_names=list(axes), dynamic_axes=axes)


class CrossAttention(nn.Module):
    """attn(x, memory, memory): the key is the value (one packed K|V projection)."""

    def __init__(self, attn, need_weights=False):
        super().__init__()
        self.attn, self.need_weights = attn, need_weights

    def forward(self, x, memory, *masks):
        return self.attn(x, memory, memory, *masks, need_weights=self.need_weights)


@pytest.mark.parametrize("options", [dict(), dict(bias=False), dict(add_bias_kv=True),
                                     dict(add_zero_attn=True),
                                     dict(add_bias_kv=True, add_zero_attn=True),
                                     dict(kdim=6, vdim=6)])
@pytest.mark.parametrize("need_weights", [False, True])
def test_cross_attention_options(tmp_path, options, need_weights):
    gs.manual_seed(2)
    rng = np.random.default_rng(2)
    width = options.get("kdim", E)
    model = CrossAttention(nn.MultiheadAttention(E, H, batch_first=True, **options),
                           need_weights)

    def inputs(N, L, S):
        return gs.randn(N, L, E), gs.randn(N, S, width), _padding(N, S, rng)

    axes = {"x": {0: "batch", 1: "tgt"}, "memory": {0: "batch", 1: "src"},
            "kpm": {0: "batch", 1: "src"}}
    proto, _ = check(model, inputs(2, 3, 5), tmp_path / "options.onnx",
                     runs=[inputs(4, 3, 5), inputs(2, 6, 2), inputs(3, 1, 7)],
                     input_names=list(axes), dynamic_axes=axes)
    if need_weights:  # the extra keys show in the weights: (N, L, S + extras)
        extra = options.get("add_bias_kv", False) + options.get("add_zero_attn", False)
        assert dims(proto.graph.output[1]) == ["batch", "tgt", "output_1_dim_2" if extra
                                               else "src"]


def test_separate_key_and_value(tmp_path):
    gs.manual_seed(3)
    model = Call(nn.MultiheadAttention(E, H, kdim=5, vdim=7), [None, None, None])
    axes = {"q": {0: "tgt", 1: "batch"}, "k": {0: "src", 1: "batch"},
            "v": {0: "src", 1: "batch"}}

    def inputs(N, L, S):
        return gs.randn(L, N, E), gs.randn(S, N, 5), gs.randn(S, N, 7)

    check(model, inputs(2, 3, 4), tmp_path / "kv.onnx", runs=[inputs(3, 3, 4), inputs(1, 5, 2)],
          input_names=list(axes), dynamic_axes=axes)


@pytest.mark.parametrize("opset", [17, 18])  # ReduceMean's axes: an attribute, then an input
def test_unbatched_attention(tmp_path, opset):
    gs.manual_seed(4)
    model = Call(nn.MultiheadAttention(E, H), [None, None, None, "key_padding_mask"])
    rng = np.random.default_rng(4)

    def inputs(L):
        x = gs.randn(L, E)
        return x, x, x, _padding(1, L, rng)[0]

    proto, _ = check(model, inputs(5), tmp_path / "unbatched.onnx", runs=[inputs(3), inputs(8)],
                     input_names=["q", "k", "v", "kpm"], opset_version=opset,
                     dynamic_axes={"q": {0: "seq"}, "k": {0: "seq"}, "v": {0: "seq"},
                                   "kpm": {0: "seq"}})
    assert dims(proto.graph.output[0]) == ["seq", E]
    assert dims(proto.graph.output[1]) == ["seq", "seq"]


class ConstantMask(nn.Module):
    """Self-attention with a causal mask kept in the model (a constant of fixed L)."""

    def __init__(self, L):
        super().__init__()
        self.attn = nn.MultiheadAttention(E, H, batch_first=True)
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(L))

    def forward(self, x):
        return self.attn(x, x, x, attn_mask=self.mask, need_weights=False)[0]


def test_masks_as_constants(tmp_path):
    gs.manual_seed(5)
    proto, _ = check(ConstantMask(6), gs.randn(2, 6, E), tmp_path / "const.onnx",
                     runs=[gs.randn(3, 6, E), gs.randn(1, 6, E)], input_names=["x"])
    assert dims(proto.graph.input[0]) == ["batch", 6, E]
    assert "mask" in [t.name for t in proto.graph.initializer]
    # the mask's size is the sequence's, which is then static
    with pytest.raises(ValueError, match=r"attn_mask has shape \(6, 6\), but should be"):
        export(ConstantMask(6).eval(), gs.randn(2, 6, E), tmp_path / "c2.onnx",
               dynamic_axes={"x": {0: "batch", 1: "seq"}})


def test_is_causal_builds_the_mask_in_the_graph(tmp_path):
    gs.manual_seed(6)

    class Causal(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.MultiheadAttention(E, H, batch_first=True)

        def forward(self, x, mask):
            return self.attn(x, x, x, attn_mask=mask, is_causal=True, need_weights=False)[0]

    def inputs(N, L):
        return gs.randn(N, L, E), nn.Transformer.generate_square_subsequent_mask(L)

    proto, _ = check(Causal(), inputs(2, 5), tmp_path / "causal.onnx",
                     runs=[inputs(3, 5), inputs(2, 8)], input_names=["x", "mask"],
                     dynamic_axes={"x": {0: "batch", 1: "seq"}, "mask": {0: "seq", 1: "seq"}})
    assert "Trilu" in [n.op_type for n in proto.graph.node]


@pytest.mark.parametrize("need_weights", [False, True])
def test_fully_masked_rows(tmp_path, need_weights):
    """A row with every key masked: zeros without weights, NaN with them, as gradsheet."""
    gs.manual_seed(7)
    model = Call(nn.MultiheadAttention(E, H, batch_first=True), [None, None, None, "attn_mask"],
                 need_weights=need_weights)

    def inputs(N, L):
        x = gs.randn(N, L, E)
        mask = np.zeros((L, L), dtype=bool)
        mask[1] = True  # query 1 may attend nothing
        return x, x, x, gs.tensor(mask)

    _, sess = check(model, inputs(2, 4), tmp_path / "dead.onnx", runs=[inputs(3, 6)],
                    input_names=["q", "k", "v", "mask"],
                    dynamic_axes={"q": {0: "batch", 1: "seq"}, "k": {0: "batch", 1: "seq"},
                                  "v": {0: "batch", 1: "seq"}, "mask": {0: "seq", 1: "seq"}})
    x, _, _, mask = inputs(2, 4)
    out = sess.run(None, {"q": x.array, "k": x.array, "v": x.array, "mask": mask.array})[0]
    if need_weights:
        assert np.isnan(out[:, 1]).all() and not np.isnan(out[:, 0]).any()
    else:  # zeros before the out-projection: the row is the out-projection's bias
        np.testing.assert_allclose(out[:, 1], np.broadcast_to(
            model.module.out_proj.bias.array, out[:, 1].shape), atol=1e-6)


def test_float64_attention(tmp_path):
    gs.manual_seed(8)
    model = Call(nn.MultiheadAttention(E, H, dtype=gs.float64), [None, None, None])
    x = gs.randn(5, 2, E, dtype=gs.float64)
    y = gs.randn(7, 3, E, dtype=gs.float64)
    proto, _ = check(model, (x, x, x), tmp_path / "f64.onnx", runs=[(y, y, y)], atol=1e-12,
                     input_names=["q", "k", "v"],
                     dynamic_axes={n: {0: "seq", 1: "batch"} for n in "qkv"})
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE


# ---------------------------------------------------------------- the Transformer layers
def _float_padding(N, S, rng):
    return gs.tensor(np.where(_padding(N, S, rng).array, -np.inf, 0.0).astype(np.float32))


def _encoder_inputs(batch_first, rng, N, L):
    return (_seq(batch_first, N, L), nn.Transformer.generate_square_subsequent_mask(L),
            _float_padding(N, L, rng))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation, opset", [("relu", 17), ("gelu", 17), ("gelu", 20)])
def test_encoder_layer(tmp_path, batch_first, norm_first, activation, opset):
    gs.manual_seed(10)
    rng = np.random.default_rng(10)
    layer = nn.TransformerEncoderLayer(E, H, 32, dropout=0.1, activation=activation,
                                       batch_first=batch_first, norm_first=norm_first)
    (N, L), runs = _sizes()
    axes = {"src": _axes(batch_first), "src_mask": {0: "seq", 1: "seq"},
            "src_key_padding_mask": {0: "batch", 1: "seq"}}
    proto, _ = check(layer, _encoder_inputs(batch_first, rng, N, L), tmp_path / "enc.onnx",
                     runs=[_encoder_inputs(batch_first, rng, n, s) for n, s in runs],
                     opset_version=opset, dynamic_axes=axes)
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("LayerNormalization") == 2
    assert ("Gelu" in ops) == (activation == "gelu" and opset >= 20)
    assert ("Erf" in ops) == (activation == "gelu" and opset < 20)
    assert dims(proto.graph.output[0]) == (["batch", "seq", E] if batch_first
                                           else ["seq", "batch", E])


@pytest.mark.parametrize("masks", ["none", "bool", "padding_only"])
def test_encoder_layer_mask_kinds(tmp_path, masks):
    gs.manual_seed(11)
    rng = np.random.default_rng(11)
    layer = nn.TransformerEncoderLayer(E, H, 24, batch_first=True, bias=masks != "bool")

    def inputs(N, L):
        x = gs.randn(N, L, E)
        if masks == "none":
            return (x,)
        if masks == "padding_only":
            return x, None, _padding(N, L, rng)
        causal = nn.Transformer.generate_square_subsequent_mask(L, dtype=gs.bool)
        return x, causal, _padding(N, L, rng)

    names = {"none": ["src"], "bool": ["src", "src_mask", "kpm"],
             "padding_only": ["src", "kpm"]}[masks]
    axes = {"src": {0: "batch", 1: "seq"}, "src_mask": {0: "seq", 1: "seq"},
            "kpm": {0: "batch", 1: "seq"}}
    check(layer, inputs(2, 5), tmp_path / "kinds.onnx", runs=[inputs(3, 6), inputs(1, 2)],
          input_names=names, dynamic_axes={k: axes[k] for k in names})


def test_encoder_layer_with_activation_modules(tmp_path):
    gs.manual_seed(12)
    layer = nn.TransformerEncoderLayer(E, H, 24, activation=nn.GELU(approximate="tanh"))
    check(layer, gs.randn(4, 2, E), tmp_path / "act.onnx", runs=[gs.randn(6, 3, E)],
          dynamic_axes={"src": {0: "seq", 1: "batch"}})
    layer = nn.TransformerEncoderLayer(E, H, 24, activation=lambda x: x * gs.sigmoid(x))
    with pytest.raises(NotImplementedError, match="activation '<lambda>' at 'model.activation'"
                                                  " is a Python callable"):
        export(layer.eval(), gs.randn(4, 2, E), tmp_path / "lambda.onnx")


@pytest.mark.parametrize("batch_first, norm_first", [(True, False), (False, True)])
def test_encoder_stack_with_causal_mask(tmp_path, batch_first, norm_first):
    gs.manual_seed(13)
    rng = np.random.default_rng(13)
    layer = nn.TransformerEncoderLayer(E, H, 32, activation="gelu", batch_first=batch_first,
                                       norm_first=norm_first)
    encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(E))
    (N, L), runs = _sizes()
    axes = {"src": _axes(batch_first), "mask": {0: "seq", 1: "seq"},
            "src_key_padding_mask": {0: "batch", 1: "seq"}}
    proto, _ = check(encoder, _encoder_inputs(batch_first, rng, N, L), tmp_path / "stack.onnx",
                     runs=[_encoder_inputs(batch_first, rng, n, s) for n, s in runs],
                     dynamic_axes=axes)
    assert [n.op_type for n in proto.graph.node].count("LayerNormalization") == 5
    # is_causal=True: the mask is built in the graph (the given one ignored, as gradsheet)
    model = Call(encoder, [None, "mask"], is_causal=True)
    check(model, _encoder_inputs(batch_first, rng, N, L)[:2], tmp_path / "causal.onnx",
          runs=[_encoder_inputs(batch_first, rng, n, s)[:2] for n, s in runs],
          input_names=["src", "mask"], dynamic_axes={k: axes[k] for k in ("src", "mask")})


@pytest.mark.parametrize("left_aligned", [True, False])
def test_encoder_stack_zeroes_padding_as_gradsheet(tmp_path, left_aligned):
    """Evaluation without gradients and a (left-aligned) padding mask alone: zeros at the
    padded positions, as gradsheet's (and torch's nested-tensor) path; mask_check decides at
    run time from the mask's values."""
    gs.manual_seed(14)
    rng = np.random.default_rng(14)
    layer = nn.TransformerEncoderLayer(E, H, 32, batch_first=True)
    encoder = nn.TransformerEncoder(layer, 2)
    assert encoder.use_nested_tensor
    model = Call(encoder, [None, "src_key_padding_mask"])

    def inputs(N, L, aligned=left_aligned):
        return gs.randn(N, L, E), _padding(N, L, rng, aligned)

    proto, sess = check(model, inputs(3, 6), tmp_path / "zero.onnx",
                        runs=[inputs(2, 6), inputs(3, 4), inputs(4, 9, not left_aligned),
                              inputs(2, 1)],
                        input_names=["src", "kpm"],
                        dynamic_axes={"src": {0: "batch", 1: "seq"}, "kpm": {0: "batch", 1: "seq"}})
    x, kpm = inputs(3, 6, True)
    out = sess.run(None, {"src": x.array, "kpm": kpm.array})[0]
    assert (out[kpm.array] == 0).all() and (out[~kpm.array] != 0).all()


def _decoder_inputs(batch_first, rng, N, T, S):
    return (_seq(batch_first, N, T), _seq(batch_first, N, S),
            nn.Transformer.generate_square_subsequent_mask(T), None, _padding(N, T, rng),
            _padding(N, S, rng))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_decoder_layer(tmp_path, batch_first, norm_first, activation):
    gs.manual_seed(15)
    rng = np.random.default_rng(15)
    layer = nn.TransformerDecoderLayer(E, H, 32, activation=activation, batch_first=batch_first,
                                       norm_first=norm_first)
    axes = {"tgt": _axes(batch_first, "tgt"), "memory": _axes(batch_first, "src"),
            "tgt_mask": {0: "tgt", 1: "tgt"}, "tgt_key_padding_mask": {0: "batch", 1: "tgt"},
            "memory_key_padding_mask": {0: "batch", 1: "src"}}
    proto, _ = check(layer, _decoder_inputs(batch_first, rng, 2, 4, 6), tmp_path / "dec.onnx",
                     runs=[_decoder_inputs(batch_first, rng, *s)
                           for s in ((3, 4, 6), (2, 7, 3), (1, 2, 9))],
                     input_names=list(axes), dynamic_axes=axes)
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("LayerNormalization") == 3 and ops.count("Softmax") == 2
    assert dims(proto.graph.output[0]) == (["batch", "tgt", E] if batch_first
                                           else ["tgt", "batch", E])


def test_decoder_stack_with_memory_mask_and_causal_hint(tmp_path):
    gs.manual_seed(16)
    rng = np.random.default_rng(16)
    layer = nn.TransformerDecoderLayer(E, H, 32, batch_first=True)
    decoder = nn.TransformerDecoder(layer, 2, norm=nn.LayerNorm(E))
    model = Call(decoder, [None, None, "tgt_mask", "memory_mask"], tgt_is_causal=True)

    def inputs(N, T, S):
        return (gs.randn(N, T, E), gs.randn(N, S, E),
                nn.Transformer.generate_square_subsequent_mask(T),
                gs.tensor(rng.random((T, S)) < 0.3))

    axes = {"tgt": {0: "batch", 1: "tgt"}, "memory": {0: "batch", 1: "src"},
            "tgt_mask": {0: "tgt", 1: "tgt"}, "memory_mask": {0: "tgt", 1: "src"}}
    check(model, inputs(2, 4, 6), tmp_path / "decs.onnx",
          runs=[inputs(3, 4, 6), inputs(2, 5, 8), inputs(1, 9, 2)],
          input_names=list(axes), dynamic_axes=axes)
    # tgt_is_causal=None: detected from the mask's values, exported as the mask itself
    check(decoder, inputs(2, 4, 6)[:3], tmp_path / "detect.onnx",
          runs=[inputs(3, 5, 6)[:3], inputs(1, 2, 3)[:3]], input_names=list(axes)[:3],
          dynamic_axes={k: axes[k] for k in list(axes)[:3]})


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer(tmp_path, batch_first):
    gs.manual_seed(17)
    rng = np.random.default_rng(17)
    model = nn.Transformer(E, H, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=32,
                           batch_first=batch_first)

    def inputs(N, S, T):
        return (_seq(batch_first, N, S), _seq(batch_first, N, T), None,
                nn.Transformer.generate_square_subsequent_mask(T), None, _padding(N, S, rng))

    axes = {"src": _axes(batch_first, "src"), "tgt": _axes(batch_first, "tgt"),
            "tgt_mask": {0: "tgt", 1: "tgt"}, "src_key_padding_mask": {0: "batch", 1: "src"}}
    proto, _ = check(model, inputs(2, 6, 4), tmp_path / "transformer.onnx",
                     runs=[inputs(3, 6, 4), inputs(2, 3, 7), inputs(1, 8, 2)],
                     dynamic_axes=axes)
    assert [i.name for i in proto.graph.input] == list(axes)


def test_state_dict_from_torch_exports_as_torch_computes(tmp_path):
    """An encoder layer with torch's weights: onnxruntime's output is torch's own."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.TransformerEncoderLayer(E, H, 32, dropout=0.0, batch_first=True).eval()
    ours = nn.TransformerEncoderLayer(E, H, 32, dropout=0.0, batch_first=True)
    ours.load_state_dict(gs.io.from_torch_state_dict(theirs.state_dict()))
    path = tmp_path / "torch.onnx"
    export(ours.eval(), gs.randn(2, 5, E), path, dynamic_axes={"src": {0: "batch", 1: "seq"}})
    x = np.random.default_rng(0).standard_normal((3, 9, E)).astype(np.float32)
    got = session(path).run(None, {"src": x})[0]
    with torch.no_grad():
        want = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- refusals
def test_training_mode_with_dropout_is_refused(tmp_path):
    layer = nn.TransformerEncoderLayer(E, H, 24, dropout=0.1).train()
    with pytest.raises(NotImplementedError, match=r"at 'model\.\w+' is in training mode with "
                                                  r"dropout 0\.1; ONNX inference graphs"):
        export(layer, gs.randn(4, 2, E), tmp_path / "t.onnx", training=TrainingMode.PRESERVE)
    layer = nn.TransformerEncoderLayer(E, H, 24, dropout=0.0).train()  # no dropout: exported
    path = tmp_path / "t0.onnx"
    export(layer, gs.randn(4, 2, E), path, training=TrainingMode.PRESERVE)
    assert layer.training
    x = gs.randn(4, 3, E)
    with gs.no_grad():
        want = layer(x).array
    np.testing.assert_allclose(session(path).run(None, {"src": x.array})[0], want, rtol=1e-5,
                               atol=1e-5)


def test_custom_layer_inside_a_stack_is_refused(tmp_path):
    class MyLayer(nn.TransformerEncoderLayer):
        def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
            return super().forward(src, src_mask, src_key_padding_mask, is_causal) * 2

    encoder = nn.TransformerEncoder(MyLayer(E, H, 24), 1, enable_nested_tensor=False)
    with pytest.raises(NotImplementedError, match=r"no ONNX converter for MyLayer at "
                                                  r"'model.layers.0' inside a TransformerEncoder"):
        export(encoder.eval(), gs.randn(4, 2, E), tmp_path / "c.onnx")


def test_options_must_be_python_values(tmp_path):
    model = Call(nn.MultiheadAttention(E, H), [None, None, None, "need_weights"])
    x = gs.randn(3, 2, E)
    with pytest.raises(TypeError, match="gets a tensor as need_weights"):
        export(model.eval(), (x, x, x, gs.tensor(True)), tmp_path / "o.onnx")


# ---------------------------------------------------------------- the op
class SDPA(nn.Module):
    def __init__(self, causal=False):
        super().__init__()
        self.causal = causal

    def forward(self, q, k, v, *mask):
        return F.scaled_dot_product_attention(q, k, v, *mask, is_causal=self.causal)


@pytest.mark.parametrize("causal", [False, True])
def test_scaled_dot_product_attention_op(tmp_path, causal):
    gs.manual_seed(18)

    def inputs(N, L, S):
        out = (gs.randn(N, H, L, 8), gs.randn(N, H, S, 8), gs.randn(N, H, S, 6))
        return out if causal else out + (gs.randn(L, S),)

    axes = {"q": {0: "batch", 2: "tgt"}, "k": {0: "batch", 2: "src"},
            "v": {0: "batch", 2: "src"}, "mask": {0: "tgt", 1: "src"}}
    names = list(axes)[:3 if causal else 4]
    check(SDPA(causal), inputs(2, 3, 5), tmp_path / "sdpa.onnx",
          runs=[inputs(3, 3, 5), inputs(1, 6, 2)], input_names=names,
          dynamic_axes={k: axes[k] for k in names})


def test_scaled_dot_product_attention_dropout_is_refused(tmp_path):
    class Drop(nn.Module):
        def forward(self, q):
            return F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)

    with pytest.raises(NotImplementedError, match="dropout_p=0.5"):
        export(Drop(), gs.randn(2, 3, 4), tmp_path / "d.onnx")
