"""Conv1d, Conv2d and ConvTranspose2d through ONNX's Conv and ConvTranspose and back, alone
and in a small CNN."""
import pytest

import gradsheet as gs
from gradsheet import nn
from gradsheet.onnx import export

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

CONV2D = [
    dict(), dict(stride=2, padding=1), dict(padding=(2, 0), dilation=(1, 2)),
    dict(padding="same", dilation=2), dict(kernel_size=(2, 4), padding="same"),
    dict(padding="valid", bias=False), dict(groups=2, stride=(1, 2)),
]


@pytest.mark.parametrize("kwargs", CONV2D, ids=str)
def test_conv2d(roundtrip, kwargs):
    gs.manual_seed(0)
    kwargs = {"kernel_size": 3, **kwargs}
    roundtrip(nn.Conv2d(4, 6, **kwargs), gs.randn(2, 4, 7, 8), gs.randn(3, 4, 7, 8))


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=2, dilation=2, groups=2),
                                    dict(padding="same", bias=False), dict(kernel_size=4,
                                                                           padding="same")],
                         ids=str)
def test_conv1d(roundtrip, kwargs):
    gs.manual_seed(1)
    kwargs = {"kernel_size": 3, **kwargs}
    roundtrip(nn.Conv1d(4, 6, **kwargs), gs.randn(2, 4, 11), gs.randn(1, 4, 11))


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=2, stride=2), dict(kernel_size=3, stride=2, padding=1, output_padding=1),
    dict(kernel_size=3, stride=(2, 3), output_padding=(1, 2), dilation=1, bias=False),
    dict(kernel_size=3, dilation=2, groups=2), dict(kernel_size=(3, 2), stride=3, padding=(1, 0),
                                                    output_padding=(0, 2), dilation=(2, 1)),
], ids=str)
def test_conv_transpose2d(roundtrip, kwargs):
    gs.manual_seed(2)
    roundtrip(nn.ConvTranspose2d(4, 6, **kwargs), gs.randn(2, 4, 5, 6), gs.randn(1, 4, 5, 6))


def test_small_cnn(roundtrip):
    gs.manual_seed(3)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.GroupNorm(4, 16), nn.SiLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3), nn.Linear(16, 10))
    model.train()
    model(gs.randn(8, 1, 8, 8))  # move BatchNorm's running statistics off 0 and 1
    roundtrip(model, gs.randn(4, 1, 8, 8), gs.randn(9, 1, 8, 8))


def test_unbatched_conv_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"Conv2d at '0' got input of shape \(4, 7, 8\)"):
        export(nn.Sequential(nn.Conv2d(4, 6, 3)), gs.randn(4, 7, 8), tmp_path / "m.onnx")
