"""export's signature against torch.onnx.export's, its options, and its errors: unsupported
ops and modules named with their paths, mismatched names, and forwards whose sizes or values
would be frozen into the file."""
import inspect
import io

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import nn
from gradsheet.onnx import OperatorExportTypes, TrainingMode, export
from tests.onnx.ort_check import dims

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _default(value):
    return int(value) if type(value).__name__ in ("TrainingMode", "OperatorExportTypes") \
        else value


def test_signature_is_torchs():
    torch = pytest.importorskip("torch")
    ours = [p for p in inspect.signature(export).parameters.values() if p.name != "dynamic_batch"]
    theirs = list(inspect.signature(torch.onnx.export).parameters.values())
    assert [(p.name, p.kind) for p in ours] == [(p.name, p.kind) for p in theirs]
    assert [_default(p.default) for p in ours] == [_default(p.default) for p in theirs]
    assert inspect.signature(export).parameters["dynamic_batch"].kind is \
        inspect.Parameter.KEYWORD_ONLY
    for ours_enum, theirs_enum in ((TrainingMode, torch.onnx.TrainingMode),
                                   (OperatorExportTypes, torch.onnx.OperatorExportTypes)):
        for member in ours_enum:
            assert int(getattr(theirs_enum, member.name)) == int(member)


class Pair(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x, y):
        return self.fc(x) * y


def test_names_counts_are_checked(tmp_path):
    args = (gs.randn(2, 3), gs.randn(2, 2))
    with pytest.raises(ValueError, match=r"3 input_names given .* the model has 2 tensor inputs"):
        export(Pair(), args, tmp_path / "m.onnx", input_names=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"2 output_names given .* the model has 1 outputs"):
        export(Pair(), args, tmp_path / "m.onnx", output_names=["p", "q"])
    with pytest.raises(ValueError, match="must be distinct"):
        export(Pair(), args, tmp_path / "m.onnx", input_names=["a", "a"])
    with pytest.raises(ValueError, match=r"\['x'\] name both an input and an output"):
        export(Pair(), args, tmp_path / "m.onnx", output_names=["x"])
    proto = export(Pair(), args, tmp_path / "m.onnx", input_names=["a"])  # fewer: allowed
    assert [i.name for i in proto.graph.input] == ["a", "y"]
    assert not list(tmp_path.glob("*.tmp*"))


def test_dynamic_axes_errors(tmp_path):
    args = (gs.randn(2, 3), gs.randn(2, 2))
    with pytest.raises(ValueError, match=r"dynamic_axes names \['z'\], which are neither"):
        export(Pair(), args, tmp_path / "m.onnx", dynamic_axes={"z": [0]})
    with pytest.raises(ValueError, match=r"dynamic_axes\['x'\] has axis 2, out of range"):
        export(Pair(), args, tmp_path / "m.onnx", dynamic_axes={"x": [2]})
    with pytest.raises(TypeError, match=r"dynamic_axes\['x'\] must be a dict"):
        export(Pair(), args, tmp_path / "m.onnx", dynamic_axes={"x": 0})
    with pytest.raises(ValueError, match="dynamic axis 'b' has size 2 in one input but 3"):
        export(Pair(), (gs.randn(2, 3), gs.randn(3, 2)), tmp_path / "m.onnx",
               dynamic_axes={"x": {0: "b"}, "y": {0: "b"}})
    with pytest.raises(ValueError, match=r"the model fails .* other sizes on the dynamic axes "
                                         r"\('b' 3 -> 4\).*linear: input of shape \(2, 4\)"):
        export(Pair(), args, tmp_path / "m.onnx", dynamic_axes={"x": {1: "b"}})


