"""Loss layers: each equals its functional (value and gradient) and torch's module; options,
buffers and the deprecated size_average/reduce follow torch."""
import warnings

import numpy as np
import pytest

import gradsheet as gs
import gradsheet.nn.functional as F
from gradsheet import nn
from tests.helpers import torch_or_skip

RNG = np.random.default_rng(0)
CLASS_WEIGHT = RNG.uniform(0.5, 2.0, 4)
LOGITS = RNG.standard_normal((6, 4))
LABELS = np.array([0, 3, 1, 1, 2, 3])
PROBS = RNG.uniform(0.05, 0.95, (6, 4))
BINARY = (RNG.uniform(size=(6, 4)) > 0.5).astype(np.float64)
REGRESSION = RNG.standard_normal((6, 4)), RNG.standard_normal((6, 4))

# (layer, functional, {option: value}, input, target); arrays among the options become tensors
CASES = [
    ("CrossEntropyLoss", "cross_entropy", {}, LOGITS, LABELS),
    ("CrossEntropyLoss", "cross_entropy",
     {"weight": CLASS_WEIGHT, "ignore_index": 1, "label_smoothing": 0.1}, LOGITS, LABELS),
    ("CrossEntropyLoss", "cross_entropy", {"label_smoothing": 0.2}, LOGITS,
     np.exp(LOGITS) / np.exp(LOGITS).sum(1, keepdims=True)),
    ("NLLLoss", "nll_loss", {"weight": CLASS_WEIGHT, "ignore_index": 3}, np.log(PROBS), LABELS),
    ("BCELoss", "binary_cross_entropy", {}, PROBS, BINARY),
    ("BCELoss", "binary_cross_entropy", {"weight": CLASS_WEIGHT}, PROBS, PROBS[::-1].copy()),
    ("BCEWithLogitsLoss", "binary_cross_entropy_with_logits",
     {"weight": CLASS_WEIGHT, "pos_weight": CLASS_WEIGHT[::-1].copy()}, LOGITS, BINARY),
    ("MSELoss", "mse_loss", {}, *REGRESSION),
    ("L1Loss", "l1_loss", {}, *REGRESSION),
    ("HuberLoss", "huber_loss", {"delta": 0.5}, *REGRESSION),
    ("SmoothL1Loss", "smooth_l1_loss", {"beta": 0.5}, *REGRESSION),
]
IDS = [f"{case[0]}-{i}" for i, case in enumerate(CASES)]


def options(values, tensor):
    return {k: tensor(v) if isinstance(v, np.ndarray) else v for k, v in values.items()}


def as_target(tensor, array):
    return tensor(array) if array.dtype.kind == "f" else tensor(array.astype(np.int64))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("layer, functional, opts, x, target", CASES, ids=IDS)
def test_layer_equals_functional(layer, functional, opts, x, target, reduction):
    loss = getattr(nn, layer)(reduction=reduction, **options(opts, gs.tensor))
    inputs = [gs.tensor(x, requires_grad=True) for _ in range(2)]
    outputs = [loss(inputs[0], as_target(gs.tensor, target)),
               getattr(F, functional)(inputs[1], as_target(gs.tensor, target),
                                      reduction=reduction, **options(opts, gs.tensor))]
    np.testing.assert_array_equal(outputs[0].array, outputs[1].array)
    for out in outputs:
        out.sum().backward()
    np.testing.assert_array_equal(inputs[0].grad.array, inputs[1].grad.array)


@pytest.mark.parametrize("layer, functional, opts, x, target", CASES, ids=IDS)
def test_layer_matches_torch(layer, functional, opts, x, target):
    torch = torch_or_skip()
    mine = getattr(nn, layer)(**options(opts, gs.tensor))
    ref = getattr(torch.nn, layer)(**options(opts, torch.tensor))
    gx, tx = gs.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref_out = mine(gx, as_target(gs.tensor, target)), ref(tx, as_target(torch.tensor, target))
    np.testing.assert_allclose(out.array, ref_out.detach().numpy(), rtol=1e-7)
    out.backward()
    ref_out.backward()
    np.testing.assert_allclose(gx.grad.array, tx.grad.numpy(), rtol=1e-7, atol=1e-15)
    assert repr(mine) == repr(ref)
    assert list(mine.state_dict()) == list(ref.state_dict())


def test_defaults_match_torch():
    torch = torch_or_skip()
    for name, attributes in [("CrossEntropyLoss", ("reduction", "ignore_index",
                                                   "label_smoothing", "weight")),
                             ("NLLLoss", ("reduction", "ignore_index", "weight")),
                             ("BCEWithLogitsLoss", ("reduction", "weight", "pos_weight")),
                             ("HuberLoss", ("reduction", "delta")),
                             ("SmoothL1Loss", ("reduction", "beta"))]:
        mine, ref = getattr(nn, name)(), getattr(torch.nn, name)()
        for attribute in attributes:
            assert getattr(mine, attribute) == getattr(ref, attribute), (name, attribute)


@pytest.mark.parametrize("size_average, reduce", [(None, False), (False, None), (True, True),
                                                  (False, True), (True, False)])
def test_deprecated_size_average_and_reduce_map_like_torch(size_average, reduce):
    torch = torch_or_skip()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = torch.nn.MSELoss(size_average, reduce)
    with pytest.warns(DeprecationWarning, match=f"deprecated; use reduction='{ref.reduction}'"):
        mine = nn.MSELoss(size_average, reduce)
    assert mine.reduction == ref.reduction


def test_positional_arguments_follow_torch_order():
    loss = nn.CrossEntropyLoss(None, None, 2)
    assert loss.ignore_index == 2
    assert nn.SmoothL1Loss(None, None, "sum", 0.3).beta == 0.3


def test_weight_buffer_moves_with_the_layer():
    loss = nn.CrossEntropyLoss(weight=gs.tensor([1.0, 2.0]))
    assert [name for name, _ in loss.named_buffers()] == ["weight"]
    assert loss.double().weight.dtype == np.float64


def test_bad_reduction_raises():
    with pytest.raises(ValueError, match=r"MSELoss: reduction must be one of .*got 'avg'"):
        nn.MSELoss(reduction="avg")
