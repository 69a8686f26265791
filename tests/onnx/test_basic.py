"""Linear, Identity, Dropout, Flatten and the activations through ONNX and back."""
import collections

import pytest

import gradsheet as gs
from gradsheet import nn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

ACTIVATIONS = [
    nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.LeakyReLU(0.2), nn.ELU(0.7), nn.SiLU(),
    nn.Softplus(), nn.Softplus(beta=2.0, threshold=5.0), nn.GELU(), nn.GELU("tanh"),
    nn.Softmax(dim=1), nn.LogSoftmax(dim=-1), nn.Softmax(dim=0),
]


@pytest.mark.parametrize("opset", [17, 20])
@pytest.mark.parametrize("act", ACTIVATIONS, ids=repr)
def test_activation(roundtrip, act, opset):
    gs.manual_seed(0)
    # scaled so that Softplus passes its threshold and ELU/GELU see both tails
    roundtrip(act, gs.randn(4, 6) * 8, gs.randn(7, 6) * 8, opset_version=opset)


def test_softmax_over_a_middle_axis(roundtrip):
    roundtrip(nn.Softmax(dim=1), gs.randn(2, 5, 3), gs.randn(4, 5, 3))


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(3, 5), (3, 4, 5), (2, 3, 4, 5)])
def test_linear(roundtrip, shape, bias):
    gs.manual_seed(1)
    other = (6,) + shape[1:]
    proto = roundtrip(nn.Linear(5, 7, bias=bias), gs.randn(*shape), gs.randn(*other))
    ops = {node.op_type for node in proto.graph.node}
    assert ("Gemm" in ops) == (len(shape) == 2)


@pytest.mark.parametrize("start_dim, end_dim", [(1, -1), (0, -1), (1, 2), (2, 3), (2, -1)])
def test_flatten(roundtrip, start_dim, end_dim):
    roundtrip(nn.Flatten(start_dim, end_dim), gs.randn(2, 3, 4, 5), gs.randn(3, 3, 4, 5))


def test_mlp_with_dropout_and_nested_sequentials(roundtrip):
    gs.manual_seed(2)
    model = nn.Sequential(collections.OrderedDict([
        ("hidden", nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Dropout(0.5))),
        ("identity", nn.Identity()),
        ("head", nn.Sequential(nn.Sequential(nn.Linear(16, 3)), nn.LogSoftmax(dim=1))),
    ]))
    proto = roundtrip(model, gs.randn(5, 8), gs.randn(1, 8))
    names = {init.name for init in proto.graph.initializer}
    assert {"hidden.0.weight", "head.0.0.bias"} <= names


def test_float64_model(roundtrip):
    gs.manual_seed(3)
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh()).double()  # onnxruntime lacks float64 Erf
    roundtrip(model, gs.randn(2, 4, dtype=gs.float64), gs.randn(5, 4, dtype=gs.float64),
              atol=1e-12)


def test_subclass_that_keeps_forward_is_exported(roundtrip):
    class MyLinear(nn.Linear):
        pass

    roundtrip(MyLinear(3, 2), gs.randn(4, 3), gs.randn(2, 3))
