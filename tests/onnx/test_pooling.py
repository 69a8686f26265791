"""MaxPool, AvgPool and AdaptiveAvgPool through ONNX's MaxPool, AveragePool and
GlobalAveragePool and back."""
import pytest

import gradsheet as gs
from gradsheet import nn
from gradsheet.onnx import export

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

POOLS_2D = [
    nn.MaxPool2d(2), nn.MaxPool2d(3, stride=2, padding=1), nn.MaxPool2d((2, 3), dilation=2),
    nn.MaxPool2d(3, stride=2, ceil_mode=True), nn.MaxPool2d(2, padding=1, ceil_mode=True),
    nn.AvgPool2d(2), nn.AvgPool2d(3, stride=2, padding=1),
    nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
    nn.AvgPool2d(3, stride=2, ceil_mode=True), nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True),
    nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    nn.AvgPool2d(2, padding=1, divisor_override=3), nn.AvgPool2d(2, padding=1, ceil_mode=True),
    nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, divisor_override=5),
    nn.AdaptiveAvgPool2d(1), nn.AdaptiveAvgPool2d((2, 3)), nn.AdaptiveAvgPool2d((None, 1)),
]
POOLS_1D = [
    nn.MaxPool1d(3, stride=2, padding=1), nn.MaxPool1d(2, ceil_mode=True),
    nn.AvgPool1d(3, stride=2, padding=1, count_include_pad=False),
    nn.AvgPool1d(2, ceil_mode=True), nn.AdaptiveAvgPool1d(1), nn.AdaptiveAvgPool1d(3),
]


@pytest.mark.parametrize("pool", POOLS_2D, ids=repr)
def test_pool2d(roundtrip, pool):
    gs.manual_seed(0)
    roundtrip(pool, gs.randn(2, 3, 6, 9), gs.randn(1, 3, 6, 9))


@pytest.mark.parametrize("pool", POOLS_1D, ids=repr)
def test_pool1d(roundtrip, pool):
    gs.manual_seed(1)
    roundtrip(pool, gs.randn(2, 3, 9), gs.randn(4, 3, 9))


def test_global_average_pool_is_one_op(roundtrip):
    proto = roundtrip(nn.AdaptiveAvgPool2d((1, 1)), gs.randn(2, 3, 5, 4))
    assert [node.op_type for node in proto.graph.node] == ["GlobalAveragePool", "Identity"]


@pytest.mark.parametrize("pool, shape, message", [
    (nn.AdaptiveAvgPool2d((2, 3)), (1, 2, 5, 6),
     r"AdaptiveAvgPool2d at '<model>'|output size \(2, 3\) does not divide .*\(5, 6\)"),
    (nn.MaxPool2d(2, return_indices=True), (1, 2, 4, 4), "MaxPool2d at .*return_indices"),
])
def test_pool_without_an_onnx_form_is_refused(tmp_path, pool, shape, message):
    with pytest.raises(NotImplementedError, match=message):
        export(pool, gs.randn(*shape), tmp_path / "m.onnx")


def test_unbatched_input_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"MaxPool2d at .*shape \(3, 4, 4\).*batched 4-d"):
        export(nn.Sequential(nn.MaxPool2d(2)), gs.randn(3, 4, 4), tmp_path / "m.onnx")