class Deep(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.block = nn.Sequential(nn.Linear(3, 3), inner)

    def forward(self, x):
        return self.block(x)


class Cum(nn.Module):
    def forward(self, x):
        return x.cumsum(0)


@pytest.mark.parametrize("inner, error, message", [
    (Cum(), NotImplementedError, r"no ONNX converter for the op CumSum \(gradsheet\.ops\.scan\), "
                                 r"called in the forward of Cum at '0\.block\.1'"),
    (nn.CrossEntropyLoss(), NotImplementedError,
     r"no ONNX converter for CrossEntropyLoss at '0\.block\.1'"),
    (nn.ModuleList([nn.ReLU()]), NotImplementedError, r"ModuleList at '0\.block\.1'"),
    (nn.LSTM(3, 3), None, None),
])
def test_unsupported_op_or_module_names_its_path(tmp_path, inner, error, message):
    model = nn.Sequential(Deep(inner), nn.ReLU())
    if error is None:  # the LSTM's tuple reaches the ReLU
        error, message = TypeError, r"LSTM at '0\.block\.1' returns a tuple.*ReLU at '1'"
    with pytest.raises(error, match=message):
        export(model, gs.randn(2, 3), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


class Branchy(nn.Module):
    def forward(self, x):
        if x.shape[0] > 2:
            return x * 2
        return x.exp()


class FrozenSize(nn.Module):
    def forward(self, x):
        return x + x.shape[0]


class FrozenTensor(nn.Module):
    def forward(self, x):
        return x + gs.zeros(x.shape[0], 1)


class FrozenValue(nn.Module):
    def forward(self, x):
        return x * x.max().item()


class ViewInPlace(nn.Module):
    def forward(self, x):
        y = x * 1
        flat = y.view(-1)
        flat += 1
        return y


class SetItem(nn.Module):
    def forward(self, x):
        y = x * 1
        y[0] = 0
        return y


@pytest.mark.parametrize("model, message", [
    (Branchy(), r"runs other steps .*step 0: the op Exp .* for the example, the op Mul"),
    (FrozenSize(), r"the op Add in the forward of FrozenSize at '<model>' gets, as input 1, 2 "
                   r"for the example inputs but 3"),
    (FrozenTensor(), r"the op Add .* gets, as input 1, a tensor of shape \(2, 1\) that no traced "
                     r"op computed .* but a tensor of shape \(3, 1\)"),
    (FrozenValue(), r"the op Mul .* gets, as input 1, .* computed in Python from a size or a "
                    r"value"),
    (ViewInPlace(), r"the model's output uses a tensor whose memory the in-place op __iadd__"),
    (SetItem(), r"the model's output uses a tensor whose memory the in-place op setitem"),
])
def test_frozen_sizes_values_and_control_flow_are_refused(tmp_path, model, message):
    with pytest.raises(NotImplementedError, match=message):
        export(model, gs.randn(2, 3), tmp_path / "m.onnx")


def test_static_export_of_a_python_size_is_fine(tmp_path):
    proto = export(FrozenTensor(), gs.randn(2, 3), tmp_path / "m.onnx", dynamic_batch=False)
    assert dims(proto.graph.input[0]) == [2, 3]


def test_options(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    model, x = nn.Sequential(nn.Linear(3, 2), nn.Tanh()), gs.randn(4, 3)
    proto = export(model, (x,), None, training=torch.onnx.TrainingMode.EVAL, verify=True,
                   verbose=True, dynamo=False, do_constant_folding=False, custom_opsets={},
                   optimize=False, external_data=False)
    assert "Gemm" in capsys.readouterr().out
    assert not list(tmp_path.iterdir())
    buffer = io.BytesIO()
    export(model, x, buffer, keep_initializers_as_inputs=True)
    loaded = onnx.load_from_string(buffer.getvalue())
    assert [i.name for i in loaded.graph.input] == ["input", "0.weight", "0.bias"]
    assert [i.name for i in proto.graph.input] == ["input"]
    for graph in (proto, loaded):
        (got,) = ort.InferenceSession(graph.SerializeToString()).run(None, {"input": x.array})
        np.testing.assert_allclose(got, model(x).array, rtol=1e-5, atol=1e-6)
    model.train()
    export(model, x, tmp_path / "m.onnx", training=TrainingMode.PRESERVE)  # no Dropout: fine
    assert model.training


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(training=TrainingMode.TRAINING), NotImplementedError, "TrainingMode.TRAINING"),
    (dict(training="eval"), TypeError, "training must be a gradsheet.onnx.TrainingMode"),
    (dict(operator_export_type=OperatorExportTypes.ONNX_ATEN), NotImplementedError,
     "OperatorExportTypes.ONNX"),
    (dict(export_params=False), NotImplementedError, "export_params=False"),
    (dict(export_modules_as_functions=True), NotImplementedError, "export_modules_as_functions"),
    (dict(dynamic_shapes={"x": {0: "b"}}), NotImplementedError, "give dynamic_axes"),
    (dict(custom_translation_table={len: len}), NotImplementedError, "custom_translation_table"),
    (dict(dynamic_batch=True, dynamic_axes={"input": [0]}), ValueError, "dynamic_batch is for"),
    (dict(kwargs=[1]), TypeError, "kwargs must be a dict"),
])
def test_refused_options(tmp_path, kwargs, error, message):
    with pytest.raises(error, match=message):
        export(nn.Linear(3, 2), gs.randn(4, 3), tmp_path / "m.onnx", **kwargs)
    assert not (tmp_path / "m.onnx").exists()


def test_verify_catches_a_wrong_graph(tmp_path, monkeypatch):
    from gradsheet.onnx import basic
    from gradsheet.onnx.graph import CONVERTERS
    monkeypatch.setitem(CONVERTERS, nn.Tanh, basic._unary("Sigmoid"))
    with pytest.raises(ValueError, match="verify: output 'output' of onnxruntime differs"):
        export(nn.Tanh(), gs.randn(2, 3), tmp_path / "m.onnx", verify=True)
