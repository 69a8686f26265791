"""BatchNorm, LayerNorm and GroupNorm through ONNX and back (eval mode)."""
import numpy as np
import pytest

import gradsheet as gs
from gradsheet import nn
from gradsheet.onnx import export

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _trained(norm, *shape):
    """``norm`` after a few training batches, so running statistics and affine parameters are
    not their initial 0 and 1."""
    rng = np.random.default_rng(0)
    for _ in range(3):
        norm(gs.tensor(rng.normal(2.0, 3.0, shape).astype(np.float32)))
    for p in norm.parameters():
        p.array[...] = rng.normal(size=p.shape)
    return norm


@pytest.mark.parametrize("norm, shape", [
    (nn.BatchNorm1d(4), (5, 4)), (nn.BatchNorm1d(4, affine=False), (5, 4, 3)),
    (nn.BatchNorm2d(3, eps=1e-3), (2, 3, 4, 5)), (nn.BatchNorm2d(3, bias=False), (2, 3, 4, 5)),
])
def test_batch_norm(roundtrip, norm, shape):
    norm = _trained(norm, *shape)
    roundtrip(norm, gs.randn(*shape) * 3 + 2, gs.randn(7, *shape[1:]))


@pytest.mark.parametrize("norm, shape", [
    (nn.LayerNorm(6), (3, 6)), (nn.LayerNorm((4, 6), eps=1e-3), (2, 3, 4, 6)),
    (nn.LayerNorm(6, elementwise_affine=False), (2, 5, 6)), (nn.LayerNorm(6, bias=False), (3, 6)),
])
def test_layer_norm(roundtrip, norm, shape):
    roundtrip(_trained(norm, *shape), gs.randn(*shape), gs.randn(1, *shape[1:]))


@pytest.mark.parametrize("opset", [17, 21])
@pytest.mark.parametrize("norm, shape", [
    (nn.GroupNorm(2, 6), (3, 6, 4, 5)), (nn.GroupNorm(3, 6, affine=False), (2, 6, 7)),
    (nn.GroupNorm(1, 4, bias=False), (2, 4)), (nn.GroupNorm(4, 4, eps=1e-3), (2, 4, 3, 3)),
])
def test_group_norm(roundtrip, norm, shape, opset):
    norm = _trained(norm, *shape)
    proto = roundtrip(norm, gs.randn(*shape) * 2, gs.randn(5, *shape[1:]), opset_version=opset)
    ops = {node.op_type for node in proto.graph.node}
    assert ("GroupNormalization" in ops) == (opset >= 21)


def test_batch_norm_without_running_stats_is_refused(tmp_path):
    with pytest.raises(NotImplementedError, match="BatchNorm1d at '1'.*track_running_stats"):
        export(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, track_running_stats=False)),
               gs.randn(2, 3), tmp_path / "m.onnx")
