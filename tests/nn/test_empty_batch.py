"""A batch of zero samples flows through every layer and loss as in PyTorch: the same output
shape and dtype, values where there are any, and zero gradients for the parameters."""
import numpy as np
import pytest

import gradsheet as gs
import gradsheet.nn as gnn
import gradsheet.nn.functional as GF
from tests.helpers import torch_or_skip

torch = torch_or_skip()
tnn, TF = torch.nn, torch.nn.functional


def _modules(lib):
    return lib.nn if lib is torch else gnn


def _functional(lib):
    return TF if lib is torch else GF


CASES = {
    "Linear": lambda lib, nn, F: (nn.Linear(3, 2), lib.zeros(0, 3)),
    "Conv2d": lambda lib, nn, F: (nn.Conv2d(1, 2, 3, padding=1), lib.zeros(0, 1, 5, 5)),
    "Conv1d": lambda lib, nn, F: (nn.Conv1d(1, 2, 3), lib.zeros(0, 1, 5)),
    "ConvTranspose2d": lambda lib, nn, F: (nn.ConvTranspose2d(1, 2, 3), lib.zeros(0, 1, 5, 5)),
    "MaxPool2d": lambda lib, nn, F: (nn.MaxPool2d(2), lib.zeros(0, 1, 4, 4)),
    "AvgPool2d": lambda lib, nn, F: (nn.AvgPool2d(2), lib.zeros(0, 1, 4, 4)),
    "AdaptiveAvgPool2d": lambda lib, nn, F: (nn.AdaptiveAvgPool2d(1), lib.zeros(0, 2, 3, 3)),
    "BatchNorm1d eval": lambda lib, nn, F: (nn.BatchNorm1d(3).eval(), lib.zeros(0, 3)),
    "BatchNorm2d eval": lambda lib, nn, F: (nn.BatchNorm2d(2).eval(), lib.zeros(0, 2, 3, 3)),
    "LayerNorm": lambda lib, nn, F: (nn.LayerNorm(3), lib.zeros(0, 3)),
    "GroupNorm": lambda lib, nn, F: (nn.GroupNorm(1, 2), lib.zeros(0, 2, 3)),
    "Flatten": lambda lib, nn, F: (nn.Flatten(), lib.zeros(0, 2, 3)),
    "Dropout": lambda lib, nn, F: (nn.Dropout(0.5), lib.zeros(0, 3)),
    "ReLU": lambda lib, nn, F: (nn.ReLU(), lib.zeros(0, 3)),
    "Softmax": lambda lib, nn, F: (nn.Softmax(dim=1), lib.zeros(0, 3)),
    "LogSoftmax": lambda lib, nn, F: (nn.LogSoftmax(dim=1), lib.zeros(0, 3)),
    "LSTM": lambda lib, nn, F: (lambda m: (lambda x: m(x)[0]))(nn.LSTM(3, 4, batch_first=True)),
    "GRU": lambda lib, nn, F: (lambda m: (lambda x: m(x)[0]))(nn.GRU(3, 4, batch_first=True)),
}
INPUTS = {"LSTM": (0, 5, 3), "GRU": (0, 5, 3)}


@pytest.mark.parametrize("name", list(CASES))
def test_layer_on_an_empty_batch(name):
    results = []
    for lib in (torch, gs):
        if lib is gs:
            gs.manual_seed(0)
        made = CASES[name](lib, _modules(lib), _functional(lib))
        layer, x = made if isinstance(made, tuple) else (made, lib.zeros(*INPUTS[name]))
        x.requires_grad_(True)
        y = layer(x)
        y.sum().backward()
        results.append((tuple(y.shape), str(y.dtype).replace("torch.", ""), tuple(x.grad.shape)))
    assert results[0] == results[1]


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_class_losses_on_an_empty_batch(loss, reduction):
    out = []
    for lib in (torch, gs):
        F = _functional(lib)
        x = lib.zeros(0, 3, requires_grad=True)
        y = getattr(F, loss)(x, lib.zeros(0, dtype=lib.int64), reduction=reduction)
        out.append((tuple(y.shape), np.asarray(y.detach().numpy() if lib is torch else y.array)))
    assert out[0][0] == out[1][0]
    np.testing.assert_array_equal(out[1][1], out[0][1])


@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss", "binary_cross_entropy_with_logits",
                                  "smooth_l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_regression_losses_on_an_empty_batch(loss, reduction):
    out = []
    for lib in (torch, gs):
        F = _functional(lib)
        y = getattr(F, loss)(lib.zeros(0, 3), lib.zeros(0, 3), reduction=reduction)
        out.append((tuple(y.shape), np.asarray(y.detach().numpy() if lib is torch else y.array)))
    assert out[0][0] == out[1][0]
    np.testing.assert_array_equal(out[1][1], out[0][1])


def test_weight_gradients_of_an_empty_batch_are_zero():
    conv = gnn.Conv2d(1, 2, 3)
    conv(gs.zeros(0, 1, 5, 5)).sum().backward()
    assert conv.weight.grad.shape == conv.weight.shape and not conv.weight.grad.array.any()
    assert conv.bias.grad is not None and not conv.bias.grad.array.any()
