"""Embedding, RNN, LSTM and GRU through ONNX's Gather, RNN, LSTM and GRU ops and back."""
import numpy as np
import pytest

import gradsheet as gs
from gradsheet import nn
from gradsheet.onnx import SequenceOutput, export

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _tokens(*shape):
    return gs.tensor(np.random.default_rng(sum(shape)).integers(0, 20, shape))


def test_embedding(roundtrip):
    gs.manual_seed(0)
    roundtrip(nn.Embedding(20, 6, padding_idx=0), _tokens(3, 5), _tokens(2, 5))


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
@pytest.mark.parametrize("batch_first, bidirectional, num_layers, bias", [
    (False, False, 1, True), (True, False, 2, True), (False, True, 2, True),
    (True, True, 1, False),
])
def test_recurrent_layer(roundtrip, cls, batch_first, bidirectional, num_layers, bias):
    gs.manual_seed(1)
    layer = cls(4, 5, num_layers=num_layers, bias=bias, batch_first=batch_first,
                bidirectional=bidirectional)
    shape = (3, 6, 4) if batch_first else (6, 3, 4)
    other = (1, 6, 4) if batch_first else (6, 1, 4)
    proto = roundtrip(layer, gs.randn(*shape), gs.randn(*other))
    ops = [node.op_type for node in proto.graph.node]
    assert ops.count(cls.__name__) == num_layers


def test_relu_rnn(roundtrip):
    gs.manual_seed(2)
    roundtrip(nn.RNN(3, 4, nonlinearity="relu", bidirectional=True), gs.randn(5, 2, 3),
              gs.randn(5, 4, 3))


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU])
def test_unbatched_input_with_static_shapes(tmp_path, cls):
    gs.manual_seed(3)
    layer = cls(3, 4, num_layers=2, bidirectional=True).eval()
    x = gs.randn(5, 3)
    path = tmp_path / "m.onnx"
    export(layer, x, path, dynamic_batch=False)
    got, h_n, c_n = (ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {"input": x.array}) + [None])[:3]
    output, states = layer(x)
    np.testing.assert_allclose(got, output.array, rtol=1e-5, atol=1e-5)
    for state, want in zip((h_n, c_n), states if cls is nn.LSTM else (states,)):
        np.testing.assert_allclose(state, want.array, rtol=1e-5, atol=1e-5)
    message = r"(LSTM|GRU) at 'model' got unbatched input of shape \(5, 3\)"
    with pytest.raises(ValueError, match=message):
        export(layer, x, path)


@pytest.mark.parametrize("batch_first", [True, False])
def test_text_classifier_through_sequence_output(roundtrip, batch_first):
    gs.manual_seed(4)
    model = nn.Sequential(
        nn.Embedding(20, 6),
        SequenceOutput(nn.LSTM(6, 8, batch_first=batch_first, bidirectional=True)),
        SequenceOutput(nn.GRU(16, 5, batch_first=batch_first), last=True),
        nn.Linear(5, 3), nn.LogSoftmax(dim=-1))
    tokens, other = (_tokens(2, 7), _tokens(4, 7)) if batch_first else (_tokens(7, 2),
                                                                         _tokens(7, 4))
    proto = roundtrip(model, tokens, other)
    batch_axis = 0 if batch_first else 1
    dims = [d.dim_param or d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims[batch_axis] == "batch" and dims[1 - batch_axis] == 7
    out = proto.graph.output[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in out] == ["batch", 3]


def test_sequence_output_of_a_custom_module_is_named(tmp_path):
    class Echo(nn.Module):
        batch_first = True

        def forward(self, x):
            return x, None

    model = nn.Sequential(SequenceOutput(Echo()), nn.ReLU())
    assert model(gs.ones(2, 3, 4)).shape == (2, 3, 4)
    with pytest.raises(NotImplementedError, match=r"Echo at '0\.rnn'"):
        export(model, gs.ones(2, 3, 4), tmp_path / "m.onnx")


def test_lstm_before_another_layer_needs_the_wrapper(tmp_path):
    model = nn.Sequential(nn.LSTM(3, 4), nn.Linear(4, 2))
    with pytest.raises(TypeError, match="LSTM at '0' returns a tuple.*SequenceOutput"):
        export(model, gs.randn(5, 2, 3), tmp_path / "m.onnx")
