"""Attack the layers and the optimizers: constructors with one argument swapped for a bad value,
forwards fed bad inputs, optimizers given bad parameters and hyperparameters. Each case: a named
error (naming the class or the function it calls) or a result."""
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradsheet as gs
import gradsheet.nn as nn

from .attack import attempt

BAD = [None, "abc", 2.5, -1, 0, True, 10 ** 12, math.nan, [3, 4], (), {"a": 1}, object(),
       gs.tensor([1.0, 2.0]), 1 + 2j]

# class -> (constructor args, an input it accepts, names its errors may carry)
LAYERS = {
    "Linear": ((3, 4), lambda: gs.randn(2, 3), ("linear",)),
    "Conv1d": ((2, 3, 3), lambda: gs.randn(1, 2, 8), ("conv1d",)),
    "Conv2d": ((2, 3, 3), lambda: gs.randn(1, 2, 6, 6), ("conv2d",)),
    "ConvTranspose2d": ((2, 3, 3), lambda: gs.randn(1, 2, 4, 4), ("conv_transpose2d",)),
    "MaxPool2d": ((2,), lambda: gs.randn(1, 2, 4, 4), ("max_pool2d",)),
    "AvgPool2d": ((2,), lambda: gs.randn(1, 2, 4, 4), ("avg_pool2d",)),
    "AdaptiveAvgPool2d": ((2,), lambda: gs.randn(1, 2, 4, 4), ("adaptive_avg_pool2d",)),
    "BatchNorm1d": ((3,), lambda: gs.randn(4, 3), ("batch_norm",)),
    "BatchNorm2d": ((3,), lambda: gs.randn(2, 3, 2, 2), ("batch_norm",)),
    "LayerNorm": ((3,), lambda: gs.randn(2, 3), ("layer_norm",)),
    "GroupNorm": ((1, 3), lambda: gs.randn(2, 3, 4), ("group_norm",)),
    "Embedding": ((5, 3), lambda: gs.tensor([[0, 4], [1, 2]]), ("embedding",)),
    "Dropout": ((0.5,), lambda: gs.randn(3, 3), ("dropout",)),
    "ReLU": ((), lambda: gs.randn(3), ("relu",)),
    "LeakyReLU": ((0.1,), lambda: gs.randn(3), ("leaky_relu",)),
    "Softmax": ((1,), lambda: gs.randn(2, 3), ("softmax",)),
    "Flatten": ((), lambda: gs.randn(2, 3, 2), ("flatten",)),
    "RNN": ((3, 4), lambda: gs.randn(5, 2, 3), ("rnn",)),
    "LSTM": ((3, 4), lambda: gs.randn(5, 2, 3), ("lstm",)),
    "GRU": ((3, 4), lambda: gs.randn(5, 2, 3), ("gru",)),
    "MultiheadAttention": ((4, 2), None, ("multi_head_attention", "attention")),
    "TransformerEncoderLayer": ((4, 2, 8), lambda: gs.randn(3, 2, 4), ("transformer", "attention")),
    "Upsample": ((None, 2), lambda: gs.randn(1, 1, 2, 2), ("interpolate",)),
    "PixelShuffle": ((2,), lambda: gs.randn(1, 4, 2, 2), ("pixel_shuffle",)),
    "ZeroPad2d": ((1,), lambda: gs.randn(1, 1, 2, 2), ("pad",)),
}
LOSSES = {
    "MSELoss": (lambda: gs.randn(3, 2), lambda: gs.randn(3, 2), ("mse_loss",)),
    "L1Loss": (lambda: gs.randn(3, 2), lambda: gs.randn(3, 2), ("l1_loss",)),
    "CrossEntropyLoss": (lambda: gs.randn(3, 4), lambda: gs.tensor([0, 1, 3]), ("cross_entropy",)),
    "NLLLoss": (lambda: gs.randn(3, 4), lambda: gs.tensor([0, 1, 3]), ("nll_loss",)),
    "BCELoss": (lambda: gs.rand(3), lambda: gs.rand(3), ("binary_cross_entropy",)),
    "BCEWithLogitsLoss": (lambda: gs.randn(3), lambda: gs.rand(3),
                          ("binary_cross_entropy_with_logits",)),
    "HuberLoss": (lambda: gs.randn(3), lambda: gs.randn(3), ("huber_loss",)),
}


