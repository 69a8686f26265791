"""PixelShuffle exports as ONNX's DepthToSpace (CRD order): PyTorch's super-resolution
example's network, run in onnxruntime at two batch sizes."""
import pytest

import gradsheet as gs
import gradsheet.nn as nn
from tests.onnx.ort_check import check


class SuperResolution(nn.Module):
    """The super_resolution example's network (PyTorch's examples repository)."""

    def __init__(self, upscale_factor):
        super().__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 8, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(8, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)

    def forward(self, x):
        return self.pixel_shuffle(self.conv2(self.relu(self.conv1(x))))


@pytest.mark.parametrize("factor", [2, 3])
def test_super_resolution_network_exports(tmp_path, factor):
    gs.manual_seed(0)
    model = SuperResolution(factor)
    check(model, gs.randn(2, 1, 6, 7), tmp_path / "sr.onnx", runs=[(gs.randn(3, 1, 6, 7),)],
          input_names=["input"], output_names=["output"],
          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})


def test_pixel_unshuffle_says_it_has_no_converter(tmp_path):
    model = nn.PixelUnshuffle(2)
    with pytest.raises(NotImplementedError, match="no ONNX converter for pixel_unshuffle"):
        gs.onnx.export(model, gs.randn(1, 1, 4, 4), tmp_path / "u.onnx")
