"""gradsheet.models: every shape rule against the tensors the real layer allocates (moved here
from tests/hardening/test_files_integrity.py, which checks the files), nested layer
specs (built where NESTED_LAYERS allows, a plain dict elsewhere), token_vocabulary, and
check_size on the new rules."""
import warnings

import pytest

import gradsheet as gs
from gradsheet import models, nn

ENCODER_LAYER = {"type": "TransformerEncoderLayer",
                 "kwargs": {"d_model": 8, "nhead": 2, "dim_feedforward": 12, "batch_first": True}}
DECODER_LAYER = {"type": "TransformerDecoderLayer",
                 "kwargs": {"d_model": 8, "nhead": 2, "dim_feedforward": 12, "bias": False}}
LAYER_NORM = {"type": "LayerNorm", "kwargs": {"normalized_shape": 8}}

CASES = [
    ("Linear", {"in_features": 3, "out_features": 2}),
    ("Linear", {"in_features": 3, "out_features": 5, "bias": False}),
    ("Conv1d", {"in_channels": 4, "out_channels": 6, "kernel_size": 3, "groups": 2}),
    ("Conv2d", {"in_channels": 4, "out_channels": 6, "kernel_size": [3, 2], "groups": 2}),
    ("Conv2d", {"in_channels": 2, "out_channels": 3, "kernel_size": [2, 3], "bias": False}),
    ("ConvTranspose1d", {"in_channels": 4, "out_channels": 6, "kernel_size": 3, "groups": 2}),
    ("ConvTranspose2d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3}),
    ("BatchNorm1d", {"num_features": 5}),
    ("BatchNorm1d", {"num_features": 3, "track_running_stats": False}),
    ("BatchNorm2d", {"num_features": 3, "affine": False}),
    ("SyncBatchNorm", {"num_features": 3}),
    ("LayerNorm", {"normalized_shape": [2, 3], "bias": False}),
    ("GroupNorm", {"num_groups": 2, "num_channels": 4}),
    ("Embedding", {"num_embeddings": 7, "embedding_dim": 3}),
    ("PReLU", {"num_parameters": 3}),
    ("RNNCell", {"input_size": 3, "hidden_size": 4}),
    ("GRUCell", {"input_size": 3, "hidden_size": 4, "bias": False}),
    ("LSTMCell", {"input_size": 3, "hidden_size": 4}),
    ("RNN", {"input_size": 3, "hidden_size": 4, "num_layers": 2, "nonlinearity": "relu"}),
    ("GRU", {"input_size": 3, "hidden_size": 4, "num_layers": 3, "bidirectional": True,
             "bias": False}),
    ("LSTM", {"input_size": 3, "hidden_size": 4, "num_layers": 2, "bidirectional": True}),
    ("MultiheadAttention", {"embed_dim": 8, "num_heads": 2}),
    ("MultiheadAttention", {"embed_dim": 8, "num_heads": 4, "bias": False}),
    ("MultiheadAttention", {"embed_dim": 8, "num_heads": 2, "kdim": 3, "vdim": 5,
                            "add_bias_kv": True}),
    ("TransformerEncoderLayer", ENCODER_LAYER["kwargs"]),
    ("TransformerEncoderLayer", {**ENCODER_LAYER["kwargs"], "bias": False}),
    ("TransformerDecoderLayer", DECODER_LAYER["kwargs"]),
    ("TransformerEncoder", {"encoder_layer": ENCODER_LAYER, "num_layers": 3,
                            "enable_nested_tensor": False}),
    ("TransformerEncoder", {"encoder_layer": ENCODER_LAYER, "num_layers": 2, "norm": LAYER_NORM}),
    ("TransformerDecoder", {"decoder_layer": DECODER_LAYER, "num_layers": 2, "norm": LAYER_NORM}),
    ("Transformer", {"d_model": 8, "nhead": 2, "num_encoder_layers": 2, "num_decoder_layers": 1,
                     "dim_feedforward": 12}),
    ("Transformer", {"d_model": 8, "nhead": 2, "num_encoder_layers": 1, "num_decoder_layers": 2,
                     "dim_feedforward": 12, "bias": False}),
    ("PositionalEncoding", {"d_model": 6, "max_len": 10}),
]


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in
                                                     enumerate(CASES)])