def _names(cls_name, extra):
    return (cls_name,) + tuple(extra)


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(sorted(LAYERS)), st.data(), st.sampled_from(range(len(BAD))))
def test_layer_constructor_with_one_bad_argument(name, data, which):
    args, _, extra = LAYERS[name]
    if not args:
        return
    slot = data.draw(st.sampled_from(range(len(args))))
    args = list(args)
    args[slot] = BAD[which]
    attempt("layers", _names(name, extra), lambda: getattr(nn, name)(*args),
            lambda: f"nn.{name}(*{args!r})")


INPUTS = [None, "abc", [[1.0, 2.0]], 3.0, gs.tensor([[1, 2, 3]]), gs.tensor(True), gs.tensor(1.0),
          gs.randn(2), gs.randn(1, 1, 1, 1, 1), gs.randn(0, 3), gs.randn(2, 7),
          gs.full((2, 3), math.nan)]


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(sorted(n for n in LAYERS if LAYERS[n][1] is not None)),
       st.sampled_from(range(len(INPUTS))))
def test_layer_forward_with_bad_input(name, which):
    args, good, extra = LAYERS[name]
    layer = getattr(nn, name)(*args)
    attempt("layers", _names(name, extra), lambda: layer(good()), lambda: f"nn.{name} forward")
    attempt("layers", _names(name, extra), lambda: layer(INPUTS[which]),
            lambda: f"nn.{name}(*{args}) forward on {INPUTS[which]!r}"[:200])


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(sorted(LOSSES)), st.sampled_from(range(len(INPUTS))), st.booleans())
def test_loss_layer_with_a_bad_operand(name, which, as_target):
    make_input, make_target, extra = LOSSES[name]
    loss = getattr(nn, name)()
    args = [make_input(), make_target()]
    args[int(as_target)] = INPUTS[which]
    attempt("layers", _names(name, extra), lambda: loss(*args),
            lambda: f"nn.{name} with {'target' if as_target else 'input'} {INPUTS[which]!r}"[:200])


def test_float_targets_into_cross_entropy_and_nll_are_named():
    with pytest.raises((TypeError, ValueError, RuntimeError), match="nll_loss"):
        nn.NLLLoss()(gs.randn(3, 4), gs.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="cross_entropy: a floating target holds class probabilities"):
        nn.CrossEntropyLoss()(gs.randn(3, 4), gs.tensor([0.0, 1.0, 2.0]))


OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam",
              "ASGD", "Rprop"]
HYPER = {"lr": BAD + [-1.0, math.inf], "weight_decay": [-1.0, "x", None], "momentum": [-0.5, "x"],
         "betas": [(0.9,), (1.5, 0.9), "ab", None, (0.9, -0.1)], "eps": [-1.0, "x"]}


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(OPTIMIZERS), st.sampled_from(sorted(HYPER)), st.data())
def test_optimizer_with_a_bad_hyperparameter(name, key, data):
    cls = getattr(gs.optim, name)
    value = data.draw(st.sampled_from(HYPER[key]))
    w = nn.Parameter(gs.randn(3))
    import inspect
    if key not in inspect.signature(cls).parameters:
        return

    def run():
        opt = cls([w], **{key: value})
        (w * w).sum().backward()
        opt.step()
        return opt
    attempt("optim", (name, "Invalid", key), run, lambda: f"optim.{name}({key}={value!r})")


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(OPTIMIZERS), st.sampled_from(range(8)))
def test_optimizer_with_bad_params(name, which):
    w = nn.Parameter(gs.randn(3))
    params = [None, [], "abc", gs.randn(3), [gs.randn(3)], [1.0, 2.0], [{"lr": 0.1}],
              [{"params": [w]}, {"params": [w]}]][which]
    attempt("optim", (name, "optimizer", "param"), lambda: getattr(gs.optim, name)(params, lr=0.1),
            lambda: f"optim.{name}({params!r})")
