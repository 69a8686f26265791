"""export's contract: the file it writes, dynamic batch, modes, and every refusal."""
import os

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import nn
from gradsheet.onnx import export

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(x) + x


class Cumulative(Block):
    def forward(self, x):
        return self.fc(x).cumsum(1)  # an op without an ONNX converter


def _dims(value_info):
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def test_dynamic_batch_declares_a_symbolic_batch_axis(tmp_path):
    proto = export(nn.Linear(4, 2), gs.randn(3, 4), tmp_path / "m.onnx")
    assert _dims(proto.graph.input[0]) == ["batch", 4]
    assert _dims(proto.graph.output[0]) == ["batch", 2]
    assert onnx.load(str(tmp_path / "m.onnx")) == proto


def test_static_batch_is_fixed(tmp_path):
    path = tmp_path / "m.onnx"
    proto = export(nn.Linear(4, 2), gs.randn(3, 4), path, dynamic_batch=False)
    assert _dims(proto.graph.input[0]) == [3, 4]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    with pytest.raises(Exception, match="input"):
        session.run(None, {"input": np.zeros((5, 4), np.float32)})


def test_export_restores_training_mode(tmp_path):
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.Sequential(nn.Dropout()))
    model[2].eval()
    proto = export(model, gs.randn(2, 4), tmp_path / "m.onnx")
    assert [m.training for m in model.modules()] == [True, True, True, False, False]
    assert "Dropout" not in {node.op_type for node in proto.graph.node}


def test_array_example_and_opset(tmp_path):
    proto = export(nn.Tanh(), np.zeros((2, 3), np.float32), str(tmp_path / "m.onnx"),
                   opset_version=20)
    assert proto.opset_import[0].version == 20


@pytest.mark.parametrize("model, name", [
    (nn.Sequential(nn.Linear(4, 4), Cumulative()), "op CumSum .* Cumulative at '1'"),
    (Cumulative(), "op CumSum .* Cumulative at '<model>'"),
    (nn.Sequential(nn.Sequential(nn.ReLU(), nn.ModuleList([nn.ReLU()]))),
     "no ONNX converter for ModuleList at '0.1'"),
    (nn.Sequential(nn.MSELoss()), "MSELoss at '0'"),
])
def test_unsupported_module_is_named_with_its_path(tmp_path, model, name):
    with pytest.raises(NotImplementedError, match=name):
        export(model, gs.randn(2, 4), tmp_path / "m.onnx")


def test_subclass_with_its_own_forward_is_traced(tmp_path):
    class Doubled(nn.Linear):
        def forward(self, x):
            return super().forward(x) * 2

    model, x = nn.Sequential(Doubled(4, 4), Block()), gs.randn(2, 4)
    export(model, x, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    for batch in (x, gs.randn(5, 4)):
        (got,) = session.run(None, {"input": batch.array})
        np.testing.assert_allclose(got, model(batch).array, rtol=1e-5, atol=1e-6)


def test_failed_export_leaves_the_old_file(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"old")
    with pytest.raises(NotImplementedError):
        export(nn.Sequential(nn.ReLU(), Cumulative()), gs.randn(2, 4), path)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["m.onnx"]
    export(nn.ReLU(), gs.randn(2, 4), path)
    assert onnx.load(str(path)).graph.node[0].op_type == "Relu"
    assert os.listdir(tmp_path) == ["m.onnx"]


def test_bad_arguments(tmp_path):
    path = tmp_path / "m.onnx"
    with pytest.raises(TypeError, match="must be a gradsheet Module, got function"):
        export(lambda x: x, gs.randn(2, 4), path)
    for opset in (16, 10_000, 17.0, True):
        with pytest.raises(ValueError, match=r"opset_version must be an int in \[17, \d+\]"):
            export(nn.ReLU(), gs.randn(2, 4), path, opset_version=opset)
    with pytest.raises(ValueError, match="example input is float64 but the model's parameters "
                                         "are float32"):
        export(nn.Linear(4, 2), gs.randn(2, 4, dtype=gs.float64), path)
    with pytest.raises(ValueError, match=r"batch axis 0 .* shape \(\)"):
        export(nn.ReLU(), gs.tensor(1.0), path)
    assert not path.exists()


def test_tuple_output_inside_a_sequential_is_refused(tmp_path, monkeypatch):
    class Pair(nn.Identity):
        def forward(self, x):
            return x, x

    from gradsheet.onnx.graph import CONVERTERS
    monkeypatch.setitem(CONVERTERS, Pair, lambda g, m, x, shape, path: x)
    with pytest.raises(TypeError, match="Pair at '0' returns a tuple.*SequenceOutput"):
        export(nn.Sequential(Pair(), nn.ReLU()), gs.randn(2, 4), tmp_path / "m.onnx")
