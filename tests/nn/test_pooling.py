"""Pooling layers: PyTorch's constructor arguments, defaults, reprs and outputs; errors that
name the layer. (The math is tested in tests/ops/test_pool.py.)"""
import numpy as np
import pytest

import gradsheet as gs
import gradsheet.nn as nn
from tests.helpers import check_against_torch, torch_or_skip

LAYERS = [  # (name, args, kwargs, input shape)
    ("MaxPool2d", (2,), {}, (2, 3, 8, 8)),
    ("MaxPool2d", (3, 2, 1, 2), {"ceil_mode": True}, (2, 3, 9, 8)),
    ("MaxPool2d", ((3, 2),), {"stride": (2, 1), "padding": (1, 0)}, (3, 7, 6)),
    ("MaxPool1d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, (2, 3, 10)),
    ("AvgPool2d", (3, 2, 1), {"count_include_pad": False, "ceil_mode": True}, (2, 3, 8, 7)),
    ("AvgPool2d", (2,), {"divisor_override": 3}, (1, 2, 4, 4)),
    ("AvgPool1d", (4, 3, 2), {"ceil_mode": True}, (2, 3, 11)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 5, 7)),
    ("AdaptiveAvgPool2d", ((3, None),), {}, (2, 3, 5, 7)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 9)),
]


@pytest.mark.parametrize("name, args, kwargs, shape", LAYERS)
def test_layer_matches_torch_and_its_repr(name, args, kwargs, shape):
    torch = torch_or_skip()
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).standard_normal(shape)
    check_against_torch(ours, theirs, [x])


def test_max_pool_layer_returns_indices_like_torch():
    torch = torch_or_skip()
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6))
    out, indices = nn.MaxPool2d(2, return_indices=True)(gs.tensor(x))
    out_t, indices_t = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(out.array, out_t.numpy())
    np.testing.assert_array_equal(indices.array, indices_t.numpy())


def test_pooling_has_no_parameters_and_works_in_sequential():
    model = nn.Sequential(nn.MaxPool2d(2), nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(1))
    assert list(model.parameters()) == []
    assert model(gs.randn(2, 3, 8, 8)).shape == (2, 3, 1, 1)


def test_the_cnn_benchmark_shapes():
    # maxpool 2x2 stride 2 on the cnn benchmark's two feature maps halves each side
    for shape in [(4, 16, 28, 28), (4, 32, 14, 14)]:
        x = gs.randn(*shape, requires_grad=True)
        out = nn.MaxPool2d(2)(x)
        assert out.shape == shape[:2] + (shape[2] // 2, shape[3] // 2)
        out.sum().backward()
        assert x.grad.array.sum() == out.array.size  # one winner per window


@pytest.mark.parametrize("layer, shape, match", [
    (nn.MaxPool2d(3), (1, 1, 2, 2),
     r"MaxPool2d: input of shape \(1, 1, 2, 2\) is too small along the height: W=2, F=3, P=0, "
     r"S=3, D=1 give N = floor\(\(W \+ 2P - D\(F - 1\) - 1\) / S\) \+ 1 = 0"),
    (nn.AvgPool2d((1, 5), padding=(0, 1)), (1, 1, 4, 2),
     r"AvgPool2d: .* along the width: W=2, F=5, P=1, S=5, D=1 .* = 0"),
    (nn.MaxPool1d(4, dilation=2), (1, 2, 6), r"MaxPool1d: .* W=6, F=4, P=0, S=4, D=2 .* = 0"),
    (nn.AvgPool1d(3), (2, 2), r"AvgPool1d: .* W=2, F=3, P=0, S=3"),
    (nn.MaxPool2d(2), (4, 4), r"MaxPool2d: expected a 3-d .* got shape \(4, 4\)"),
    (nn.AdaptiveAvgPool2d(2), (4, 4), r"AdaptiveAvgPool2d: expected a 3-d .* got shape \(4, 4\)"),
])
def test_too_small_or_wrong_inputs_name_the_layer_and_values(layer, shape, match):
    with pytest.raises(ValueError, match=match):
        layer(gs.zeros(*shape))