def test_each_shape_rule_is_what_the_layer_allocates(name, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TransformerEncoder's nested-tensor notices
        layer = models.build_model([{"type": name, "kwargs": kwargs}])[0]
    allocated = {key: tuple(value.shape) for key, value in layer.state_dict().items()}
    assert models.SHAPE_RULES[name](kwargs) == allocated


def test_every_shape_rule_has_a_case():
    assert {name for name, _ in CASES} == set(models.SHAPE_RULES)


def test_nested_specs_are_built_only_where_nested_layers_says():
    encoder = models.build_model([{"type": "TransformerEncoder",
                                   "kwargs": {"encoder_layer": ENCODER_LAYER, "num_layers": 2,
                                              "norm": LAYER_NORM}}])[0]
    assert isinstance(encoder.layers[1], nn.TransformerEncoderLayer)
    assert isinstance(encoder.norm, nn.LayerNorm)
    assert encoder.layers[0].linear1.weight is not encoder.layers[1].linear1.weight
    # anywhere else a spec is a plain dict, never built (a hostile file cannot hide a layer
    # in an argument no rule looks at)
    seen = models.build_model([{"type": "Identity", "kwargs": {
        "ignored": {"type": "Transformer", "kwargs": {"d_model": 10**6}}}}])
    assert type(seen[0]) is nn.Identity


def test_a_nested_spec_of_no_layer_names_where_it_sits():
    with pytest.raises(ValueError, match=r"build_model: layer 1 \(TransformerEncoder\)'s "
                                         r"encoder_layer has type 'os.system', which is not a "
                                         r"layer of gradsheet.nn"):
        models.build_model([{"type": "Identity"},
                            {"type": "TransformerEncoder",
                             "kwargs": {"encoder_layer": {"type": "os.system"},
                                        "num_layers": 1}}])


def test_token_vocabulary():
    assert models.token_vocabulary([{"type": "Embedding", "kwargs": {
        "num_embeddings": 30, "embedding_dim": 4}}, {"type": "Flatten"}]) == 30
    assert models.token_vocabulary(models.mlp_spec(4, [8], 2)) is None
    assert models.token_vocabulary(None) is None
    with pytest.raises(ValueError, match="num_embeddings must be a non-negative int, got 'x'"):
        models.token_vocabulary([{"type": "Embedding", "kwargs": {"num_embeddings": "x"}}])


@pytest.mark.parametrize("spec, fragment", [
    ([{"type": "TransformerEncoder", "kwargs": {"encoder_layer": {
        "type": "TransformerEncoderLayer", "kwargs": {"d_model": 4096, "nhead": 8}},
        "num_layers": 100}}],
     "arch.json: layer 0 (TransformerEncoder) with {'encoder_layer': "),
    ([{"type": "TransformerEncoder", "kwargs": {"encoder_layer": ENCODER_LAYER}}],
     "arch.json: layer 0 (TransformerEncoder) lacks the argument num_layers"),
    ([{"type": "TransformerEncoder", "kwargs": {"encoder_layer": {
        "type": "TransformerEncoderLayer", "kwargs": {"nhead": 2}}, "num_layers": 1}}],
     "arch.json: layer 0 (TransformerEncoder) lacks the argument d_model (of its "
     "encoder_layer)"),
    ([{"type": "TransformerEncoder", "kwargs": {"encoder_layer": ENCODER_LAYER, "num_layers": 1,
                                                "norm": {"type": "Linear"}}}],
     "arch.json: layer 0 (TransformerEncoder): norm must be a {'type': 'LayerNorm', "),
    ([{"type": "Transformer", "kwargs": {"custom_encoder": {"type": "Identity"}}}],
     "arch.json: layer 0 (Transformer): custom_encoder cannot be given in a model file"),
    ([{"type": "LSTM", "kwargs": {"input_size": 2048, "hidden_size": 2048, "num_layers": 100}}],
     "arch.json: layer 0 (LSTM)"),
])
def test_check_size_on_the_new_rules(spec, fragment):
    with pytest.raises(ValueError) as error:
        models.check_size(spec, "arch.json")
    assert str(error.value).startswith(fragment), str(error.value)


def test_a_small_transformer_passes_check_size_and_round_trips(tmp_path):
    spec = [{"type": "Embedding", "kwargs": {"num_embeddings": 5, "embedding_dim": 8}},
            {"type": "PositionalEncoding", "kwargs": {"d_model": 8, "max_len": 6,
                                                      "batch_first": True, "dropout": 0.0}},
            {"type": "TransformerEncoder", "kwargs": {"encoder_layer": {
                "type": "TransformerEncoderLayer",
                "kwargs": {**ENCODER_LAYER["kwargs"], "dropout": 0.0}},
                "num_layers": 2, "norm": LAYER_NORM}}]
    models.check_size(spec)
    model = models.build_model(spec)
    models.save_model(model, spec, tmp_path / "m.safetensors")
    loaded, loaded_spec, _ = models.load_model(tmp_path / "m.safetensors")
    x = gs.tensor([[0, 1, 2, 3, 4, 0]])
    assert loaded_spec == spec and gs.allclose(loaded(x), model(x))
