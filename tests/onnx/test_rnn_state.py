"""RNN, LSTM and GRU with an initial state as a second input and their final states as
outputs (ONNX's initial_h/initial_c and Y_h/Y_c), with a dynamic batch and sequence length."""
import numpy as np
import pytest

import gradsheet as gs
from gradsheet import nn
from tests.onnx.ort_check import check, dims

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _inputs(cls, layer, batch, time, rng):
    D = 2 if layer.bidirectional else 1
    shape = (batch, time, layer.input_size) if layer.batch_first else (time, batch,
                                                                       layer.input_size)
    x = gs.tensor(rng.normal(size=shape).astype(np.float32))
    state = [gs.tensor(rng.normal(size=(layer.num_layers * D, batch, layer.hidden_size))
                       .astype(np.float32)) for _ in range(2 if cls is nn.LSTM else 1)]
    return (x, tuple(state)) if cls is nn.LSTM else (x, state[0])


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
@pytest.mark.parametrize("batch_first, bidirectional, num_layers, bias", [
    (False, False, 1, True), (True, False, 2, True), (False, True, 2, True),
    (True, True, 3, False),
])
def test_initial_and_final_states(tmp_path, cls, batch_first, bidirectional, num_layers, bias):
    gs.manual_seed(0)
    rng = np.random.default_rng(0)
    layer = cls(3, 4, num_layers=num_layers, bias=bias, batch_first=batch_first,
                bidirectional=bidirectional)
    lstm = cls is nn.LSTM
    batch, time = (0, 1) if batch_first else (1, 0)
    names = ["x", "h0", "c0"] if lstm else ["x", "h0"]
    axes = {"x": {batch: "batch", time: "time"}, "h0": {1: "batch"}}
    if lstm:
        axes["c0"] = {1: "batch"}
    runs = [_inputs(cls, layer, b, t, rng) for b, t in ((5, 2), (1, 7))]
    proto, _ = check(layer, _inputs(cls, layer, 2, 4, rng), tmp_path / "m.onnx", runs=runs,
                     input_names=names, output_names=["y", "h_n", "c_n"][:len(names)],
                     dynamic_axes=axes)
    nodes = [n for n in proto.graph.node if n.op_type == cls.__name__]
    assert len(nodes) == num_layers
    assert all(len(n.input) == (7 if lstm else 6) and n.input[5] for n in nodes)  # initial_h
    assert dims(proto.graph.output[0])[batch] == "batch"
    assert dims(proto.graph.output[0])[time] == "time"
    assert dims(proto.graph.output[1]) == [num_layers * (2 if bidirectional else 1), "batch", 4]


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU])
def test_unbatched_with_state(tmp_path, cls):
    gs.manual_seed(1)
    layer = cls(3, 4, num_layers=2, bidirectional=True)
    x, h = gs.randn(5, 3), gs.randn(4, 4)
    args = (x, (h, gs.randn(4, 4))) if cls is nn.LSTM else (x, h)
    check(layer, args, tmp_path / "m.onnx", dynamic_axes={"input": {0: "time"}},
          runs=[(gs.randn(8, 3),) + args[1:]])


class Seq2Seq(nn.Module):
    """An encoder's final states start a decoder; the head reads the last step."""

    def __init__(self):
        super().__init__()
        self.enc = nn.LSTM(3, 5, batch_first=True, num_layers=2)
        self.dec = nn.LSTM(2, 5, batch_first=True, num_layers=2)
        self.head = nn.Linear(5, 2)

    def forward(self, src, tgt):
        _, state = self.enc(src)
        out, (h, c) = self.dec(tgt, state)
        return self.head(out[:, -1]), h + c


def test_encoder_decoder_passes_states(tmp_path):
    gs.manual_seed(2)
    axes = {"src": {0: "batch", 1: "src_len"}, "tgt": {0: "batch", 1: "tgt_len"}}
    check(Seq2Seq(), (gs.randn(2, 6, 3), gs.randn(2, 4, 2)), tmp_path / "m.onnx",
          runs=[(gs.randn(3, 9, 3), gs.randn(3, 2, 2))], dynamic_axes=axes)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_gate_order_against_torch(tmp_path, name):
    """The file computes torch's layer (weights copied), so gradsheet's gate order conversion
    (i, f, g, o -> i, o, f, c; r, z, n -> z, r, h) is checked against torch itself."""
    torch = pytest.importorskip("torch")
    from gradsheet.onnx import export
    gs.manual_seed(3)
    ours = getattr(nn, name)(3, 4, num_layers=2, bidirectional=True)
    theirs = getattr(torch.nn, name)(3, 4, num_layers=2, bidirectional=True)
    with torch.no_grad():
        for pname, p in ours.named_parameters():
            getattr(theirs, pname).copy_(torch.from_numpy(p.array))
    x, h = gs.randn(6, 2, 3), gs.randn(4, 2, 4)
    state = (h, gs.randn(4, 2, 4)) if name == "LSTM" else h
    export(ours.eval(), (x, state), tmp_path / "m.onnx")
    got = ort.InferenceSession(str(tmp_path / "m.onnx")).run(
        None, dict(zip(["input", "hx_0", "hx_1"] if name == "LSTM" else ["input", "hx"],
                       [x.array, *(s.array for s in (state if name == "LSTM" else (state,)))])))
    t_state = tuple(torch.from_numpy(s.array) for s in state) if name == "LSTM" else \
        torch.from_numpy(h.array)
    with torch.no_grad():
        y, finals = theirs(torch.from_numpy(x.array), t_state)
    want = [y] + (list(finals) if name == "LSTM" else [finals])
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w.numpy(), rtol=1e-5, atol=1e-5)


def test_lengths_argument_is_refused(tmp_path):
    from gradsheet.onnx import export
    with pytest.raises(NotImplementedError, match=r"GRU at '<model>' is called with lengths"):
        export(nn.GRU(3, 4), (gs.randn(5, 2, 3), None, [5, 3]), tmp_path / "m.onnx")
